"""Bessel functions of the first and second kind, the modified ones of the second kind, the
spherical ``j0`` and Airy's ``Ai`` on raw arrays (``torch.special.bessel_j0``...): none has a
gradient in PyTorch, so these are arrays only.

Branch-free: each formula runs on every element (clamped into its range) and ``where`` picks,
with fixed term counts, all in float64 (to about 1e-15 absolute, and relative away from zeros):

* ``J0, J1, Y0, Y1``: power series for ``x < 5``; Miller's backward recurrence for
  ``5 <= x < 25`` (normalised by ``J0 + 2 sum J_2k = 1``), with Neumann's series for ``Y``;
  Hankel's asymptotic expansion beyond.
* ``K0, K1`` (and ``exp(x) K``): power series for ``x < 2``, the trapezoidal rule on
  ``exp(x) K_v(x) = int_0^inf exp(-x (cosh t - 1)) cosh(v t) dt`` (an analytic integrand, so the
  rule converges geometrically) up to 30, the asymptotic expansion beyond.
* ``Ai``: for ``-10 <= x <= 2`` a Taylor series of ``Ai'' = x Ai`` around the nearest of
  anchors ``0.5`` apart (their values from the Maclaurin series in 60-digit decimals, once, on
  first use); ``Ai(x) = sqrt(x/3)/pi K_1/3(2/3 x^1.5)`` above 2; the oscillatory asymptotic
  expansion below -10.
"""
from __future__ import annotations

import functools
import math
from decimal import Decimal, localcontext
from typing import Any

import numpy as np

from latte.backend import array_on, get_array_module

_EULER = 0.57721566490153286061
_TWO_OVER_PI = 2.0 / math.pi


def _f64(x: Any) -> tuple:
    xp = get_array_module(x)
    return xp, xp.asarray(x).astype(np.float64)


def _quiet(fn: Any) -> Any:
    """Run ``fn`` without NumPy's warnings (poles and tails give inf/NaN on purpose)."""
    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(*args)
    return wrapped


def _by_range(xp: Any, x: Any, edges: tuple, fns: tuple) -> tuple:
    """``fns[g](xp, x)`` (each a tuple of arrays) on the elements of range ``g``: below
    ``edges[0]``, between consecutive edges, above the last (NaN there). On the CPU each formula
    runs on its own elements only; a GPU runs every formula on ``x`` clipped into its range and
    picks with ``where`` (no boolean selection, whose size would be read back)."""
    if type(x) is np.ndarray:
        group = np.searchsorted(np.asarray(edges), x, side="right")
        outs = None
        for g, fn in enumerate(fns):
            chosen = group == g
            if not chosen.any():
                continue
            results = fn(np, x[chosen])
            if outs is None:
                outs = [np.empty_like(x) for _ in results]
            for out, r in zip(outs, results):
                out[chosen] = r
        return tuple(outs) if outs is not None else tuple(fns[0](np, x))
    bounds = (-np.inf, *edges, np.inf)
    picked = None
    for g in reversed(range(len(fns))):
        results = fns[g](xp, xp.clip(x, bounds[g], bounds[g + 1]))
        picked = results if picked is None else tuple(
            xp.where(x < bounds[g + 1], r, p) for r, p in zip(results, picked))
    return picked


# --- J0, J1, Y0, Y1 ----------------------------------------------------------------------------
def _small_jy(xp: Any, x: Any) -> tuple:
    """``J0, J1, Y0, Y1`` by their power series (``0 < x <= 5``: terms below 10)."""
    q = -x * x / 4.0
    t0, t1 = xp.ones_like(x), x / 2.0
    j0, j1 = t0.copy(), t1.copy()
    harmonic = 0.0
    y0_sum = xp.zeros_like(x)
    psi_sum = (-2.0 * _EULER + 1.0) * t1  # (psi(k+1) + psi(k+2)) (x/2)^(2k+1) / (k! (k+1)!)
    for k in range(1, 40):
        harmonic += 1.0 / k
        t0 = t0 * q / (k * k)
        t1 = t1 * q / (k * (k + 1))
        j0, j1 = j0 + t0, j1 + t1
        y0_sum = y0_sum - harmonic * t0
        psi_sum = psi_sum + (2.0 * (harmonic - _EULER) + 1.0 / (k + 1)) * t1
    log_term = xp.log(x / 2.0)
    y0 = _TWO_OVER_PI * ((log_term + _EULER) * j0 + y0_sum)
    y1 = -_TWO_OVER_PI / x + _TWO_OVER_PI * log_term * j1 - psi_sum / math.pi
    return j0, j1, y0, y1


def _miller(xp: Any, x: Any, start: int = 90) -> tuple:
    """``J0, J1, Y0, Y1`` for ``5 <= x < 25`` from ``J_{n-1} = (2n/x) J_n - J_{n+1}`` run down
    from ``n = 90`` (the error of its start shrinks like ``(e x / 180)^90``); ``Y`` by Neumann's
    series ``Y0 = 2/pi ((log(x/2) + gamma) J0 - 2 sum_k (-1)^k J_2k / k)`` and its derivative."""
    above, cur = xp.zeros_like(x), xp.full_like(x, 1e-30)
    norm, neumann0, neumann1 = xp.zeros_like(x), xp.zeros_like(x), xp.zeros_like(x)
    for n in range(start, 0, -1):  # after this step: cur = f_{n-1}, above = f_n
        above, cur = cur, (2.0 * n / x) * cur - above
        m = n - 1
        if m >= 2 and m % 2 == 0:  # f_m = f_2k: its terms of the normalisation and Y0
            k = m // 2
            sign = -1.0 if k % 2 else 1.0
            norm = norm + 2.0 * cur
            neumann0 = neumann0 + sign * cur / k
        if m >= 1 and m % 2 == 1:  # f_m = f_{2k-1} (k = (m+1)/2) and f_{2k+1} (k = (m-1)/2)
            k_up = (m + 1) // 2
            neumann1 = neumann1 + (-1.0 if k_up % 2 else 1.0) * cur / k_up
            if m >= 3:
                k_down = (m - 1) // 2
                neumann1 = neumann1 - (-1.0 if k_down % 2 else 1.0) * cur / k_down
    f0, f1 = cur, above
    norm = norm + f0
    j0, j1 = f0 / norm, f1 / norm
    log_term = xp.log(x / 2.0) + _EULER
    y0 = _TWO_OVER_PI * (log_term * j0 - 2.0 * neumann0 / norm)
    y1 = _TWO_OVER_PI * (log_term * j1 - j0 / x + neumann1 / norm)
    return j0, j1, y0, y1


def _hankel(xp: Any, x: Any, order: int, terms: int = 30) -> tuple:
    """``(J, Y)`` of ``order`` 0 or 1 for ``x >= 25`` by Hankel's expansion."""
    mu = 4.0 * order * order
    c = xp.ones_like(x)
    p, q = c.copy(), xp.zeros_like(x)
    for k in range(1, terms):
        c = c * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if k % 2:
            q = q + (-1.0 if (k // 2) % 2 else 1.0) * c
        else:
            p = p + (-1.0 if (k // 2) % 2 else 1.0) * c
    cos_x, sin_x = xp.cos(x), xp.sin(x)
    r = 1.0 / math.sqrt(2.0)
    if order == 0:  # chi = x - pi/4
        cos_chi, sin_chi = (cos_x + sin_x) * r, (sin_x - cos_x) * r
    else:  # chi = x - 3 pi/4
        cos_chi, sin_chi = (sin_x - cos_x) * r, -(sin_x + cos_x) * r
    scale = xp.sqrt(_TWO_OVER_PI / x)
    return scale * (p * cos_chi - q * sin_chi), scale * (p * sin_chi + q * cos_chi)


def _jy(x: Any) -> tuple:
    """``J0(|x|), J1(|x|), Y0(x), Y1(x)`` of float64 ``x``."""
    xp = get_array_module(x)

    def big(xp: Any, a: Any) -> tuple:
        (j0, y0), (j1, y1) = _hankel(xp, a, 0), _hankel(xp, a, 1)
        return j0, j1, y0, y1
    return _by_range(xp, xp.abs(x), (5.0, 25.0), (_small_jy, _miller, big))


@_quiet
def bessel_j0_array(x: Any) -> Any:
    """``J0(x)``: 1 at 0; NaN at +-inf, as PyTorch's."""
    xp, v = _f64(x)
    j0 = _jy(v)[0]
    out = xp.where(v == 0, 1.0, xp.where(xp.isinf(v), np.nan, j0))
    return out.astype(x.dtype, copy=False)


@_quiet
def bessel_j1_array(x: Any) -> Any:
    """``J1(x)`` (odd): 0 at 0; NaN at +-inf, as PyTorch's."""
    xp, v = _f64(x)
    j1 = _jy(v)[1]
    out = xp.where(v == 0, 0.0, xp.where(xp.isinf(v), np.nan, xp.where(v < 0, -j1, j1)))
    return out.astype(x.dtype, copy=False)


@_quiet
def bessel_y0_array(x: Any) -> Any:
    """``Y0(x)``: -inf at 0; NaN for ``x < 0`` and at inf, as PyTorch's."""
    xp, v = _f64(x)
    y0 = _jy(v)[2]
    out = xp.where(v == 0, -np.inf, xp.where((v < 0) | xp.isinf(v), np.nan, y0))
    return out.astype(x.dtype, copy=False)


@_quiet
def bessel_y1_array(x: Any) -> Any:
    """``Y1(x)``: -inf at 0; NaN for ``x < 0`` and at inf, as PyTorch's."""
    xp, v = _f64(x)
    y1 = _jy(v)[3]
    out = xp.where(v == 0, -np.inf, xp.where((v < 0) | xp.isinf(v), np.nan, y1))
    return out.astype(x.dtype, copy=False)


# --- K0, K1 ------------------------------------------------------------------------------------
def _small_k(xp: Any, x: Any) -> tuple:
    """``K0, K1`` by their power series (``0 < x <= 2``)."""
    q = x * x / 4.0
    t0, t1 = xp.ones_like(x), x / 2.0
    i0, i1 = t0.copy(), t1.copy()
    harmonic = 0.0
    k0_sum = xp.zeros_like(x)
    psi_sum = (-2.0 * _EULER + 1.0) * t1
    for k in range(1, 30):
        harmonic += 1.0 / k
        t0 = t0 * q / (k * k)
        t1 = t1 * q / (k * (k + 1))
        i0, i1 = i0 + t0, i1 + t1
        k0_sum = k0_sum + harmonic * t0
        psi_sum = psi_sum + (2.0 * (harmonic - _EULER) + 1.0 / (k + 1)) * t1
    log_term = xp.log(x / 2.0)
    k0 = -(log_term + _EULER) * i0 + k0_sum
    k1 = 1.0 / x + log_term * i1 - psi_sum / 2.0
    return k0, k1


def _scaled_k_integral(xp: Any, x: Any, order: float, step: float = 0.1,
                       end: float = 7.5) -> Any:
    """``exp(x) K_order(x)`` by the trapezoidal rule on ``[0, end]`` (``x >= 1.5``: the
    integrand is below 1e-300 beyond)."""
    total = 0.5 * xp.ones_like(x)
    for i in range(1, int(round(end / step)) + 1):
        t = i * step
        total = total + xp.exp(-x * (math.cosh(t) - 1.0)) * math.cosh(order * t)
    return total * step


def _scaled_k_asymptotic(xp: Any, x: Any, order: float, terms: int = 30) -> Any:
    """``exp(x) K_order(x) = sqrt(pi / 2x) sum_k a_k(order) / x^k`` (``x >= 30``)."""
    mu = 4.0 * order * order
    c, total = xp.ones_like(x), xp.ones_like(x)
    for k in range(1, terms):
        c = c * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        total = total + c
    return xp.sqrt(math.pi / (2.0 * x)) * total


def _k(v: Any, order: int, scaled: bool) -> Any:
    """``K_order(x)`` (``scaled``: ``exp(x) K_order(x)``) of float64 ``v``: inf at 0, NaN below,
    0 at inf."""
    xp = get_array_module(v)
    factor = (lambda xp, a: xp.exp(a)) if scaled else (lambda xp, a: 1.0)
    rescale = (lambda xp, a: 1.0) if scaled else (lambda xp, a: xp.exp(-a))
    (out,) = _by_range(xp, v, (2.0, 30.0), (
        lambda xp, a: (_small_k(xp, a)[order] * factor(xp, a),),
        lambda xp, a: (_scaled_k_integral(xp, a, float(order)) * rescale(xp, a),),
        lambda xp, a: (_scaled_k_asymptotic(xp, a, float(order)) * rescale(xp, a),)))
    return xp.where(v == 0, np.inf, xp.where(v < 0, np.nan, xp.where(xp.isinf(v), 0.0, out)))


@_quiet
def modified_bessel_k_array(x: Any, order: int, scaled: bool = False) -> Any:
    """``K_order(x)`` for order 0 or 1, or with ``scaled`` ``exp(x) K_order(x)``."""
    xp, v = _f64(x)
    return _k(v, order, scaled).astype(x.dtype, copy=False)


# --- spherical j0 ------------------------------------------------------------------------------
@_quiet
def spherical_bessel_j0_array(x: Any) -> Any:
    """``sin(x) / x``: 1 at 0 (a series below 0.5, where the quotient would round), 0 at inf."""
    xp, v = _f64(x)
    s = xp.minimum(xp.abs(v), 0.5) ** 2
    series = 1.0 + s * (-1 / 6 + s * (1 / 120 + s * (-1 / 5040 + s * (1 / 362880 + s * (
        -1 / 39916800 + s * (1 / 6227020800 - s / 1307674368000))))))
    out = xp.where(xp.abs(v) < 0.5, series, xp.sin(v) / v)
    out = xp.where(xp.isinf(v), 0.0, out)
    return out.astype(x.dtype, copy=False)


# --- Airy Ai -----------------------------------------------------------------------------------
_AIRY_LOW, _AIRY_HIGH, _AIRY_SPACING = -10.0, 2.0, 0.5
_AI0 = "0.355028053887817239260063186004183176397979174199177573"   # Ai(0)
_AIP0 = "-0.258819403792806798405183560189203963479091138354934582"  # Ai'(0)


@functools.cache
def _airy_anchors() -> tuple:
    """``(Ai(c), Ai'(c))`` at ``c = -10, -9.5, ..., 2`` from the Maclaurin series
    ``Ai = Ai(0) f - |Ai'(0)| g`` summed in 60-digit decimals (its terms reach 1e9 at -10:
    float64 would keep only 7 digits)."""
    values, slopes = [], []
    with localcontext() as ctx:
        ctx.prec = 60
        ai0, aip0 = Decimal(_AI0), Decimal(_AIP0)
        count = int(round((_AIRY_HIGH - _AIRY_LOW) / _AIRY_SPACING)) + 1
        for i in range(count):
            c = Decimal(repr(_AIRY_LOW + i * _AIRY_SPACING))
            # Taylor coefficients about 0: a_{n+2} = a_{n-1} / ((n+2)(n+1)), a0, a1 given
            a = [ai0, aip0, Decimal(0)]
            value, slope = a[0] + a[1] * c, a[1]
            power = c  # c^(n-1) for the next n
            for n in range(3, 200):
                a.append(a[n - 3] / (n * (n - 1)))
                power *= c
                slope += n * a[n] * power
                value += a[n] * power * c
            values.append(float(value))
            slopes.append(float(slope))
    return tuple(values), tuple(slopes)


def _airy_taylor(xp: Any, x: Any, like: Any) -> Any:
    """``Ai(x)`` for ``-10 <= x <= 2``: the Taylor series of ``Ai'' = x Ai`` about the nearest
    anchor ``c`` (``|x - c| <= 1/4``: 30 terms reach 1e-17)."""
    values, slopes = _airy_anchors()
    x = xp.where(xp.isnan(x), 0.0, x)  # NaN (a GPU's clipped copy) would index nowhere
    index = xp.rint((x - _AIRY_LOW) / _AIRY_SPACING).astype(np.int64)
    c = _AIRY_LOW + index * _AIRY_SPACING
    coeff = [array_on(like, "asarray", values)[index], array_on(like, "asarray", slopes)[index]]
    d = x - c
    total, power = coeff[0] + coeff[1] * d, d
    for n in range(2, 32):  # a_n = (c a_{n-2} + a_{n-3}) / (n (n-1))
        a_n = c * coeff[n - 2] + (coeff[n - 3] if n >= 3 else 0.0)
        coeff.append(a_n / (n * (n - 1)))
        power = power * d
        total = total + coeff[n] * power
    return total


def _airy_negative(xp: Any, x: Any, terms: int = 25) -> Any:
    """``Ai(-a)`` for ``a >= 10``: ``(sin(z + pi/4) P - cos(z + pi/4) Q) / (sqrt(pi) a^1/4)``,
    ``z = 2/3 a^1.5``, with ``u_k = u_{k-1} (6k-5)(6k-3)(6k-1) / (216 k (2k-1))``."""
    a = -x
    z = 2.0 / 3.0 * a * xp.sqrt(a)
    u, p, q = 1.0, xp.ones_like(a), xp.zeros_like(a)
    power = xp.ones_like(a)
    for k in range(1, terms):
        u = u * (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / (216.0 * k * (2 * k - 1))
        power = power / z
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            q = q + sign * u * power
        else:
            p = p + sign * u * power
    phase = z + math.pi / 4.0
    return (xp.sin(phase) * p - xp.cos(phase) * q) / (math.sqrt(math.pi) * a ** 0.25)


def _airy_positive(xp: Any, x: Any) -> Any:
    """``Ai(x) = sqrt(x / 3) / pi K_1/3(z)``, ``z = 2/3 x^1.5`` (``x >= 2``: ``z >= 1.88``)."""
    z = 2.0 / 3.0 * x * xp.sqrt(x)
    scaled = xp.where(z < 30.0, _scaled_k_integral(xp, xp.minimum(z, 30.0), 1.0 / 3.0),
                      _scaled_k_asymptotic(xp, xp.maximum(z, 30.0), 1.0 / 3.0))
    return xp.sqrt(x / 3.0) / math.pi * scaled * xp.exp(-z)


@_quiet
def airy_ai_array(x: Any) -> Any:
    """Airy's ``Ai(x)``, the solution of ``y'' = x y`` decaying as ``x -> inf``; NaN at +-inf,
    as PyTorch's."""
    xp, v = _f64(x)
    (out,) = _by_range(xp, v, (_AIRY_LOW, _AIRY_HIGH), (
        lambda xp, a: (_airy_negative(xp, a),),
        lambda xp, a: (_airy_taylor(xp, a, v),),
        lambda xp, a: (_airy_positive(xp, a),)))
    out = xp.where(xp.isinf(v) | xp.isnan(v), np.nan, out)
    return out.astype(x.dtype, copy=False)
