"""The error-function family on raw arrays: ``erf``, ``erfc``, ``erfinv`` and GELU's ``x Phi(x)``.

Two paths. Float64 data take the exact one (series, continued fraction, Newton steps: about
1e-15). Float32 and float16 data take a fast one, evaluated in float64 over cache-sized chunks
(the arithmetic in float64 costs little more than in float32 while the chunk stays in cache, and
it leaves only the final rounding to float32), the chunks of a large array split over the threads
of ``latte._threads``:

* ``erfc(a) = exp(-a^2) P(u) / (a + K)`` for ``a = |x|``, ``u = (a - K) / (a + K)``: one
  polynomial of degree 11 over the whole range (``P`` is smooth in ``u``; relative error about
  4e-11), fitted once, on first use, to the exact path. ``erfc(-a) = 2 - erfc(a)``.
* ``erf(x) = x Q(x^2)`` (Taylor) for ``|x| < 1/4``, ``sign(x) (1 - erfc(|x|))`` beyond.
* ``Phi(x) = erfc(-x / sqrt 2) / 2`` directly, so GELU's negative tail keeps its relative
  precision (``(1 + erf) / 2`` would cancel to zero there).
* ``erfinv``: Giles' single-precision polynomial, then one Halley step on the fast ``erf``.

Branches are picked with ``where`` over both formulas (no boolean selection), so CuPy arrays
take the same formulas in one pass over the whole array.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from latte._threads import run_spans
from latte.backend import get_array_module, is_device_array

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI = math.sqrt(math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

_FAST_DTYPES = (np.float32, np.float16)
_CHUNK = 16384  # elements per pass: the float64 work arrays of a chunk stay in the L2 cache
_K = 3.0        # centre of u = (a - K) / (a + K): fewest terms for 4e-11 among K in [2, 4]
_AMAX = 10.1    # erfc(10.1) < 1e-45 rounds to 0 in float32: the fit's range ends there
_DEG = 11
_SMALL = 0.25   # below, erf's Taylor series; above, 1 - erfc loses < 1e-10 relative to erf
# Taylor coefficients of erf(x) / x in x^2, highest first: 2/sqrt(pi) (-1)^n / (n! (2n + 1))
_ERF_TAYLOR = tuple(_TWO_OVER_SQRT_PI * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                    for n in range(6, -1, -1))
# Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), single precision
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(xp: Any, coefficients: tuple, t: Any) -> Any:
    """``sum c_i t^i`` (coefficients highest power first) in a fresh array, updated in place."""
    acc = t * coefficients[0]
    acc += coefficients[1]
    for c in coefficients[2:]:
        acc *= t
        acc += c
    return acc


def _fast(x: Any) -> bool:
    return x.dtype in _FAST_DTYPES


def _chunked(kernel: Callable[[Any, Any], Any], x: Any) -> Any:
    """``kernel(xp, float64 array)`` (a float64 result) over ``x``, rounded to ``x``'s dtype:
    chunk by chunk on the CPU, so that temporaries stay in cache; in one pass on a GPU."""
    xp = get_array_module(x)
    with np.errstate(all="ignore"):  # inf/NaN and underflow on purpose; ``where`` picks
        if is_device_array(x):
            return kernel(xp, x.astype(xp.float64)).astype(x.dtype)
        flat = np.ascontiguousarray(x).reshape(-1)
        out = np.empty(flat.shape, dtype=x.dtype)

        def span(start: int, stop: int) -> None:
            with np.errstate(all="ignore"):  # the error state is per thread
                for lo in range(start, stop, _CHUNK):
                    hi = min(lo + _CHUNK, stop)
                    out[lo:hi] = kernel(np, flat[lo:hi].astype(np.float64))

        run_spans(span, flat.size, min_span=4 * _CHUNK)
        return out.reshape(x.shape)


# --- the fast kernels (float64 chunks) -----------------------------------------------------------
@functools.cache
def _erfcx_coefficients() -> tuple:
    """Coefficients (highest power first) of ``P(u) = (a + K) exp(a^2) erfc(a)`` on
    ``a in [0, AMAX]``: a least-squares fit at Chebyshev nodes of the ``u``-interval (nearly the
    minimax polynomial) to the exact float64 ``erfc``."""
    lo, hi = -1.0, (_AMAX - _K) / (_AMAX + _K)
    n = 4 * _DEG
    u = 0.5 * (hi + lo) + 0.5 * (hi - lo) * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    a = _K * (1.0 + u) / (1.0 - u)
    target = (a + _K) * np.exp(a * a) * _erfc_exact(a)
    coefficients = np.linalg.lstsq(np.vander(u, _DEG + 1), target, rcond=None)[0]
    return tuple(float(c) for c in coefficients)


def _erfc_abs(xp: Any, x: Any) -> tuple:
    """``(erfc(|x|), exp(-x^2))`` of float64 ``x``."""
    a = xp.abs(x)
    e = a * a
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    xp.minimum(a, _AMAX, out=a)  # keeps u in the fitted range (and finite for inf)
    w = a + _K
    xp.divide(1.0, w, out=w)
    a -= _K
    a *= w  # u
    r = _horner(xp, _erfcx_coefficients(), a)
    r *= w
    r *= e
    return r, e


def _erfc_kernel(xp: Any, x: Any) -> Any:
    r, _ = _erfc_abs(xp, x)
    return xp.where(xp.signbit(x), 2.0 - r, r)


def _erf_and_exp(xp: Any, x: Any) -> tuple:
    """``(erf(x), exp(-x^2))`` of float64 ``x``."""
    r, e = _erfc_abs(xp, x)
    xp.subtract(1.0, r, out=r)
    xp.copysign(r, x, out=r)
    xs = xp.clip(x, -_SMALL, _SMALL)
    small = _horner(xp, _ERF_TAYLOR, xs * xs)
    small *= xs
    return xp.where(xp.abs(x) < _SMALL, small, r), e


def _erf_kernel(xp: Any, x: Any) -> Any:
    return _erf_and_exp(xp, x)[0]


def _phi_cdf(xp: Any, x: Any) -> tuple:
    """``(Phi(x), exp(-x^2 / 2))``: the normal CDF from ``erfc(|x| / sqrt 2)`` directly."""
    r, e = _erfc_abs(xp, x * _INV_SQRT2)
    r *= 0.5
    return xp.where(x > 0, 1.0 - r, r), e


def _gelu_kernel(xp: Any, x: Any) -> Any:
    cdf, _ = _phi_cdf(xp, x)
    cdf *= x
    return cdf


def _gelu_grad_kernel(xp: Any, x: Any) -> Any:
    """``d/dx x Phi(x) = Phi(x) + x phi(x)``."""
    cdf, e = _phi_cdf(xp, x)
    e *= x
    e *= _INV_SQRT_2PI
    cdf += e
    return cdf


def _erfinv_kernel(xp: Any, v: Any) -> Any:
    a = xp.minimum(xp.abs(v), 1.0)
    w = (1.0 - a) * (1.0 + a)
    xp.log(w, out=w)
    xp.negative(w, out=w)
    central = _horner(xp, _GILES_CENTRAL, w - 2.5)
    tail = _horner(xp, _GILES_TAIL, xp.sqrt(w) - 3.0)
    x = xp.where(w < 5.0, central, tail)
    x *= a
    # one Halley step (erf'' / erf' = -2x): cubic convergence from Giles' ~1e-7
    f, e = _erf_and_exp(xp, x)
    f -= a
    e *= _TWO_OVER_SQRT_PI
    f /= e  # the Newton step
    x -= f / (1.0 + x * f)
    x = xp.where(a == 1.0, np.inf, x)
    return xp.where(xp.abs(v) > 1.0, np.nan, xp.copysign(x, v))


# --- the public array functions -------------------------------------------------------------------
def erf_array(x: Any) -> Any:
    """``erf(x)``: to about 1e-15 in float64, correctly rounded but for ~1e-10 in float32."""
    return _chunked(_erf_kernel, x) if _fast(x) else _erf_exact(x)


def erfc_array(x: Any) -> Any:
    """``1 - erf(x)``, keeping relative precision where it is tiny (large ``x``)."""
    return _chunked(_erfc_kernel, x) if _fast(x) else _erfc_exact(x)


def gelu_array(x: Any) -> Any:
    """``x Phi(x)``, ``Phi`` the standard normal CDF (exact GELU)."""
    if _fast(x):
        return _chunked(_gelu_kernel, x)
    return x * 0.5 * _erfc_exact(x * -_INV_SQRT2)


def gelu_grad_array(x: Any) -> Any:
    """``Phi(x) + x phi(x)``, the derivative of exact GELU."""
    if _fast(x):
        return _chunked(_gelu_grad_kernel, x)
    xp = get_array_module(x)
    return 0.5 * _erfc_exact(x * -_INV_SQRT2) + x * xp.exp(-0.5 * x * x) * _INV_SQRT_2PI


def erfinv_array(y: Any) -> Any:
    """The inverse of ``erf`` on ``[-1, 1]`` (+-inf at +-1, NaN outside)."""
    return _chunked(_erfinv_kernel, y) if _fast(y) else _erfinv_exact(y)


# --- the exact path (float64) ---------------------------------------------------------------------
def _erf_exact(x: Any) -> Any:
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
        out[big] = 1.0 - xp.exp(-b * b) / _SQRT_PI / frac
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
    tail = 1.0 - xp.exp(-b * b) / _SQRT_PI / frac
    return xp.where(a < 2.5, series, tail)


def _erfc_exact(x: Any) -> Any:
    """``1 - erf(x)`` keeping relative precision for large ``x`` (a continued fraction there,
    where ``1 - erf`` would cancel to nothing)."""
    xp = get_array_module(x)
    a = xp.asarray(x).astype(np.float64)
    with np.errstate(all="ignore"):
        if type(a) is np.ndarray:  # on the CPU each formula runs on its own elements only
            out = np.empty_like(a)
            near = np.abs(a) < 2.5
            out[near] = 1.0 - _erf_exact(a[near])
            out[~near] = _erfc_tail(np, a[~near])
            return out.astype(x.dtype, copy=False)
        out = xp.where(xp.abs(a) < 2.5, 1.0 - _erf_exact(a), _erfc_tail(xp, a))
    return out.astype(x.dtype, copy=False)


def _erfc_tail(xp: Any, a: Any) -> Any:
    """``erfc(a)`` for ``|a| >= 2.5`` (smaller values are clipped) by its continued fraction."""
    b = xp.maximum(xp.abs(a), 2.5)
    frac = b.copy()
    for k in range(60, 0, -1):
        frac = b + (k / 2.0) / frac
    tail = xp.exp(-b * b) / _SQRT_PI / frac  # erfc(|x|)
    return xp.where(a < 0, 2.0 - tail, tail)


def _erfinv_exact(y: Any) -> Any:
    """Giles' polynomial, then Newton steps on ``erf(x) = |y|`` (on ``erfc`` in the tails,
    where ``1 - |y|`` is exact and ``erf`` would lose the digits)."""
    xp = get_array_module(y)
    v = xp.asarray(y).astype(np.float64)
    with np.errstate(all="ignore"):
        a = xp.minimum(xp.abs(v), 1.0)
        w = -xp.log(xp.maximum((1.0 - a) * (1.0 + a), 1e-300))
        central = _horner(xp, _GILES_CENTRAL, w - 2.5)
        tail = _horner(xp, _GILES_TAIL, xp.sqrt(w) - 3.0)
        x = xp.where(w < 5.0, central, tail) * a
        upper = a > 0.5
        if type(a) is np.ndarray:  # on the CPU each refinement runs on its own elements only
            x[~upper] = _refine_central(np, x[~upper], a[~upper])
            x[upper] = _refine_tail(np, x[upper], a[upper])
        else:
            x = xp.where(upper, _refine_tail(xp, x, a), _refine_central(xp, x, a))
        x = xp.where(a == 1.0, np.inf, x)
        out = xp.where(xp.abs(v) > 1.0, np.nan, xp.where(v < 0, -x, x))
    return out.astype(y.dtype, copy=False)


def _refine_central(xp: Any, x: Any, a: Any) -> Any:
    """Two Halley steps on ``erf(x) = a`` (``erf'' / erf' = -2x``): cubic convergence from the
    polynomial's ~1e-7 reaches float64 precision in one, the second is a margin."""
    for _ in range(2):
        step = (_erf_exact(x) - a) / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
        x = x - step / (1.0 + x * step)
    return x


def _refine_tail(xp: Any, x: Any, a: Any) -> Any:
    """Newton steps on ``log(erfc(x)) = log(1 - a)``: nearly linear in the tail, so it converges
    from the rough start where the polynomial (fitted for float32) is out of its range."""
    target = xp.log(xp.maximum(1.0 - a, 1e-300))
    for _ in range(4):  # a = 1 divides by a zero slope: its inf is put in by the caller
        tail = xp.maximum(_erfc_exact(x), 1e-300)
        x = x - (target - xp.log(tail)) * tail / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
    return x
