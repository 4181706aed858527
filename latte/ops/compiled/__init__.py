"""Compiled kernels for the passes that NumPy cannot run at memory speed: the optional
``latte[compiled]`` extra (Numba).

NumPy runs a fused formula as one pass per operation, so batch norm's four-operation passes,
ReLU's masked products and im2col's padded copies make several trips through memory. These
kernels do each pass in one loop that releases the GIL. They are used only where Numba is
installed; the NumPy code beside each call is the reference, and the tests run both.

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
import sys
import warnings
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["available", "enabled", "usable", "kernels", "warm_up"]

available = importlib.util.find_spec("numba") is not None
enabled = available and os.environ.get("LATTE_COMPILED", "1") != "0"

_DTYPES = (np.float32, np.float64)
_MODULES = ("batch_norm", "patches", "relu")
_loaded: list = []  # [True] once the kernel modules imported, [False] if they cannot


def usable(*arrays: Any) -> bool:
    """Whether the kernels take these arrays: compiled kernels on and loaded, and CPU float32
    or float64 arrays of one dtype."""
    first = arrays[0]
    return (enabled and first.dtype in _DTYPES
            and all(type(a) is np.ndarray and a.dtype == first.dtype for a in arrays)
            and (_loaded[0] if _loaded else _load()))


def _load() -> bool:
    """Import the kernel modules once. A Numba that fails to import or to set up its cache
    (a read-only install with no writable home) turns the kernels off with a warning: the
    NumPy path then runs, as without the extra."""
    try:
        for name in _MODULES:
            importlib.import_module(f"{__name__}.{name}")
        _loaded.append(True)
    except Exception as error:  # noqa: BLE001 - any failure of the optional extra
        _loaded.append(False)
        warnings.warn(f"latte's compiled kernels are off ({type(error).__name__}: {error}); "
                      "the NumPy path runs", RuntimeWarning, stacklevel=3)
    return _loaded[0]


def kernels(name: str) -> ModuleType:
    """The kernel module ``latte.ops.compiled.<name>``, loaded by a ``usable`` that returned
    True."""
    return sys.modules[f"{__name__}.{name}"]


def warm_up(dtype: Any = np.float32) -> bool:
    """Load Numba and every kernel for ``dtype`` now (compiled, or read from the cache), not in
    the first pass that needs one; return whether the kernels are on. Numba's runtime takes
    about 100 MiB of the process once; benchmarks call this before they measure a step's memory,
    as PyTorch's libraries are loaded before theirs.

    Example::

        >>> from latte.ops import compiled
        >>> compiled.warm_up() == compiled.enabled
        True
    """
    x = np.zeros((2, 4, 3, 3), dtype)
    if not usable(x):
        return False
    batch_norm, patches, relu = (kernels(name) for name in _MODULES)
    v = np.zeros(4, dtype)
    for a in (x, np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1)):
        layout = batch_norm.layout_of(a)
        batch_norm.channel_statistics(a, layout)
        batch_norm.channel_affine(a, layout, v, v, v, np.empty_like(a))
        batch_norm.channel_gradient_sums(a, a, layout, v)
        batch_norm.channel_gradient(a, a, layout, v, v, v, v, np.empty_like(a))
    flat = x.reshape(-1)
    relu.relu(flat, flat.copy())
    relu.relu_backward(flat, flat, flat.copy())
    image = np.zeros((1, 3, 3, 4), dtype)
    patches.patches(image, (1, 1, 1, 1), (1, 1), (1, 1), np.zeros((1, 3, 3, 3, 3, 4), dtype))
    return True
