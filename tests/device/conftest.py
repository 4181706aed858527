"""The GPU for the device tests: ``gpu`` installs the stand-in as Latte's 'cuda' library, or,
with ``LATTE_TEST_DEVICE=cupy`` (on a machine with an NVIDIA GPU and CuPy), the real CuPy backend.

On CuPy the fixture's ``transfers`` is a dummy that never changes (CuPy counts no copies): tests
check ``gpu.name == 'stand-in'`` before asserting counts. Tests named for ``cuda:1`` skip when
the machine has a single GPU.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))  # op_db

from standin import StandinBackend  # noqa: E402

from latte import backend  # noqa: E402

DEVICE = os.environ.get("LATTE_TEST_DEVICE", "standin")


def _real_cupy(request: pytest.FixtureRequest):
    from latte._cupy_backend import probe
    real, problem = probe()
    if real is None:
        pytest.skip(f"LATTE_TEST_DEVICE=cupy but {problem}")
    if "cuda:1" in request.node.name and real.device_count() < 2:
        pytest.skip("needs a second GPU")
    real.transfers = {"to_host": 0, "from_host": 0}  # a dummy: CuPy does not count copies
    return real


@pytest.fixture
def gpu(request: pytest.FixtureRequest):
    """A fresh stand-in GPU (two devices) as 'cuda' for one test, or real CuPy with
    ``LATTE_TEST_DEVICE=cupy``; the previous state comes back afterwards."""
    if DEVICE == "cupy":
        chosen = _real_cupy(request)
    elif DEVICE == "standin":
        chosen = StandinBackend()
    else:
        raise pytest.UsageError(f"LATTE_TEST_DEVICE={DEVICE!r}: expected 'standin' or 'cupy'")
    previous = backend.set_cuda_backend(chosen)
    default = backend.get_default_device()
    try:
        yield chosen
    finally:
        backend.set_default_device(None if default.type == "cpu" else default)
        backend._cuda = previous
        backend._cuda_probed = previous is not None
