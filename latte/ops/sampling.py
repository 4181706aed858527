"""Resampling primitives: pick entries along one axis by a sorted index, and its adjoint.

Nearest and bilinear interpolation are compositions of these (``F.interpolate``). Because the
source indices of a resize never decrease, the adjoint sums runs of equal indices with one
``add.reduceat`` instead of a scattered ``add.at``; each op's backward is the other op, so
interpolation is differentiable any number of times.
"""
from __future__ import annotations

from latte.autograd.function import Op
from latte.backend import get_array_module

__all__ = ["TakeSorted", "ScatterSorted"]


class TakeSorted(Op):
    """``x.take(index, axis)`` for a non-decreasing integer ``index``."""

    def forward(ctx, x, axis, index):
        ctx.args = (axis, index, x.shape[axis])
        return get_array_module(x).take(x, index, axis=axis)

    def backward(ctx, grad):
        return ScatterSorted.apply(grad, *ctx.args), None, None


class ScatterSorted(Op):
    """Adjoint of ``TakeSorted``: sum entries of ``g`` sharing an index into an axis of ``size``."""

    def forward(ctx, g, axis, index, size):
        xp = get_array_module(g)
        ctx.args = (axis, index)
        first = xp.flatnonzero(xp.diff(index, prepend=-1))  # where each run of equal indices starts
        sums = xp.add.reduceat(g, first, axis=axis)
        shape = list(g.shape)
        shape[axis] = size
        out = xp.zeros(shape, g.dtype)
        out[(slice(None),) * axis + (index[first],)] = sums
        return out

    def backward(ctx, grad):
        return TakeSorted.apply(grad, *ctx.args), None, None, None
