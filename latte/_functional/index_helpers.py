"""Index arithmetic: ``unravel_index``, ``tril_indices``/``triu_indices`` and
``unique_consecutive`` (whose output size depends on the values, as ``unique``'s)."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import backend, dtypes
from latte.autograd import function

__all__ = ["unravel_index", "tril_indices", "triu_indices", "unique_consecutive"]


def unravel_index(indices: Any, shape: Any) -> tuple:
    """The coordinates in a tensor of ``shape`` of the flat ``indices`` (negative ones counted
    from the end; others wrap around, as PyTorch), one int64 tensor per dimension, each shaped
    as ``indices``.

    Example::

        >>> latte.unravel_index(latte.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    if not isinstance(indices, function.Tensor):
        raise TypeError(f"expected 'indices' to be a tensor, but got {type(indices).__name__}")
    if indices._data.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, builtins.int) else tuple(builtins.int(s) for s in shape)
    if builtins.any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    # floor division and modulo, as PyTorch: a negative index counts from the end
    flat = indices.long()
    out = []
    for size in reversed(shape):
        quotient = flat.div(size, rounding_mode="floor")
        out.append(flat - quotient * size)
        flat = quotient
    return tuple(reversed(out))


def _triangle_indices(row: int, col: int, offset: int, dtype: Any, device: Any,
                      lower: bool) -> Any:
    from latte.creation import tensor
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got {row}; col must be non-negative, "
                           f"got {col}")
    rows, cols = np.indices((row, col))
    keep = cols - rows <= offset if lower else cols - rows >= offset
    pairs = np.stack([rows[keep], cols[keep]]).reshape(2, -1)  # row-major order, as PyTorch
    return tensor(pairs, dtype=dtypes.int64 if dtype is None else dtype, device=device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Any:
    """The ``(2, N)`` coordinates of the lower triangle of a ``row x col`` matrix (on and below
    the ``offset``-th diagonal), row by row.

    Example::

        >>> latte.tril_indices(3, 3)
        tensor([[0, 1, 1, 2, 2, 2],
                [0, 0, 1, 0, 1, 2]])
    """
    return _triangle_indices(row, col, offset, dtype, device, True)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Any:
    """The ``(2, N)`` coordinates of the upper triangle of a ``row x col`` matrix (on and above
    the ``offset``-th diagonal), row by row.

    Example::

        >>> latte.triu_indices(3, 3, 1)
        tensor([[0, 0, 1],
                [1, 2, 2]])
    """
    return _triangle_indices(row, col, offset, dtype, device, False)


def _consecutive(xp: Any, a: Any, return_inverse: bool, return_counts: bool, dim: Any) -> tuple:
    if dim is None:
        flat = a.reshape(-1)
        n = flat.shape[0]
        start = xp.ones(n, dtype=bool)
        start[1:] = flat[1:] != flat[:-1]
        values = flat[start]  # a data-dependent size: CuPy reads the count back, as unique
    else:
        moved = xp.moveaxis(a, dim, 0)
        n = moved.shape[0]
        rows = moved.reshape(n, -1)
        start = xp.ones(n, dtype=bool)
        start[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        values = xp.moveaxis(moved[start], 0, dim)
    out = [values]
    if return_inverse:
        inverse = xp.cumsum(start).astype(np.int64) - 1
        out.append(inverse.reshape(a.shape) if dim is None else inverse)
    if return_counts:
        firsts = xp.nonzero(start)[0]
        out.append(xp.diff(xp.concatenate([firsts, xp.asarray([n])])).astype(np.int64))
    return tuple(out)


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False,
                       dim: Any = None) -> Any:
    """``input`` with each run of equal consecutive elements (or slices along ``dim``) kept
    once; optionally also each element's run (``return_inverse``) and each run's length
    (``return_counts``).

    Example::

        >>> latte.unique_consecutive(latte.tensor([1, 1, 2, 2, 3, 1, 1]))
        tensor([1, 2, 3, 1])
        >>> latte.unique_consecutive(latte.tensor([1, 1, 2]), return_counts=True)
        (tensor([1, 2]), tensor([2, 1]))
    """
    a = input._data
    d = None if dim is None else input._dim(dim)
    out = backend.run_on(a, _consecutive, input._xp(), a, return_inverse, return_counts, d)
    wrapped = tuple(function.Tensor(o) for o in out)
    return wrapped[0] if len(wrapped) == 1 else wrapped
