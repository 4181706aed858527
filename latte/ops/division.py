"""Division with rounding: ``remainder`` (Python's ``%``), ``fmod`` (C's) and ``floor_divide``.

The quotient is piecewise constant, so ``d(a % b)/da = 1`` and ``d(a % b)/db = -floor(a / b)``
(``-trunc(a / b)`` for fmod), computed without a graph of their own. ``floor_divide`` has no
derivative in PyTorch, so backward through it raises, as there.
"""
from __future__ import annotations

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.elementwise import NoDerivative


class Remainder(Op):
    """``a - b * floor(a / b)``: the sign of ``b``; computed as PyTorch does, from ``fmod``
    (so a zero result keeps the sign of ``a``)."""

    quiet_fp = True

    def forward(ctx, a, b):
        need_b = bool(ctx.needs_input_grad) and ctx.needs_input_grad[1]
        ctx.save_for_backward(a if need_b else None, b if need_b else None)
        ctx.scalar = not hasattr(b, "shape")
        xp = get_array_module(a, b)
        mod = xp.fmod(a, b)
        return xp.where((mod != 0) & ((mod < 0) != (b < 0)), mod + b, mod)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_b = ctx.needs_input_grad[1]
        return grad, (-grad * a.detach().floor_divide(b.detach()) if need_b else None)

    def node_name_for(ctx):  # PyTorch: 0 for a number ``other``, 1 for a tensor
        return "RemainderBackward0" if ctx.scalar else "RemainderBackward1"


class Fmod(Op):
    """``a - b * trunc(a / b)``: the sign of ``a`` (C's ``fmod``)."""

    quiet_fp = True

    def forward(ctx, a, b):
        need_b = bool(ctx.needs_input_grad) and ctx.needs_input_grad[1]
        ctx.save_for_backward(a if need_b else None, b if need_b else None)
        ctx.scalar = not hasattr(b, "shape")
        return get_array_module(a, b).fmod(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_b = ctx.needs_input_grad[1]
        if not need_b:
            return grad, None
        return grad, -grad * a.detach().div(b.detach(), rounding_mode="trunc")

    def node_name_for(ctx):
        return "FmodBackward0" if ctx.scalar else "FmodBackward1"


class FloorDivide(NoDerivative):
    """``floor(a / b)`` (Python's ``//``)."""

    aten = "floor_divide"

    def forward(ctx, a, b):
        return get_array_module(a, b).floor_divide(a, b)
