"""Orthogonal polynomials ``P_n(x)`` on raw arrays (``torch.special.*_polynomial_*``): Chebyshev
T/U/V/W (and the shifted ones, ``x -> 2x - 1``), Hermite H/He, Laguerre L and Legendre P.

Each is its three-term recurrence run up to the largest degree, every element keeping the term
of its own degree (``n`` is truncated to an integer, as PyTorch's cast; ``n < 0`` gives 0). As
in PyTorch, the Chebyshev kinds take their trigonometric form ``cos(n acos x)``... inside
``(-1, 1)`` for large ``n`` (where the recurrence would gather rounding), and exact values at
``x = +-1``. The number of steps is the largest ``n``: read on the host, once, for an ``n``
tensor (a Python number needs no read).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.backend import get_array_module, to_device


def _degree_bound(n: Any) -> int:
    """The largest degree in ``n`` (0 for an empty array): a host read for a GPU array."""
    if n.size == 0:
        return 0
    host = n if type(n) is np.ndarray else to_device(n, _cpu())
    top = np.nanmax(np.where(np.isfinite(host), host, -1.0))
    return int(top) if top >= 0 else 0


def _cpu() -> Any:
    from latte.backend import parse_device
    return parse_device("cpu")


def _recurrence(xp: Any, x: Any, n: Any, p0: Any, p1: Any, step: Any, bound: Any) -> Any:
    """``P_n(x)`` from ``P_0 = p0``, ``P_1 = p1`` and ``P_{k+1} = step(k, P_k, P_{k-1})``, up to
    degree ``bound`` (None: the largest in ``n``)."""
    out = xp.where(n == 0, p0, xp.where(n == 1, p1, 0.0))
    prev, cur = p0, p1
    for k in range(1, _degree_bound(n) if bound is None else int(bound)):
        prev, cur = cur, step(k, cur, prev)
        out = xp.where(n == k + 1, cur, out)
    return xp.where(n < 0, 0.0, out)


def _prepare(x: Any, n: Any) -> tuple:
    xp = get_array_module(x, n)
    n = xp.trunc(xp.broadcast_to(n.astype(np.float64), np.broadcast_shapes(x.shape, n.shape)))
    x = xp.broadcast_to(x.astype(np.float64), n.shape)
    return xp, x, n


def _chebyshev(x: Any, n: Any, kind: str, bound: Any) -> Any:
    xp, x, n = _prepare(x, n)
    one = xp.ones_like(x)
    first = {"t": x, "u": 2.0 * x, "v": 2.0 * x - 1.0, "w": 2.0 * x + 1.0}[kind]
    with np.errstate(all="ignore"):
        out = _recurrence(xp, x, n, one, first, lambda k, p, q: 2.0 * x * p - q, bound)
        theta = xp.arccos(xp.clip(x, -1.0, 1.0))
        inside = xp.abs(x) < 1.0
        odd = xp.fmod(n, 2.0) != 0
        if kind == "t":
            trig, big = xp.cos(n * theta), n > 6
            at_one, at_minus = one, xp.where(odd, -1.0, 1.0)
        elif kind == "u":
            trig = xp.sin((n + 1.0) * theta) / xp.sin(theta)
            big = n > 8
            at_one, at_minus = n + 1.0, xp.where(odd, -(n + 1.0), n + 1.0)
        elif kind == "v":
            trig = xp.cos((n + 0.5) * theta) / xp.cos(theta / 2.0)
            big = n > 8
            at_one, at_minus = one, xp.where(odd, -(2.0 * n + 1.0), 2.0 * n + 1.0)
        else:
            trig = xp.sin((n + 0.5) * theta) / xp.sin(theta / 2.0)
            big = n > 8
            at_one, at_minus = 2.0 * n + 1.0, xp.where(odd, -1.0, 1.0)
        out = xp.where(inside & big & xp.isfinite(trig), trig, out)
        out = xp.where(x == 1.0, at_one, xp.where(x == -1.0, at_minus, out))
    return xp.where(n < 0, 0.0, out)


def chebyshev_array(x: Any, n: Any, kind: str, shifted: bool = False, bound: Any = None) -> Any:
    """``T_n``, ``U_n``, ``V_n`` or ``W_n`` (``kind``) at ``x`` (at ``2x - 1`` if ``shifted``);
    ``bound``, when known, is the largest degree (else read from ``n``)."""
    return _chebyshev(2.0 * x - 1.0 if shifted else x, n, kind, bound)


def hermite_array(x: Any, n: Any, probabilists: bool, bound: Any = None) -> Any:
    """The physicists' ``H_n`` (``H_{k+1} = 2x H_k - 2k H_{k-1}``) or, with ``probabilists``,
    ``He_n`` (``He_{k+1} = x He_k - k He_{k-1}``)."""
    xp, x, n = _prepare(x, n)
    c = 1.0 if probabilists else 2.0
    with np.errstate(all="ignore"):
        return _recurrence(xp, x, n, xp.ones_like(x), c * x,
                           lambda k, p, q: c * (x * p - k * q), bound)


def laguerre_array(x: Any, n: Any, bound: Any = None) -> Any:
    """``L_n``: ``(k + 1) L_{k+1} = (2k + 1 - x) L_k - k L_{k-1}``; 1 at ``x = 0``."""
    xp, x, n = _prepare(x, n)
    with np.errstate(all="ignore"):
        out = _recurrence(xp, x, n, xp.ones_like(x), 1.0 - x,
                          lambda k, p, q: ((2 * k + 1 - x) * p - k * q) / (k + 1), bound)
    return xp.where((x == 0) & (n >= 0), 1.0, out)


def legendre_array(x: Any, n: Any, bound: Any = None) -> Any:
    """``P_n``: ``(k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1}``; ``+-1`` at ``x = +-1``."""
    xp, x, n = _prepare(x, n)
    with np.errstate(all="ignore"):
        out = _recurrence(xp, x, n, xp.ones_like(x), x,
                          lambda k, p, q: ((2 * k + 1) * x * p - k * q) / (k + 1), bound)
    odd = xp.fmod(n, 2.0) != 0
    edge = xp.where((x == -1.0) & odd, -1.0, 1.0)
    return xp.where((xp.abs(x) == 1.0) & (n >= 0), edge, out)
