"""Diagonals: ``diag``, ``diag_embed``, ``diagflat``, ``trace`` and ``block_diag``."""
from __future__ import annotations

import builtins
from typing import Any

from latte import backend
from latte._functional.common import promote_all
from latte._functional.joining import cat, pad_constant
from latte.autograd.function import named_node
from latte.ops.index import IndexPutZeros

__all__ = ["diag", "diag_embed", "diagflat", "trace", "block_diag"]


@named_node("DiagEmbedBackward0")
def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal, placed at output
    dims ``dim1``/``dim2``: ``(..., n) -> (..., n + |offset|, n + |offset|)``."""
    rank = input.ndim + 1
    d1, d2 = dim1 % rank, dim2 % rank
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = input.shape[-1] if input.ndim else 1
    x = input.reshape(1) if input.ndim == 0 else input
    n = m + builtins.abs(offset)
    xp = x._xp()
    rows = backend.run_on(x._data, lambda: xp.arange(m) + builtins.max(-offset, 0))
    cols = backend.run_on(x._data, lambda: xp.arange(m) + builtins.max(offset, 0))
    # the diagonal dim first, so that one (rows, cols) index pair addresses every batch
    front = x.movedim(-1, 0)
    out = IndexPutZeros.apply(front, (rows, cols), (n, n) + tuple(front.shape[1:]))
    return out.movedim((0, 1), (d1, d2))


@named_node(lambda input, *a, **k: "DiagEmbedBackward0" if input.ndim == 1 else "DiagonalBackward0")
def diag(input: Any, diagonal: int = 0) -> Any:
    """A 1-D input becomes a square matrix with it on the ``diagonal``; a 2-D input gives that
    diagonal as a 1-D tensor."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return input.diagonal(diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


@named_node("TraceBackward0")
def trace(input: Any) -> Any:
    """Sum of the main diagonal of a 2-D tensor."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return input.diagonal().sum()


@named_node("DiagEmbedBackward0")
def diagflat(input: Any, offset: int = 0) -> Any:
    """A square matrix with the flattened ``input`` on its ``offset`` diagonal."""
    return diag_embed(input.reshape(-1), offset)


@named_node("BlockDiagBackward0")
def block_diag(*tensors: Any) -> Any:
    """A block-diagonal matrix of the given 0-, 1- or 2-D tensors."""
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t
            for t in promote_all(list(tensors))]
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    width = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        rows.append(pad_constant(m, (left, width - left - m.shape[1])))
        left += m.shape[1]
    return cat(rows, 0)

