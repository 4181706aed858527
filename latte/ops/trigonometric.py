"""Inverse trigonometric and hyperbolic primitives (asin ... atanh, atan2) and the angle of a real.

Forward on arrays, backward on Tensors, as in ``elementwise.py``: the derivatives are the
textbook ones (``d asin(a) = 1 / sqrt(1 - a^2)``...), infinite at the ends of the domain as in
PyTorch. Outside the domain (``asin(2)``, ``acosh(0)``) the value is NaN without a warning.
"""
from __future__ import annotations

import math

from latte.autograd.function import Op
from latte.backend import get_array_module


class Asin(Op):
    quiet_fp = True

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).arcsin(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (1.0 - a * a).rsqrt()


class Acos(Op):
    quiet_fp = True

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).arccos(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return -grad * (1.0 - a * a).rsqrt()


class Atan(Op):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).arctan(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a * a + 1.0)


class Asinh(Op):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).arcsinh(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (a * a + 1.0).rsqrt()


class Acosh(Op):
    quiet_fp = True

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).arccosh(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (a * a - 1.0).rsqrt()


class Atanh(Op):
    quiet_fp = True

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).arctanh(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (1.0 - a * a)


class Atan2(Op):
    """The angle of the point ``(b, a)``: ``atan(a / b)`` in the right quadrant."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a, b).arctan2(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # at the origin both partials are 0 (PyTorch's), not 0 * inf
        radius2 = a * a + b * b
        scale = grad / radius2.where(radius2 != 0, 1.0)
        return (scale * b if need_a else None), (-scale * a if need_b else None)


class Angle(Op):
    """The angle of a real number as a complex one: pi below 0, else 0 (NaN stays NaN);
    piecewise constant, so the gradient is 0."""

    def forward(ctx, a):
        xp = get_array_module(a)
        return xp.where(a < 0, math.pi, xp.where(a == a, 0.0, a)).astype(a.dtype, copy=False)

    def backward(ctx, grad):
        return grad * 0.0
