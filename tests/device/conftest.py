"""The stand-in GPU for the device tests: ``gpu`` installs it as Latte's 'cuda' library."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))  # op_db

from standin import StandinBackend  # noqa: E402

from latte import backend  # noqa: E402


@pytest.fixture
def gpu():
    """A fresh stand-in GPU (two devices) as 'cuda' for one test; the real state comes back."""
    standin = StandinBackend()
    previous = backend.set_cuda_backend(standin)
    default = backend.get_default_device()
    try:
        yield standin
    finally:
        backend.set_default_device(None if default.type == "cpu" else default)
        backend._cuda = previous
        backend._cuda_probed = previous is not None
