"""The optional compiled kernels (``latte.ops.compiled``): loaded only when a pass needs them,
switched off by ``LATTE_COMPILED=0``, and a Numba that cannot load leaves the NumPy path
running. Their results are tested beside the NumPy path's wherever a test takes the
``kernel_path`` fixture (batch norm, ReLU)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import latte
import latte.nn.functional as F
from latte.ops import compiled

needs_numba = pytest.mark.skipif(not compiled.available, reason="numba is not installed")


def _run(code: str, **env: str) -> str:
    import os
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env=dict(os.environ, **env)).stdout.strip()


@needs_numba
def test_numba_loads_with_the_first_pass_that_uses_it_not_with_latte():
    out = _run("import sys, latte; a = 'numba' in sys.modules; "
               "latte.nn.functional.batch_norm(latte.ones(4, 3), None, None, training=True); "
               "print(a, 'numba' in sys.modules)")
    assert out == "False True"


@needs_numba
def test_latte_compiled_0_keeps_the_numpy_path():
    out = _run("import sys, latte; from latte.ops import compiled; "
               "latte.nn.functional.batch_norm(latte.ones(4, 3), None, None, training=True); "
               "print(compiled.enabled, 'numba' in sys.modules)", LATTE_COMPILED="0")
    assert out == "False False"


def test_kernels_that_cannot_load_turn_off_with_a_warning(monkeypatch):
    def broken(name: str) -> None:
        raise RuntimeError("cannot cache function: no locator available")
    monkeypatch.setattr(compiled, "enabled", True)
    monkeypatch.setattr(compiled, "_loaded", [])
    monkeypatch.setattr(compiled.importlib, "import_module", broken)
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    with pytest.warns(RuntimeWarning, match="compiled kernels are off.*no locator"):
        y = F.batch_norm(latte.tensor(x), None, None, training=True)
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-5, atol=1e-5)
    assert not compiled.usable(x)  # and stays off, without warning again
