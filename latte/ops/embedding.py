"""Embedding lookup: rows of a weight table picked by integer indices."""
from __future__ import annotations

from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import get_array_module


class Embedding(Op):
    """``weight[indices]``: ``(V, D)`` table, integer ``indices (*)`` -> ``(*, D)``.

    The weight gradient adds each output row's gradient into its table row (repeats
    accumulate); the ``padding_idx`` row gets none.
    """

    def forward(ctx, weight, indices, padding_idx):
        ctx.padding_idx, ctx.num = padding_idx, weight.shape[0]
        ctx.save_for_backward(indices)
        return get_array_module(weight).take(weight, indices, axis=0)

    def backward(ctx, grad):
        (indices,) = ctx.saved_tensors
        xp = get_array_module(grad._data)
        d = grad.shape[-1]
        flat = indices._data.reshape(-1, 1)
        g2 = grad.reshape(-1, d)
        table = function.Tensor(xp.zeros((ctx.num, d), dtype=grad._data.dtype))
        out = table.scatter_add(0, function.Tensor(xp.broadcast_to(flat, g2.shape)), g2)
        if ctx.padding_idx is not None:
            keep = xp.ones((ctx.num, 1), dtype=grad._data.dtype)
            keep[ctx.padding_idx] = 0
            out = out * function.Tensor(keep)
        return out, None, None
