"""Compiled kernels for the passes that NumPy cannot run at memory speed: the optional
``latte[compiled]`` extra (Numba).

NumPy runs a fused formula as one pass per operation, so batch norm's four-operation passes and
ReLU's masked products make several trips through memory. These kernels do each pass in one
loop that releases the GIL. They are used only where Numba is installed; the NumPy code beside
each call is the reference, and the tests run both.

The kernel modules import Numba, so they load on first use (``kernels``), not with ``latte``:
Numba's import costs about 0.2 s, and a kernel's first call compiles it (a few seconds once per
machine: the machine code is cached beside the source).

``LATTE_COMPILED=0`` in the environment, or ``latte.ops.compiled.enabled = False``, keeps the
NumPy path everywhere.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["available", "enabled", "usable", "kernels"]

available = importlib.util.find_spec("numba") is not None
enabled = available and os.environ.get("LATTE_COMPILED", "1") != "0"

_DTYPES = (np.float32, np.float64)


def usable(*arrays: Any) -> bool:
    """Whether the kernels take these arrays: compiled kernels on, and CPU float32 or float64
    arrays of one dtype."""
    first = arrays[0]
    return (enabled and first.dtype in _DTYPES
            and all(type(a) is np.ndarray and a.dtype == first.dtype for a in arrays))


def kernels(name: str) -> ModuleType:
    """The kernel module ``latte.ops.compiled.<name>`` (imported, with Numba, on first use)."""
    return importlib.import_module(f"{__name__}.{name}")
