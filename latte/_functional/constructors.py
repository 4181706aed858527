"""Small constructors from tensors: ``cartesian_prod``, ``combinations``, ``vander``."""
from __future__ import annotations

import builtins
import itertools
from typing import Any

import numpy as np

from latte import backend
from latte._functional.joining import meshgrid, stack
from latte.autograd import function

__all__ = ["cartesian_prod", "combinations", "vander"]


def cartesian_prod(*tensors: Any) -> Any:
    """Every combination of one element from each 1-D tensor, as rows (``itertools.product``)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Any:
    """The length-``r`` subsequences of a 1-D tensor, as rows (``itertools.combinations``)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if r == 0:
        return input.new_zeros((0,))
    index = backend.array_on(input._data, "asarray", np.array(rows, dtype=np.int64).reshape(
        len(rows), r))
    return input[function.Tensor(index)]


def vander(x: Any, N: Any = None, increasing: bool = False) -> Any:
    """The Vandermonde matrix: columns ``x ** (N-1), ..., x, 1`` (or reversed)."""
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else builtins.int(N)
    if x._data.dtype.kind == "b":
        x = x._cast(np.int64)
    cols, power = [], x.new_ones(tuple(x.shape))
    for _ in range(n):
        cols.append(power)
        power = power * x  # repeated products: no x ** 0 = 0 * x ** -1 in the gradient at 0
    out = stack(cols, 1) if cols else x.new_zeros((x.shape[0], 0))
    return out if increasing else out.flip((1,))

