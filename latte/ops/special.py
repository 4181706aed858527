"""Special functions NumPy has no ufunc for: erfc, erfinv (arrays in ``erf_arrays.py``), lgamma,
digamma, polygamma, i0, i1.

Each array function is branch-free (every formula on every element, picked with ``where``) so a
GPU needs no boolean selection, and reaches float64 precision (checked against PyTorch):
series, continued fractions and asymptotic expansions with fixed term counts, and Newton steps
for the inverse error function. No SciPy: ``import latte`` stays fast.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.erf_arrays import _erf_branch_free, erfc_array, erfinv_array

_SQRT_PI = math.sqrt(math.pi)
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)


def _quiet(fn: Any) -> Any:
    """Run ``fn`` without NumPy's warnings: poles and tails give inf/NaN on purpose, and each
    function puts the right value there with ``where``."""
    def wrapped(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args)
    wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
    return wrapped


def _f64(x: Any) -> tuple:
    xp = get_array_module(x)
    return xp, xp.asarray(x).astype(np.float64)


@_quiet
def lgamma_array(x: Any) -> Any:
    """``log|Gamma(x)|``: Lanczos (g=7, 9 terms) for x >= 0.5, the reflection formula below;
    +inf at the poles 0, -1, -2, ..."""
    xp, v = _f64(x)
    reflect = v < 0.5
    z = xp.where(reflect, 1.0 - v, v) - 1.0
    series = xp.full_like(z, _LANCZOS[0])
    for i, c in enumerate(_LANCZOS[1:], start=1):
        series = series + c / (z + i)
    t = z + _LANCZOS_G + 0.5
    value = 0.5 * math.log(2 * math.pi) + (z + 0.5) * xp.log(t) - t + xp.log(series)
    sine = xp.abs(xp.sin(math.pi * v))
    reflected = math.log(math.pi) - xp.log(sine) - value
    out = xp.where(reflect, reflected, value)
    pole = (v <= 0) & (v == xp.floor(v))
    out = xp.where(pole, np.inf, out)
    return out.astype(x.dtype, copy=False)


def _shifted(xp: Any, v: Any, power: int, sign: float, until: float = 10.0) -> tuple:
    """Move every ``v`` up to ``>= until`` by recurrence: returns the shifted value and the sum
    of ``sign / v**power`` over the steps taken (branch-free: a fixed number of steps)."""
    acc = xp.zeros_like(v)
    for _ in range(int(until) + 1):
        low = v < until
        acc = acc + xp.where(low, sign / v ** power, 0.0)
        v = xp.where(low, v + 1.0, v)
    return v, acc


@_quiet
def digamma_array(x: Any) -> Any:
    """``psi(x) = d/dx log Gamma(x)``: recurrence up to x >= 10, then the asymptotic series;
    reflection for x < 0.5; -inf at 0 and NaN at the negative integers, as PyTorch."""
    xp, v = _f64(x)
    reflect = v < 0.5
    u = xp.where(reflect, 1.0 - v, v)
    u, acc = _shifted(xp, u, 1, -1.0)
    inv2 = 1.0 / (u * u)
    poly = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (
        1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))))
    value = xp.log(u) - 0.5 / u - poly + acc
    reflected = value - math.pi / xp.tan(math.pi * v)
    out = xp.where(reflect, reflected, value)
    out = xp.where(v == 0, -np.inf, xp.where((v < 0) & (v == xp.floor(v)), np.nan, out))
    return out.astype(x.dtype, copy=False)


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _cot_derivative_polynomial(n: int) -> list[float]:
    """Coefficients (lowest power first) of ``P_n`` with ``d^n/dz^n cot(pi z) = pi^n P_n(cot)``:
    ``P_0(u) = u`` and ``P_(k+1)(u) = -(1 + u^2) P_k'(u)``."""
    coeffs = [0.0, 1.0]
    for _ in range(n):
        deriv = [i * c for i, c in enumerate(coeffs)][1:] or [0.0]
        grown = deriv + [0.0, 0.0]
        coeffs = [-(grown[i] + (grown[i - 2] if i >= 2 else 0.0)) for i in range(len(grown))]
    return coeffs


@_quiet
def polygamma_array(n: int, x: Any) -> Any:
    """``psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x)`` for ``n >= 1``: the Hurwitz zeta by the
    recurrence up to ``x >= 12`` then Euler-Maclaurin; negative ``x`` by the reflection
    ``psi^(n)(x) = (-1)^n psi^(n)(1-x) - pi d^n/dx^n cot(pi x)``; +-inf at the non-positive
    integers, as PyTorch. Branch-free, with a fixed number of steps (no read-back on a GPU)."""
    xp, v = _f64(x)
    s = n + 1.0
    reflect = v < 0
    q, acc = _shifted(xp, xp.where(reflect, 1.0 - v, v), n + 1, 1.0, until=12.0)
    tail = q ** (1.0 - s) / (s - 1.0) + 0.5 * q ** -s
    rising, factorial = s, 2.0  # s (s+1) ... (s+2j-2) and (2j)!
    for j, b in enumerate(_BERNOULLI, start=1):
        tail = tail + b / factorial * rising * q ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
    sign = -1.0 if n % 2 == 0 else 1.0
    value = sign * math.factorial(n) * (acc + tail)
    r = v - xp.round(v)  # cot has period 1; cos(pi r) as sin(pi (1/2 - |r|)) is exact 0 at 1/2
    cot = xp.sign(r) * xp.sin(math.pi * (0.5 - xp.abs(r))) / xp.sin(math.pi * xp.abs(r))
    poly = xp.zeros_like(v)
    for c in reversed(_cot_derivative_polynomial(n)):
        poly = poly * cot + c
    reflected = (-sign) * value - math.pi ** (n + 1) * poly
    out = xp.where(reflect, reflected, value)
    pole = (v <= 0) & (v == xp.floor(v))
    return xp.where(pole, sign * np.inf, out).astype(x.dtype, copy=False)


class Polygamma(Op):
    """``psi^(n)(x)`` for ``n >= 1``; gradient ``psi^(n+1)(x)``."""

    def forward(ctx, a, n):
        ctx.save_for_backward(a)
        ctx.n = n
        return polygamma_array(n, a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * Polygamma.apply(a, ctx.n + 1), None


def _bessel(xp: Any, v: Any, order: int) -> Any:
    """``I_order(x)`` for order 0 or 1: the power series (positive terms) for |x| <= 30, the
    asymptotic expansion beyond."""
    a = xp.abs(v)
    s = xp.minimum(a, 30.0)
    q = s * s / 4.0
    term = xp.ones_like(s) if order == 0 else s / 2.0
    total = term.copy()
    for k in range(1, 100):  # (15^2)/k/(k+order) < 1 from k = 15; 100 terms reach 1e-17
        term = term * q / (k * (k + order))
        total = total + term
    b = xp.maximum(a, 30.0)
    mu = 4.0 * order * order
    coeff, big = xp.ones_like(b), xp.ones_like(b)
    for k in range(1, 20):
        coeff = -coeff * (mu - (2 * k - 1) ** 2) / (k * 8.0 * b)
        big = big + coeff
    big = big * xp.exp(b) / xp.sqrt(2.0 * math.pi * b)
    out = xp.where(a <= 30.0, total, big)
    return out if order == 0 else xp.where(v < 0, -out, out)


@_quiet
def i0_array(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 0."""
    xp, v = _f64(x)
    return _bessel(xp, v, 0).astype(x.dtype, copy=False)


@_quiet
def i1_array(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 1."""
    xp, v = _f64(x)
    return _bessel(xp, v, 1).astype(x.dtype, copy=False)


def _exp_square(xp: Any, a: Any) -> Any:
    """``exp(a^2)`` without the rounding of ``a^2`` (which ``exp`` would magnify by ``a^2``):
    ``a = hi + lo`` with ``hi`` on a 2^-12 grid, so that ``hi^2`` is exact."""
    hi = xp.round(a * 4096.0) / 4096.0
    lo = a - hi
    return xp.exp(hi * hi) * xp.exp(lo * (2.0 * hi + lo))


@_quiet
def erfcx_array(x: Any) -> Any:
    """The scaled complementary error function ``exp(x^2) erfc(x)``: ``exp(x^2) (1 - erf x)``
    for ``|x| < 1`` (no cancellation there), beyond, the continued fraction of ``erfc`` without
    its ``exp(-x^2)`` (200 terms reach 1e-16 from ``x = 1``);
    ``2 exp(x^2) - erfcx(-x)`` for negative ``x`` (inf below about -26.6)."""
    xp, v = _f64(x)
    a = xp.abs(v)
    near = xp.minimum(a, 1.0)
    series = _exp_square(xp, near) * (1.0 - _erf_branch_free(xp, near))
    b = xp.maximum(a, 1.0)
    frac = b.copy()
    for k in range(200, 0, -1):
        frac = b + (k / 2.0) / frac
    positive = xp.where(a < 1.0, series, 1.0 / (_SQRT_PI * frac))
    out = xp.where(v < 0, 2.0 * _exp_square(xp, xp.minimum(a, 30.0)) - positive, positive)
    return out.astype(x.dtype, copy=False)


class Erfcx(Op):
    """``erfcx(x)``; gradient ``2 x erfcx(x) - 2/sqrt(pi)``."""
    node_name = "SpecialErfcxBackward0"  # PyTorch's name of the node

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erfcx_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (2.0 * a * Erfcx.apply(a) - 2.0 / _SQRT_PI)


class Erfc(Op):
    """``erfc(x)``; gradient ``-2/sqrt(pi) exp(-x^2)``."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return erfc_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * (-(a * a)).exp() * (-2.0 / _SQRT_PI)


class Erfinv(Op):
    """``erfinv(y)``; gradient ``sqrt(pi)/2 exp(erfinv(y)^2)``."""

    def forward(ctx, a):
        out = erfinv_array(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out * out).exp() * (_SQRT_PI / 2.0)


class Lgamma(Op):
    """``log|Gamma(x)|``; gradient ``digamma(x)``."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return lgamma_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * Digamma.apply(a)


class Digamma(Op):
    """``digamma(x)``; gradient ``trigamma(x)``, ``polygamma(1, x)``."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return digamma_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * Polygamma.apply(a, 1)


class I0(Op):
    """``I0(x)``; gradient ``I1(x)``."""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return i0_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * I1.apply(a)


class I1(Op):
    """``I1(x)``; gradient ``I0(x) - I1(x) / x`` (1/2 at 0)."""
    node_name = "SpecialI1Backward0"  # PyTorch's name of the node

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return i1_array(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        safe = a.where(a != 0, 1.0)
        ratio = (I1.apply(safe) / safe).where(a != 0, 0.5)
        return grad * (I0.apply(a) - ratio)
