"""The primitives of sparse COO arithmetic: segment sums and sparse @ dense, forward beside
backward.

A COO tensor's values carry its autograd history, so these ops take the values (and a dense
operand) as Tensors and the integer index arrays as constants. Each backward is written with
Tensor ops (``index_select`` and these primitives), so higher derivatives work.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import get_array_module

__all__ = ["SegmentSum", "SpMM", "segment_max", "segment_sum"]


def segment_sum(values: Any, segments: Any, n: int) -> Any:
    """``out[s] = sum of values[k] over k with segments[k] == s``, for ``s`` in ``range(n)``.

    ``values`` is ``(nnz, *rest)``, ``segments`` an int array of length ``nnz``; the result is
    ``(n, *rest)`` with zeros where no entry falls.
    """
    xp = get_array_module(values)
    out = xp.zeros((n,) + values.shape[1:], dtype=values.dtype)
    if values.shape[0] == 0:
        return out
    if xp is not np:
        xp.add.at(out, segments, values)
        return out
    # one pass of add.reduceat over entries sorted by segment: far faster than np.add.at
    if not bool((segments[1:] >= segments[:-1]).all()):
        order = np.argsort(segments, kind="stable")
        segments, values = segments[order], values[order]
    starts = np.flatnonzero(np.r_[True, segments[1:] != segments[:-1]])
    out[segments[starts]] = np.add.reduceat(values, starts, axis=0)
    return out


def _index(array: Any) -> Any:
    return function.Tensor(array)


class SegmentSum(Op):
    """Sums rows of ``values`` ``(nnz, *rest)`` that share a segment id into ``(n, *rest)``:
    coalescing, ``to_dense`` and sums over sparse dims. The gradient gathers rows back."""

    @staticmethod
    def forward(ctx: Any, values: Any, segments: Any, n: int) -> Any:
        ctx.segments = segments
        return segment_sum(values, segments, n)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple:
        return grad.index_select(0, _index(ctx.segments)), None, None


class SpMM(Op):
    """``out[r] += values[k] * dense[c]`` for each entry ``k`` at ``(r, c)``: a 2-D COO matrix
    ``(n, m)`` times a dense ``(m, p)``, giving a dense ``(n, p)``.

    Gradients: ``d values[k] = <grad[r], dense[c]>`` and ``d dense = S^T @ grad``, the same
    product with rows and columns swapped.
    """

    @staticmethod
    def forward(ctx: Any, values: Any, dense: Any, rows: Any, cols: Any, n: int) -> Any:
        ctx.rows, ctx.cols = rows, cols
        ctx.save_for_backward(values, dense)
        return segment_sum(values[:, None] * dense[cols], rows, n)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple:
        values, dense = ctx.saved_tensors
        rows, cols = ctx.rows, ctx.cols
        grad_values = grad_dense = None
        if ctx.needs_input_grad[0]:
            grad_values = (grad.index_select(0, _index(rows))
                           * dense.index_select(0, _index(cols))).sum(1)
        if ctx.needs_input_grad[1]:
            grad_dense = SpMM.apply(values, grad, cols, rows, dense.shape[0])
        return grad_values, grad_dense, None, None, None


def segment_max(values: Any, segments: Any, n: int) -> Any:
    """``out[s] = max of values[k] over k with segments[k] == s`` (``-inf`` where none falls):
    the shift that keeps a sparse softmax's exponentials finite."""
    xp = get_array_module(values)
    out = xp.full((n,) + values.shape[1:], -xp.inf, dtype=values.dtype)
    xp.maximum.at(out, segments, values)
    return out
