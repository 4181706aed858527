"""Resampling primitives: pick entries along one axis by a sorted index, and its adjoint.

Nearest and bilinear interpolation are compositions of these (``F.interpolate``). Because the
source indices of a resize never decrease, the adjoint sums runs of equal indices with one
``add.reduceat`` instead of a scattered ``add.at``; each op's backward is the other op, so
interpolation is differentiable any number of times.
"""
from __future__ import annotations

from typing import Any

from latte.autograd.function import Op
from latte.backend import device_of, get_array_module, to_device

__all__ = ["TakeSorted", "ScatterSorted"]


def _like(index: Any, x: Any) -> Any:
    """``index`` on the device of ``x`` (a host index is copied over once)."""
    if type(index) is type(x):
        return index
    return to_device(index, device_of(x))


class TakeSorted(Op):
    """``x.take(index, axis)`` for a non-decreasing integer ``index``."""

    def forward(ctx, x, axis, index):
        ctx.axis, ctx.size = axis, x.shape[axis]
        ctx.save_for_backward(index)
        return get_array_module(x).take(x, _like(index, x), axis=axis)

    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        return ScatterSorted.apply(grad, ctx.axis, index._data, ctx.size), None, None


class ScatterSorted(Op):
    """Adjoint of ``TakeSorted``: sum entries of ``g`` sharing an index into an axis of ``size``."""

    def forward(ctx, g, axis, index, size):
        xp = get_array_module(g)
        ctx.axis = axis
        ctx.save_for_backward(index)
        # where each run of equal indices starts: found with the index's own library, so a host
        # index (built from the sizes) gives a host answer and the GPU never syncs for its size
        ix = get_array_module(index)
        first = ix.flatnonzero(ix.diff(index, prepend=-1))
        sums = xp.add.reduceat(g, _like(first, g), axis=axis)
        shape = list(g.shape)
        shape[axis] = size
        out = xp.zeros(shape, g.dtype)
        out[(slice(None),) * axis + (_like(index[first], g),)] = sums
        return out

    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        return TakeSorted.apply(grad, ctx.axis, index._data), None, None, None
