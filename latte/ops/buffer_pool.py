"""Large CPU arrays reused from step to step, instead of fresh memory every time.

A training step frees and allocates the same multi-MB arrays (activations, their gradients)
again and again. glibc's malloc returns each such array to the system when it is freed, so the
next step's array of the same size is fresh memory: every page is faulted in and zeroed by the
kernel first, which cost up to 80 ms for one 64 MiB ReLU gradient inside a step (and 8 ms when
the same array was written into reused memory). This pool keeps the large arrays it handed out;
one is free again once nothing refers to it (its reference count shows only the pool), and the
next request of the same size gets it back. PyTorch's GPU caching allocator follows the same
idea for device memory.

Only requests of at least ``min_bytes`` (256 KiB) are pooled: glibc maps arrays from about
128 KiB up in pages of their own, so below 1 MiB too each one was faulted in afresh (2,100 page
faults a step of the MNIST ResNet, whose 64x64x7x7 activations are 784 KiB; its batch norm there
ran 0.69 against 0.33 ms). Only NumPy arrays are pooled, and the pool holds at most
``limit_bytes`` (``LATTE_BUFFER_POOL_MB``, default 2048; 0 turns it off): free arrays are dropped,
the largest first, to make room for a new one. A batch of another size (an epoch's last) gets
arrays of its own, so the pool can hold two steps' arrays until the limit drops the unused.
"""
from __future__ import annotations

import math
import os
import sys
import threading
from typing import Any

import numpy

from latte.backend import get_array_module

__all__ = ["binary_result", "empty", "empty_like", "pooled_bytes", "zeros"]

min_bytes = 1 << 18
limit_bytes = int(float(os.environ.get("LATTE_BUFFER_POOL_MB", "2048")) * 2**20)
# a free-threaded build defers reference counts, so a count would not prove an array free
_counts_exact = getattr(sys, "_is_gil_enabled", lambda: True)()

_lock = threading.Lock()
_buffers: dict[int, list] = {}  # size in bytes: the 1-D uint8 arrays handed out
# a free buffer is referred to by its list, the loop's name and getrefcount's argument
_FREE_REFERENCES = 3


def empty(xp: Any, shape: tuple, dtype: Any, axes: tuple | None = None) -> Any:
    """An uninitialised array of ``shape`` from array module ``xp``, in reused memory where one
    of its size is free (NumPy only: a GPU library's memory pool already reuses its blocks).

    ``axes`` lays it out in another memory order: the array is allocated C-contiguous in the
    order ``[shape[a] for a in axes]`` and shown transposed back, so that ``(0, 2, 3, 1)`` gives
    a channels-last (N, C, H, W) array.
    """
    dtype = numpy.dtype(dtype)  # a GPU library's dtypes are NumPy's
    stored = shape if axes is None else tuple(shape[a] for a in axes)
    nbytes = math.prod(stored) * dtype.itemsize
    if xp is not numpy or nbytes < min_bytes or limit_bytes <= 0 or not _counts_exact:
        array = xp.empty(stored, dtype)
    else:
        array = _take(nbytes).view(dtype).reshape(stored)
    return array if axes is None else array.transpose(tuple(numpy.argsort(axes)))


def zeros(xp: Any, shape: tuple, dtype: Any, axes: tuple | None = None) -> Any:
    """``empty`` filled with zeros (writing reused memory costs less than faulting in fresh)."""
    array = empty(xp, shape, dtype, axes)
    array.fill(0)
    return array


def empty_like(a: Any, dtype: Any = None) -> Any:
    """``empty`` of ``a``'s shape with its axes in ``a``'s memory order (NumPy's ``order="K"``:
    a channels-last ``a`` gives a channels-last result)."""
    order = tuple(sorted(range(a.ndim), key=lambda d: -a.strides[d]))
    return empty(get_array_module(a), a.shape, a.dtype if dtype is None else dtype,
                 None if order == tuple(range(a.ndim)) else order)


def binary_result(a: Any, b: Any) -> Any:
    """A pooled result for ``a (op) b``, or None (then NumPy allocates one): for two large NumPy
    arrays of one shape and dtype, laid out as ``a``."""
    if (type(a) is numpy.ndarray and type(b) is numpy.ndarray and a.shape == b.shape
            and a.dtype == b.dtype and a.nbytes >= min_bytes):
        return empty_like(a)
    return None


def pooled_bytes() -> tuple[int, int]:
    """(bytes the pool holds, bytes of those free now)."""
    with _lock:
        held = sum(size * len(bufs) for size, bufs in _buffers.items())
        return held, _free_bytes()


def _take(nbytes: int) -> numpy.ndarray:
    with _lock:
        bufs = _buffers.setdefault(nbytes, [])
        for buf in bufs:
            if sys.getrefcount(buf) == _FREE_REFERENCES:
                return buf
        _release(nbytes)
        buf = numpy.empty(nbytes, numpy.uint8)
        bufs.append(buf)
        return buf


def _free_bytes() -> int:
    return sum(size for size, bufs in _buffers.items()
               for buf in bufs if sys.getrefcount(buf) == _FREE_REFERENCES)


def _release(needed: int) -> None:
    """Drop free buffers, the largest first, until the pool with ``needed`` more bytes fits
    ``limit_bytes`` (buffers in use stay: the pool may run over until they are freed)."""
    held = sum(size * len(bufs) for size, bufs in _buffers.items())
    for size in sorted(_buffers, reverse=True):
        bufs = _buffers[size]
        keep = []
        for buf in bufs:
            if held + needed > limit_bytes and sys.getrefcount(buf) == _FREE_REFERENCES:
                held -= size
            else:
                keep.append(buf)
        bufs[:] = keep
