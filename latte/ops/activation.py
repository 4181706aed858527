"""Activation primitives that NumPy lacks a ufunc for: the error function (exact GELU)."""
from __future__ import annotations

import math
from typing import Any

from latte.autograd.function import Op
from latte.backend import get_array_module, is_device_array

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def erf_array(x: Any) -> Any:
    """``erf`` to about 1e-15 in float64: a series for |x| < 2.5, a continued fraction beyond.

    The series ``erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1))`` has positive
    terms only (no cancellation); the continued fraction for ``erfc`` converges fast for large x.
    """
    xp = get_array_module(x)
    a = xp.abs(x.astype(xp.float64))
    if is_device_array(a):
        return (xp.sign(x) * _erf_branch_free(xp, a)).astype(x.dtype, copy=False)
    out = xp.empty_like(a)
    small = a < 2.5
    s = a[small]
    if s.size:
        term = s.copy()
        total = s.copy()
        s2 = 2.0 * s * s
        for n in range(1, 80):  # ratio 2x^2/(2n+1) < 12.5/(2n+1): 80 terms reach 1e-17
            term *= s2 / (2 * n + 1)
            total += term
        out[small] = _TWO_OVER_SQRT_PI * xp.exp(-s * s) * total
    big = ~small
    b = xp.minimum(a[big], 6.5)  # erfc(6.5) < 1e-19: beyond, erf is 1 in float64
    if b.size:
        # erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
        frac = b.copy()
        for k in range(60, 0, -1):
            frac = b + (k / 2.0) / frac
        out[big] = 1.0 - xp.exp(-b * b) / math.sqrt(math.pi) / frac
    return (xp.sign(x) * out).astype(x.dtype, copy=False)


def _erf_branch_free(xp: Any, a: Any) -> Any:
    """``erf(a)`` for ``a >= 0`` by both formulas on every element, picked with ``where``: a GPU
    then needs no boolean selection (whose size would be read back to the host)."""
    s = xp.minimum(a, 2.5)
    term, total, s2 = s.copy(), s.copy(), 2.0 * s * s
    for n in range(1, 80):
        term *= s2 / (2 * n + 1)
        total += term
    series = _TWO_OVER_SQRT_PI * xp.exp(-s * s) * total
    b = xp.clip(a, 2.5, 6.5)
    frac = b.copy()
    for k in range(60, 0, -1):
        frac = b + (k / 2.0) / frac
    tail = 1.0 - xp.exp(-b * b) / math.sqrt(math.pi) / frac
    return xp.where(a < 2.5, series, tail)


class Erf(Op):
    """The error function; gradient ``2/sqrt(pi) exp(-x^2)``."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erf_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (-(a * a)).exp() * _TWO_OVER_SQRT_PI
