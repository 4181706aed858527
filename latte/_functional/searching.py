"""Searching sorted data and membership: ``searchsorted``, ``bucketize``, ``isin``."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import backend
from latte.autograd import function
from latte.backend import get_array_module

__all__ = ["searchsorted", "bucketize", "isin"]


def searchsorted(sorted_sequence: Any, values: Any, *, out_int32: bool = False,
                 right: bool = False, side: Any = None, sorter: Any = None) -> Any:
    """Indices where ``values`` would be inserted to keep ``sorted_sequence`` (sorted along its
    last dim) sorted; ``right``/``side='right'`` puts equal values after."""
    if side is not None:
        right = side == "right"
    seq = sorted_sequence
    if sorter is not None:
        seq = seq.gather(-1, sorter)
    scalar = not isinstance(values, function.Tensor)
    vals = backend.array_on(seq._data, "asarray", values, dtype=seq._data.dtype) if scalar \
        else values._data
    s, xp = seq._data, seq._xp()
    dtype = np.int32 if out_int32 else np.int64

    def found() -> Any:
        if s.ndim == 1:
            # asarray: a scalar value gives a NumPy scalar, which would not keep its int dtype
            return xp.asarray(xp.searchsorted(s, vals, side="right" if right else "left"),
                              dtype=dtype)
        if tuple(s.shape[:-1]) != tuple(vals.shape[:-1]):
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               f"the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{list(s.shape)} and input value tensor {list(vals.shape)}")
        # row-wise: count the boundaries below each value (no per-row loop)
        below = (s[..., None, :] <= vals[..., None]) if right else \
            (s[..., None, :] < vals[..., None])
        return below.sum(-1).astype(dtype)
    return function.Tensor(backend.run_on(s, found))


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,
              right: bool = False) -> Any:
    """The bucket of each value for the 1-D sorted ``boundaries``: ``i`` with
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``<= x <``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """True where an element of ``elements`` is in ``test_elements`` (either may be a number)."""
    like = elements if isinstance(elements, function.Tensor) else test_elements
    e = elements._data if isinstance(elements, function.Tensor) else \
        backend.array_on(like._data, "asarray", elements)
    t = test_elements._data if isinstance(test_elements, function.Tensor) else \
        backend.array_on(like._data, "asarray", test_elements)
    xp = get_array_module(e)
    return function.Tensor(backend.run_on(e, lambda: xp.asarray(
        xp.isin(e, t, assume_unique=assume_unique, invert=invert))))

