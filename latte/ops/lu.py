"""LU factorization with partial pivoting (``linalg.lu_factor``), forward beside backward.

NumPy has no LU routine: the forward is LAPACK's ``getf2`` (right-looking Gaussian elimination
choosing the largest ``|a|`` of each column as pivot, the first on ties) on every matrix of the
batch at once, one column per step. Pivots are LAPACK's: 1-based, row ``i`` swapped with row
``pivots[i]`` in order.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import array_on, get_array_module, run_on
from latte.ops.matrix_functions import Solve
from latte.ops.shape import Cat


def lu_factor_array(a: Any) -> tuple:
    """``(LU, pivots, info)`` of ``a`` (``..., m, n``): ``L`` unit lower below the diagonal of
    ``LU``, ``U`` on and above it; ``info`` is the 1-based index of the first zero pivot (0 if
    none), as LAPACK's."""
    xp = get_array_module(a)
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    lu = xp.array(a, dtype=a.dtype).reshape((-1, m, n))
    count = lu.shape[0]
    rows = xp.arange(count)
    pivots = xp.zeros((count, k), dtype=np.int32)
    info = xp.zeros((count,), dtype=np.int32)
    for j in range(k):
        p = xp.argmax(xp.abs(lu[:, j:, j]), axis=1) + j
        pivots[:, j] = p + 1
        row_j, row_p = lu[:, j].copy(), lu[rows, p]
        lu[:, j] = row_p
        lu[rows, p] = row_j
        pivot = lu[:, j, j]
        zero = pivot == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(np.int32)
        lu[:, j + 1:, j] /= xp.where(zero, 1.0, pivot)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, None, j, j + 1:]
    return (lu.reshape(batch + (m, n)), pivots.reshape(batch + (k,)),
            info.reshape(batch))


def permutation_array(pivots: Any, m: int) -> Any:
    """The row order ``perm`` (``..., m``) with ``(P^T A)[i] = A[perm[i]]`` after the swaps."""
    xp = get_array_module(pivots)
    batch = pivots.shape[:-1]
    flat = pivots.reshape((-1, pivots.shape[-1])).astype(np.int64) - 1
    count = flat.shape[0]
    rows = xp.arange(count)
    perm = xp.broadcast_to(xp.arange(m), (count, m)).copy()
    for j in range(flat.shape[1]):
        p = flat[:, j]
        at_j, at_p = perm[:, j].copy(), perm[rows, p]
        perm[:, j] = at_p
        perm[rows, p] = at_j
    return perm.reshape(batch + (m,))


class LuFactor(Op):
    """``(LU, pivots, info)``; only ``LU`` carries a gradient. With ``A = P L U``,
    ``k = min(m, n)`` and ``gL``/``gU`` the strictly lower / upper parts of the gradient:

    square: ``dA = P L^{-T} [tril_{-1}(L^T gL) + triu(gU U^T)] U^{-T}``;
    wide (``U = [U1 U2]``): ``dA2 = P L^{-T} gU2``, and the square rule for ``A1`` with
    ``gL - L^{-T} gU2 U2^T``; tall (``L = [L1; L2]``): ``dA2 = P gL2 U^{-T}``, and the square
    rule for ``A1`` with ``gU - L2^T gL2 U^{-T}``."""
    node_name = "LinalgLuFactorExBackward0"  # PyTorch's name of the node
    non_differentiable_outputs = (1, 2)

    def forward(ctx, a):
        lu, pivots, info = lu_factor_array(a)
        ctx.save_for_backward(lu, pivots)
        return lu, pivots, info

    def backward(ctx, grad, grad_pivots=None, grad_info=None):
        lu, pivots = ctx.saved_tensors
        m, n = lu.shape[-2], lu.shape[-1]
        k = min(m, n)
        low = lu[..., :, :k].tril(-1) + _eye(lu, m, k)
        up = lu[..., :k, :].triu()
        g_low, g_up = grad[..., :, :k].tril(-1), grad[..., :k, :].triu()
        l1, u1 = low[..., :k, :], up[..., :, :k]
        gl1, gu1 = g_low[..., :k, :], g_up[..., :, :k]
        # L1^-T x and x U1^-T
        left_solve = lambda x: Solve.apply(l1.mT, x)  # noqa: E731
        right_solve = lambda x: Solve.apply(u1, x.mT).mT  # noqa: E731
        if n > k:  # wide: U2 = L^{-1} A2
            g_a2 = left_solve(g_up[..., :, k:])
            gl1 = gl1 - g_a2.matmul(up[..., :, k:].mT)
        if m > k:  # tall: L2 = A2 U^{-1}
            g_a2 = right_solve(g_low[..., k:, :])
            gu1 = gu1 - low[..., k:, :].mT.matmul(g_a2)
        phi = l1.mT.matmul(gl1).tril(-1) + gu1.matmul(u1.mT).triu()
        g_perm = right_solve(left_solve(phi))
        if n > k or m > k:
            g_perm = Cat.apply(lu.ndim - (1 if n > k else 2), g_perm, g_a2)
        return unpermute_rows(g_perm, pivots)


def _eye(t: Any, m: int, k: int) -> Any:
    """The ``m x k`` identity of ``t``'s dtype on ``t``'s device."""
    return function.Tensor(array_on(t._data, "eye", m, k, dtype=t._data.dtype))


def unpermute_rows(x: Any, pivots: Any) -> Any:
    """``P x`` for the rows of ``x`` (a Tensor) in the order of ``P^T A``: a differentiable
    scatter of row ``i`` back to row ``perm[i]``."""
    perm = run_on(pivots._data, permutation_array, pivots._data, x.shape[-2])
    xp = x._xp()
    inverse = run_on(perm, lambda: xp.argsort(perm, axis=-1))
    return permute_rows(x, function.Tensor(inverse))


def permute_rows(x: Any, order: Any) -> Any:
    """``x`` with row ``i`` taken from row ``order[i]`` (``order``: ``..., m`` int64)."""
    index = order.unsqueeze(-1).expand(tuple(order.shape) + (x.shape[-1],))
    batch = np.broadcast_shapes(tuple(x.shape[:-2]), tuple(order.shape[:-1]))
    x = x.expand(batch + tuple(x.shape[-2:]))
    index = index.expand(batch + tuple(index.shape[-2:]))
    return x.gather(-2, index)
