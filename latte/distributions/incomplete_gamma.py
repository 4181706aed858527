"""The regularised lower incomplete gamma function ``P(a, x)``: ``Gamma.cdf`` (and so
``Chi2.cdf`` and ``InverseGamma.cdf``) is ``P(concentration, rate * x)``.

Branch-free on raw arrays (every element takes both formulas, picked with ``where``), with
fixed term counts, so a GPU needs no host read: the power series where ``x < a + 1``, the
continued fraction of ``Q = 1 - P`` (modified Lentz) elsewhere.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.special import lgamma_array
from latte.tensor import Tensor

__all__ = ["gammainc"]

_SERIES_TERMS = 400
_FRACTION_TERMS = 200
_TINY = 1e-300


def gammainc_array(a: Any, x: Any) -> Any:
    """``P(a, x)`` for ``a > 0``, ``x >= 0`` (raw arrays, float64 inside)."""
    xp = get_array_module(x)
    dtype = np.result_type(a.dtype, x.dtype)
    a, x = xp.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    with np.errstate(all="ignore"):
        xs = xp.where(x > 0, x, 1.0)
        log_front = a * xp.log(xs) - xs - lgamma_array(a)
        # series: P = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n))
        term = xp.ones_like(a)
        total = xp.ones_like(a)
        for n in range(1, _SERIES_TERMS):
            term = term * xs / (a + n)
            total = total + term
        series = xp.exp(log_front - xp.log(a)) * total
        # continued fraction for Q (Numerical Recipes' gcf)
        b = xs + 1 - a
        c = xp.full_like(a, 1 / _TINY)
        d = 1 / xp.where(xp.abs(b) < _TINY, _TINY, b)
        h = d
        for i in range(1, _FRACTION_TERMS):
            an = -i * (i - a)
            b = b + 2
            d = an * d + b
            d = 1 / xp.where(xp.abs(d) < _TINY, _TINY, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < _TINY, _TINY, c)
            h = h * d * c
        fraction = 1 - xp.exp(log_front) * h
        p = xp.where(xs < a + 1, series, fraction)
        p = xp.where(x > 0, xp.clip(p, 0, 1), 0.0)
    return p.astype(dtype)


class _GammaInc(Op):
    """``P(a, x)``; differentiable in ``x`` only (as PyTorch's ``igamma``)."""

    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return gammainc_array(a, x)

    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError("the derivative of gammainc with respect to the shape "
                                      "a is not implemented")
        density = ((a - 1) * x.clamp(min=1e-300).log() - x - a.lgamma()).exp()
        return None, grad * density


def gammainc(a: Tensor, x: Tensor) -> Tensor:
    """The regularised lower incomplete gamma function
    :math:`P(a, x) = \\frac{1}{\\Gamma(a)}\\int_0^x t^{a-1}e^{-t}dt` (``torch.special.gammainc``),
    differentiable in ``x``."""
    return _GammaInc.apply(a, x)
