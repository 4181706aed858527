"""The LDL^T factorization of real symmetric matrices with Bunch-Kaufman pivoting
(``linalg.ldl_factor``, ``linalg.ldl_solve``), LAPACK's ``sytf2``/``sytrs`` with ``uplo='L'``.

Each pivot choice (a 1x1 or 2x2 block, which row to swap in) depends on the values, so each
matrix is factored column by column on the host: the factors and solves have no gradient in
PyTorch either, and a GPU array is copied to the host and back explicitly.

Pivots follow LAPACK (1-based): ``pivots[k] > 0`` a 1x1 block with rows ``k`` and
``pivots[k]`` swapped; ``pivots[k] = pivots[k+1] < 0`` a 2x2 block at ``k, k+1`` with rows
``k+1`` and ``-pivots[k]`` swapped. ``LD`` holds ``L`` strictly below the diagonal and ``D``
on it (and on the subdiagonal of each 2x2 block).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte.backend import device_of, parse_device, to_device

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0  # Bunch-Kaufman's growth bound


def _host(a: Any) -> Any:
    return a if type(a) is np.ndarray else to_device(a, parse_device("cpu"))


def _back(a: Any, like: Any) -> Any:
    return a if type(like) is np.ndarray else to_device(a, device_of(like))


def _swap_rows_cols(a: np.ndarray, kk: int, kp: int) -> None:
    """Swap rows and columns ``kk < kp`` of the lower triangle of the trailing matrix."""
    n = a.shape[0]
    if kp < n - 1:
        a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
    seg = a[kk + 1:kp, kk].copy()
    a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
    a[kp, kk + 1:kp] = seg
    a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]


def _factor_one(a: np.ndarray) -> tuple:
    """``sytf2`` (lower) on one matrix in place: returns ``(pivots, info)`` (0-based kp)."""
    n = a.shape[0]
    pivots = np.zeros(n, dtype=np.int32)
    info, k = 0, 0
    while k < n:
        kstep, absakk = 1, abs(a[k, k])
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
            colmax = abs(a[imax, k])
        else:
            imax, colmax = k, 0.0
        if max(absakk, colmax) == 0.0 or np.isnan(absakk):
            info = info or k + 1
            kp = k
        else:
            if absakk >= _ALPHA * colmax:
                kp = k
            else:  # the largest off-diagonal entry in row/column imax
                rowmax = np.max(np.abs(a[imax, k:imax]))
                if imax < n - 1:
                    rowmax = max(rowmax, np.max(np.abs(a[imax + 1:, imax])))
                if absakk >= _ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:
                _swap_rows_cols(a, kk, kp)
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1:
                if k < n - 1:
                    x = a[k + 1:, k].copy()
                    a[k + 1:, k + 1:] -= np.outer(x, x) / a[k, k]
                    a[k + 1:, k] = x / a[k, k]
            elif k < n - 2:
                d21 = a[k + 1, k]
                d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
                t = 1.0 / (d11 * d22 - 1.0)
                d21 = t / d21
                c0, c1 = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk = d21 * (d11 * c0 - c1)
                wkp1 = d21 * (d22 * c1 - c0)
                a[k + 2:, k + 2:] -= np.outer(c0, wk) + np.outer(c1, wkp1)
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
        if kstep == 1:
            pivots[k] = kp + 1
        else:
            pivots[k] = pivots[k + 1] = -(kp + 1)
        k += kstep
    return pivots, info


def ldl_factor_array(a: Any) -> tuple:
    """``(LD, pivots, info)`` of the symmetric matrices ``a`` (``..., n, n``, lower triangle
    read); ``info`` is the 1-based index of the first zero diagonal block (0 if none)."""
    host = _host(a)
    batch, n = host.shape[:-2], host.shape[-1]
    flat = np.tril(host).reshape((-1, n, n)).astype(host.dtype, copy=True)
    pivots = np.zeros((flat.shape[0], n), dtype=np.int32)
    info = np.zeros(flat.shape[0], dtype=np.int32)
    with np.errstate(all="ignore"):
        for i in range(flat.shape[0]):
            pivots[i], info[i] = _factor_one(flat[i])
    ld = np.tril(flat).reshape(host.shape)
    return (_back(ld, a), _back(pivots.reshape(batch + (n,)), a),
            _back(info.reshape(batch), a))


def _solve_one(ld: np.ndarray, piv: np.ndarray, b: np.ndarray) -> None:
    """``sytrs`` (lower) in place on ``b``: ``A X = B`` with ``A = P L D L^T P^T``."""
    n = ld.shape[0]
    k = 0
    while k < n:  # L D Y = P^T B
        if piv[k] > 0:
            kp = piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(ld[k + 1:, k], b[k])
            b[k] /= ld[k, k]
            k += 1
        else:
            kp = -piv[k] - 1
            b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] -= np.outer(ld[k + 2:, k], b[k]) + np.outer(ld[k + 2:, k + 1], b[k + 1])
            akm1k = ld[k + 1, k]
            akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k] = (ak * bkm1 - bk) / denom
            b[k + 1] = (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T P^T X = Y
        if piv[k] > 0:
            b[k] -= ld[k + 1:, k] @ b[k + 1:]
            kp = piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k] -= ld[k + 1:, k] @ b[k + 1:]
            b[k - 1] -= ld[k + 1:, k - 1] @ b[k + 1:]
            kp = -piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 2


def ldl_solve_array(ld: Any, pivots: Any, b: Any) -> Any:
    """``X`` with ``A X = B`` from ``ldl_factor_array``'s ``(LD, pivots)``; batch dims of the
    factors and ``b`` broadcast."""
    h_ld, h_piv, h_b = _host(ld), _host(pivots), _host(b)
    n = h_ld.shape[-1]
    batch = np.broadcast_shapes(h_ld.shape[:-2], h_piv.shape[:-1], h_b.shape[:-2])
    h_ld = np.broadcast_to(h_ld, batch + (n, n)).reshape((-1, n, n))
    h_piv = np.broadcast_to(h_piv, batch + (n,)).reshape((-1, n))
    out = np.array(np.broadcast_to(h_b, batch + h_b.shape[-2:]), dtype=h_b.dtype)
    flat = out.reshape((-1,) + h_b.shape[-2:])
    with np.errstate(all="ignore"):
        for i in range(flat.shape[0]):
            _solve_one(h_ld[i], h_piv[i], flat[i])
    return _back(out, b)
