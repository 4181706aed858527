"""Fixtures shared by the whole suite."""
from __future__ import annotations

import pytest

from latte.ops import compiled


@pytest.fixture(params=["numpy", "compiled"])
def kernel_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test on both paths of a pass that has compiled kernels (``latte.ops.compiled``):
    the NumPy reference, and the kernels where Numba is installed."""
    if request.param == "compiled" and not compiled.available:
        pytest.skip("numba is not installed (the optional latte[compiled] extra)")
    monkeypatch.setattr(compiled, "enabled", request.param == "compiled")
    return request.param
