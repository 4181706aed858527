"""The regularized incomplete gamma functions and the Hurwitz zeta function on raw arrays
(``torch.special.gammainc``, ``gammaincc``, ``zeta``), branch-free with fixed term counts.

* ``P(a, x)`` by its power series where ``x < a + 1`` and ``Q(a, x) = 1 - P`` by its continued
  fraction beyond (each formula on every element, picked with ``where``); accurate to about
  1e-14 for ``a`` up to about 1e4 (the prefactor ``exp(a log x - x - lgamma a)`` cancels large
  terms beyond, where PyTorch switches to Temme's uniform expansion).
* ``zeta(s, q)`` by the Euler-Maclaurin formula after nine direct terms, with twelve Bernoulli
  corrections (the scheme of Cephes' ``zeta``, which PyTorch's follows); ``q`` below -64
  (where only integer ``s`` has a value) gives NaN.
"""
from __future__ import annotations

import functools
from fractions import Fraction
from math import comb, factorial
from typing import Any

import numpy as np

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.special import Lgamma, lgamma_array

_TERMS = 400      # series terms and continued-fraction depth on a GPU: ~sqrt(80 a) are needed
_SHIFT = 64       # direct terms that move a negative zeta argument q above 0


@functools.cache
def _bernoulli_even(count: int) -> tuple:
    """``B_2, B_4, ..., B_{2 count}`` as floats (the Akiyama-Tanigawa-free recursion
    ``sum_{k<m+1} C(m+1, k) B_k = 0``, in exact fractions)."""
    b = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        b.append(-sum(comb(m + 1, k) * b[k] for k in range(m)) / (m + 1))
    return tuple(float(b[2 * j]) for j in range(1, count + 1))


def _gamma_prefactor(xp: Any, a: Any, x: Any, lgamma: Any) -> Any:
    """``x^a exp(-x) / exp(lgamma)``; 0 where ``x`` is 0."""
    return xp.exp(a * xp.log(x) - x - lgamma)


def _term_count(a: Any) -> int:
    """Terms enough for the largest finite ``a`` (read for free on the CPU; a GPU takes 400)."""
    if type(a) is not np.ndarray:
        return _TERMS
    finite = a[np.isfinite(a)]
    top = float(finite.max()) if finite.size else 0.0
    return int(min(max(np.sqrt(80.0 * max(top, 0.0)) + 40, 60), 20000))


def _lower_series(xp: Any, a: Any, x: Any) -> Any:
    """``P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a+1)...(a+n))``: positive terms."""
    term, total = xp.ones_like(x), xp.ones_like(x)
    for n in range(1, _term_count(a)):
        term = term * x / (a + n)
        total = total + term
    return _gamma_prefactor(xp, a, x, lgamma_array(a + 1.0)) * total


def _upper_fraction(xp: Any, a: Any, x: Any) -> Any:
    """``Q(a, x) = x^a e^-x / Gamma(a) / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...))``,
    evaluated from its tail."""
    depth = _term_count(a)
    t = x + (2 * depth + 1) - a
    for k in range(depth, 0, -1):
        t = x + (2 * k - 1) - a - k * (k - a) / t
    return _gamma_prefactor(xp, a, x, lgamma_array(a)) / t


def _incomplete(a: Any, x: Any, upper: bool) -> Any:
    xp = get_array_module(a, x)
    a, x = xp.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    with np.errstate(all="ignore"):
        series_side = x < a + 1.0
        a_s = xp.where(series_side, a, 1.0)  # the other side's elements take a harmless 1
        lower = _lower_series(xp, xp.where(a_s > 0, a_s, 1.0), xp.where(series_side, x, 0.5))
        a_f = xp.where(series_side, 1.0, a)
        upper_cf = _upper_fraction(xp, xp.where(xp.isfinite(a_f), a_f, 1.0),
                                   xp.where(series_side | ~xp.isfinite(x), 2.0, x))
        p = xp.where(series_side, lower, 1.0 - upper_cf)
        q = xp.where(series_side, 1.0 - lower, upper_cf)
        out = q if upper else p
        zero_end, one_end = (1.0, 0.0) if upper else (0.0, 1.0)
        out = xp.where(x == 0, zero_end, out)
        out = xp.where(xp.isinf(x), one_end, out)
        out = xp.where(xp.isinf(a), xp.where(xp.isinf(x), np.nan, zero_end), out)
        out = xp.where(a == 0, xp.where(x > 0, one_end, np.nan), out)
        out = xp.where((a < 0) | (x < 0) | xp.isnan(a) | xp.isnan(x), np.nan, out)
    return out


def gammainc_array(a: Any, x: Any) -> Any:
    """The regularized lower incomplete gamma ``P(a, x) = gamma(a, x) / Gamma(a)``."""
    return _incomplete(a, x, upper=False)


def gammaincc_array(a: Any, x: Any) -> Any:
    """The regularized upper incomplete gamma ``Q(a, x) = 1 - P(a, x)``."""
    return _incomplete(a, x, upper=True)


def zeta_array(s: Any, q: Any) -> Any:
    """The Hurwitz zeta ``sum_k (q + k)^-s``: inf at ``s = 1`` and at the poles
    ``q = 0, -1, ...``; NaN for ``s < 1`` and for negative ``q`` with non-integer ``s``."""
    xp = get_array_module(s, q)
    s, q = xp.broadcast_arrays(s.astype(np.float64), q.astype(np.float64))
    with np.errstate(all="ignore"):
        negative = q < 0
        total = xp.zeros_like(s)
        if type(q) is not np.ndarray or negative.any():  # on the CPU only when needed
            for j in range(_SHIFT):  # zeta(s, q) = sum_{j < 64} (q + j)^-s + zeta(s, q + 64)
                total = total + xp.where(negative, (q + j) ** -s, 0.0)
            q = xp.where(negative, q + _SHIFT, q)
        for i in range(10):
            total = total + (q + i) ** -s
        w = q + 9.0
        b = w ** -s
        total = total + b * w / (s - 1.0) - 0.5 * b
        rising, k = xp.ones_like(s), 0.0
        for j, bern in enumerate(_bernoulli_even(12), start=1):
            rising = rising * (s + k)
            b = b / w
            total = total + rising * b * bern / factorial(2 * j)
            rising = rising * (s + k + 1.0)
            b = b / w
            k += 2.0
        out = xp.where(xp.isinf(q) & (q > 0), np.nan, total)
        # s = inf: q^-s is inf below 1 and 1 at 1; above, PyTorch's (Cephes') Bernoulli terms
        # meet inf * 0 and give NaN
        out = xp.where(xp.isinf(s) & (q > 0), xp.where(q < 1, np.inf,
                                                       xp.where(q == 1, 1.0, np.nan)), out)
        orig_q = xp.where(negative, q - _SHIFT, q)
        pole = (orig_q <= 0) & (orig_q == xp.floor(orig_q))
        out = xp.where(pole, np.inf, out)
        out = xp.where(negative & ~pole & (s != xp.floor(s)), np.nan, out)
        out = xp.where(orig_q < -_SHIFT, np.nan, out)
        out = xp.where(s == 1.0, np.inf, xp.where(s < 1.0, np.nan, out))
    return out


def _density(a: Any, x: Any) -> Any:
    """``x^(a-1) e^-x / Gamma(a)`` of Tensors, differentiable in ``x``."""
    a = a.detach()
    return ((a - 1.0) * x.log() - x - Lgamma.apply(a)).exp()


class _SecondArgumentOnly(Op):
    """A function of two tensors whose gradient PyTorch gives for the second only."""
    derivative_name = ""

    def backward(ctx, grad):
        if ctx.needs_input_grad[0]:
            raise RuntimeError(f"the derivative for '{ctx.derivative_name}' is not implemented.")
        a, x = ctx.saved_tensors
        return None, grad * ctx.derivative(a, x)


class Igamma(_SecondArgumentOnly):
    """``P(a, x)``; gradient in ``x`` only: ``x^(a-1) e^-x / Gamma(a)``."""
    node_name = "IgammaBackward0"  # PyTorch's name of the node
    derivative_name = "igamma: input"

    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return gammainc_array(a, x).astype(np.result_type(a, x), copy=False)

    def derivative(ctx, a, x):
        return _density(a, x)


class Igammac(_SecondArgumentOnly):
    """``Q(a, x)``; gradient in ``x`` only: ``-x^(a-1) e^-x / Gamma(a)``."""
    node_name = "IgammacBackward0"  # PyTorch's name of the node
    derivative_name = "igammac: input"

    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return gammaincc_array(a, x).astype(np.result_type(a, x), copy=False)

    def derivative(ctx, a, x):
        return -_density(a, x)


class Zeta(_SecondArgumentOnly):
    """``zeta(s, q)``; gradient in ``q`` only: ``-s zeta(s + 1, q)``."""
    node_name = "SpecialZetaBackward0"  # PyTorch's name of the node
    derivative_name = "zeta"

    def forward(ctx, s, q):
        ctx.save_for_backward(s, q)
        return zeta_array(s, q).astype(np.result_type(s, q), copy=False)

    def derivative(ctx, s, q):
        return -s * Zeta.apply(s.detach() + 1.0, q)
