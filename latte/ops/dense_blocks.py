"""Large elementwise passes over dense memory, block by block over the threads.

An array is dense when its elements fill one span of memory in some order of its axes (a
C-contiguous array, or a channels-last one shown as NCHW). Arrays of one shape and strides can
then be walked as flat spans in memory order, so a pass of a few ufuncs runs block by block
with each block's temporaries in the cache, and the blocks split over the threads of
``latte._threads`` (NumPy releases the GIL inside its loops).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from latte._threads import run_spans
from latte.backend import is_device_array

__all__ = ["flat_memory", "run_blocks", "zeros_block"]

_BLOCK_ITEMS = 1 << 18  # elements per block: its temporaries stay in the cache (1 MiB)
_MIN_ITEMS = 1 << 18  # below this one plain pass is cheaper than the blocks' overhead


def flat_memory(*arrays: Any) -> tuple | None:
    """1-D views of the arrays' memory in memory order, or None: when they differ in shape or
    strides, are not dense, live on a GPU, or are too small to be worth blocks."""
    first = arrays[0]
    if is_device_array(first) or first.size < _MIN_ITEMS:
        return None
    if any(a.shape != first.shape or a.strides != first.strides for a in arrays[1:]):
        return None
    order = sorted(range(first.ndim), key=lambda d: -first.strides[d])
    views = tuple(a.transpose(order) for a in arrays)
    if not views[0].flags.c_contiguous:
        return None
    return tuple(v.reshape(-1) for v in views)


def run_blocks(body: Callable[[slice], None], size: int) -> None:
    """``body(span)`` for every block of ``[0, size)``, the blocks split over the threads."""
    blocks = -(-size // _BLOCK_ITEMS)

    def run(lo: int, hi: int) -> None:
        for i in range(lo, hi):
            body(slice(i * _BLOCK_ITEMS, min((i + 1) * _BLOCK_ITEMS, size)))
    run_spans(run, blocks, 2)


_zeros: dict = {}


def zeros_block(dtype: Any) -> Any:
    """A read-only block of zeros of ``dtype``, as long as any block: NumPy's ``maximum`` of two
    arrays runs ~3x faster than against a scalar 0 (256 K float32: 35 against 97 us)."""
    import numpy
    key = numpy.dtype(dtype).str
    if key not in _zeros or _zeros[key].size < _BLOCK_ITEMS:
        block = numpy.zeros(_BLOCK_ITEMS, dtype)
        block.flags.writeable = False
        _zeros[key] = block
    return _zeros[key]
