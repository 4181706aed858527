"""Activation primitives that NumPy lacks a ufunc for: the error function and exact GELU.

The arrays are computed in ``erf_arrays.py`` (exact for float64, fast for float32/float16).
"""
from __future__ import annotations

import math

from latte.autograd import function
from latte.autograd.function import Op
from latte.autograd.grad_mode import _state
from latte.backend import get_array_module
from latte.ops.erf_arrays import erf_array, gelu_array, gelu_grad_array
from latte.ops.special import Erfc

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Op):
    """The error function; gradient ``2/sqrt(pi) exp(-x^2)``."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erf_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (-(a * a)).exp() * _TWO_OVER_SQRT_PI


class Gelu(Op):
    """Exact GELU ``x Phi(x)``, ``Phi`` the standard normal CDF; gradient
    ``Phi(x) + x phi(x)``: one fused pass each way instead of five recorded nodes."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return gelu_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        if _state.enabled:  # create_graph=True: the same derivative from differentiable ops
            cdf = Erfc.apply(a * (-1.0 / math.sqrt(2.0))) * 0.5
            density = (a * a * -0.5).exp() * (1.0 / math.sqrt(2.0 * math.pi))
            return grad * (cdf + a * density)
        xp = get_array_module(a._data)
        out = xp.asarray(gelu_grad_array(a._data))  # 0-d arithmetic would give a NumPy scalar
        return function.Tensor(xp.multiply(out, grad._data, out=out))
