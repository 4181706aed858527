"""Shape primitives: reshape, permute, expand, concatenate, pad, flip and roll.

Reshape, permute and expand return views of their input where the backend can; those share the
input's version counter (``is_view``) so an in-place write through either one is noticed. A
reshape that had to copy (a non-contiguous input) is a new tensor, as PyTorch's: it keeps a
counter of its own, so writing into it never invalidates what the input's graph saved.
"""
from __future__ import annotations

from latte.autograd.function import Op
from latte.backend import get_array_module


class Reshape(Op):
    is_view = True

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        out = a.reshape(shape)
        if not get_array_module(a).may_share_memory(out, a):
            ctx.is_view = False  # the backend copied: Op.apply then gives out its own counter
        return out

    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Op):
    is_view = True

    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(*inverse), None


class Expand(Op):
    """Broadcast to a larger shape without copying; the engine sums the gradient back."""

    is_view = True

    def forward(ctx, a, shape):
        return get_array_module(a).broadcast_to(a, shape)

    def backward(ctx, grad):
        return grad, None


class Cat(Op):
    """Concatenate along ``dim``: ``Cat.apply(dim, *tensors)``."""

    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return get_array_module(*arrays).concatenate(arrays, axis=dim)

    def backward(ctx, grad):
        grads = [None]
        start = 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(grad.narrow(ctx.dim, start, size) if need else None)
            start += size
        return tuple(grads)




class ConstantPad(Op):
    """Pad with a constant; ``pads`` lists non-negative (before, after) pairs, first dim first."""

    def forward(ctx, a, pads, value):
        ctx.crop = tuple(slice(lo, a.shape[i] + lo) for i, (lo, _) in enumerate(pads))
        return get_array_module(a).pad(a, pads, mode="constant", constant_values=value)

    def backward(ctx, grad):
        return grad[ctx.crop], None, None


class Flip(Op):
    def forward(ctx, a, dims):
        ctx.dims = dims
        return get_array_module(a).flip(a, axis=dims).copy()

    def backward(ctx, grad):
        return grad.flip(ctx.dims), None


class Roll(Op):
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return get_array_module(a).roll(a, shifts, axis=dims)

    def backward(ctx, grad):
        negated = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) \
            else -ctx.shifts
        return grad.roll(negated, ctx.dims), None, None
