"""Matrix decompositions and inverses (``latte.linalg``), forward beside backward.

Forwards call the array library's ``linalg`` (NumPy or CuPy: both broadcast over leading batch
dims); backwards are the textbook matrix-calculus adjoints, written with Tensor ops.
"""
from __future__ import annotations

import functools

import numpy as np

from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import array_on, get_array_module


class LinAlgError(np.linalg.LinAlgError, RuntimeError):
    """A singular or non-positive-definite matrix, or a factorization that did not converge.

    A ``RuntimeError`` as PyTorch's ``torch.linalg.LinAlgError`` is, and still NumPy's
    ``LinAlgError``, so code written against either catches it."""


def _lapack(forward):
    """Re-raise NumPy's ``LinAlgError`` from ``forward`` as Latte's, naming the op."""
    name = forward.__qualname__.split(".")[0].lower()

    @functools.wraps(forward)
    def wrapper(ctx, *args):
        try:
            return forward(ctx, *args)
        except np.linalg.LinAlgError as exc:
            if isinstance(exc, LinAlgError):
                raise
            raise LinAlgError(f"linalg.{name}: {exc}") from exc
    return wrapper


def _eye_like(t, n: int):
    """An ``n x n`` identity tensor of ``t``'s dtype on ``t``'s device."""
    return function.Tensor(array_on(t._data, "eye", n, dtype=t._data.dtype))


class Inv(Op):
    """``A^{-1}``; ``dA = -A^{-T} dX A^{-T}``."""
    node_name = "LinalgInvExBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a):
        out = get_array_module(a).linalg.inv(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (inv,) = ctx.saved_tensors
        return -(inv.mT.matmul(grad).matmul(inv.mT))


class Det(Op):
    """``det(A)``; ``dA = g * det(A) * A^{-T}`` (undefined for singular ``A``)."""
    node_name = "LinalgDetBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a):
        out = get_array_module(a).linalg.det(a)
        out = get_array_module(a).asarray(out)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, det = ctx.saved_tensors
        return (grad * det).unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


class Slogdet(Op):
    """``(sign, log|det A|)``; only the log carries a gradient: ``g * A^{-T}``."""
    node_name = "LinalgSlogdetBackward0"  # PyTorch's name of the node

    non_differentiable_outputs = (0,)

    @_lapack
    def forward(ctx, a):
        xp = get_array_module(a)
        sign, logabs = xp.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return xp.asarray(sign), xp.asarray(logabs)

    def backward(ctx, grad_sign, grad):
        (a,) = ctx.saved_tensors
        return grad.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).mT


class Solve(Op):
    """``X = A^{-1} B`` for matrices ``B``; ``dB = A^{-T} G``, ``dA = -dB X^T``."""
    node_name = "LinalgSolveExBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a, b):
        out = get_array_module(a).linalg.solve(a, b)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        grad_b = Solve.apply(a.mT, grad)
        grad_a = -grad_b.matmul(x.mT) if ctx.needs_input_grad[0] else None
        return grad_a, grad_b


class Cholesky(Op):
    """The lower factor ``L`` of ``A = L L^T``; backward as in Murray (2016):
    ``S = L^{-T} Phi(L^T G) L^{-1}``, ``dA = (S + S^T) / 2`` with ``Phi`` the lower triangle,
    diagonal halved."""
    node_name = "LinalgCholeskyExBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a):
        out = get_array_module(a).linalg.cholesky(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (low,) = ctx.saved_tensors
        phi = low.mT.matmul(grad).tril()
        phi = phi - phi.diagonal(0, -2, -1).diag_embed() * 0.5
        low_inv = Inv.apply(low)
        s = low_inv.mT.matmul(phi).matmul(low_inv)
        return (s + s.mT) * 0.5


class Eigh(Op):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix (lower triangle read).

    Backward: ``dA = V (diag(gL) + F * (V^T gV)) V^T`` with ``F_ij = 1 / (l_j - l_i)`` off the
    diagonal; assumes distinct eigenvalues, as PyTorch.
    """
    node_name = "LinalgEighBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a, upper):
        xp = get_array_module(a)
        values, vectors = xp.linalg.eigh(a, UPLO="U" if upper else "L")
        ctx.save_for_backward(values, vectors)
        return values, vectors

    def backward(ctx, grad_values, grad_vectors):
        values, vectors = ctx.saved_tensors
        n = values.shape[-1]
        inner = values.new_zeros(tuple(vectors.shape))
        if grad_vectors is not None:
            gap = values.unsqueeze(-2) - values.unsqueeze(-1)  # l_j - l_i
            eye = _eye_like(values, n)
            f = 1.0 / (gap + eye) * (1.0 - eye)
            inner = inner + f * vectors.mT.matmul(grad_vectors)
        if grad_values is not None:
            inner = inner + grad_values.diag_embed()
        return vectors.matmul(inner).matmul(vectors.mT), None


class Svdvals(Op):
    """Singular values (descending); ``dA = U diag(g) V^T`` over the reduced factors."""
    node_name = "LinalgSvdBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a):
        xp = get_array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    def backward(ctx, grad):
        u, vh = ctx.saved_tensors
        return (u * grad.unsqueeze(-2)).matmul(vh)


class Pinv(Op):
    """Moore-Penrose pseudo-inverse ``P``; backward (Golub & Pereyra), for ``G`` like ``P``:
    ``dA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)``."""
    node_name = "LinalgPinvBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a, rtol, hermitian):
        xp = get_array_module(a)
        if rtol is None:  # PyTorch's default: eps * max(m, n), relative to the largest value
            rtol = float(np.finfo(a.dtype).eps) * max(a.shape[-2:])
        # CuPy's pinv takes no ``hermitian``: the SVD route gives the same result
        out = xp.linalg.pinv(a, rcond=rtol, hermitian=True) if hermitian else \
            xp.linalg.pinv(a, rcond=rtol)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, p = ctx.saved_tensors
        m, n = a.shape[-2], a.shape[-1]
        gt = grad.mT
        out = -p.mT.matmul(grad).matmul(p.mT)
        out = out + (_eye_like(a, m) - a.matmul(p)).matmul(gt).matmul(p).matmul(p.mT)
        out = out + p.mT.matmul(p).matmul(gt).matmul(_eye_like(a, n) - p.matmul(a))
        return out, None, None


class Svd(Op):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``. Backward (Townsend 2016) over the reduced
    factors (``k = min(m, n)``; with ``full_matrices`` the extra columns carry no gradient), for
    distinct nonzero singular values, with ``V = Vh^T`` and ``F_ij = 1 / (s_j^2 - s_i^2)``:
    ``dA = U [ (F o (U^T gU - gU^T U)) S + diag(gS) + S (F o (V^T gV - gV^T V)) ] V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T)``."""
    node_name = "LinalgSvdBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a, full_matrices):
        xp = get_array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        ctx.save_for_backward(u, s, vh)
        ctx.k, ctx.shape = s.shape[-1], a.shape
        return u, s, vh

    def backward(ctx, grad_u, grad_s, grad_vh):
        u, s, vh = ctx.saved_tensors
        k = ctx.k
        m, n = ctx.shape[-2], ctx.shape[-1]
        u, v = u[..., :, :k], vh[..., :k, :].mT
        middle = s.new_zeros(tuple(s.shape) + (k,))
        if grad_s is not None:
            middle = middle + grad_s.diag_embed()
        if grad_u is None and grad_vh is None:
            return u.matmul(middle).matmul(v.mT), None
        s2 = s * s
        eye = _eye_like(s, k)
        f = (1.0 - eye) / (s2.unsqueeze(-2) - s2.unsqueeze(-1) + eye)
        out = None
        if grad_u is not None:
            gu = grad_u[..., :, :k]
            j = u.mT.matmul(gu)
            middle = middle + (f * (j - j.mT)) * s.unsqueeze(-2)
            if m > k:
                out = (gu - u.matmul(j)).matmul((1.0 / s).diag_embed()).matmul(v.mT)
        if grad_vh is not None:
            gv = grad_vh[..., :k, :].mT
            j = v.mT.matmul(gv)
            middle = middle + s.unsqueeze(-1) * (f * (j - j.mT))
            if n > k:
                extra = u.matmul((1.0 / s).diag_embed()).matmul((gv - v.matmul(j)).mT)
                out = extra if out is None else out + extra
        core = u.matmul(middle).matmul(v.mT)
        return (core if out is None else core + out), None


class Qr(Op):
    """``(Q, R)`` with ``A = Q R``. Backward for ``m >= n`` in reduced mode (Seeger et al.):
    ``M = R gR^T - gQ^T Q``, ``dA = (gQ + Q copyltu(M)) R^{-T}``, ``copyltu`` mirroring the
    lower triangle of ``M`` onto the upper one."""
    node_name = "LinalgQrBackward0"  # PyTorch's name of the node

    @_lapack
    def forward(ctx, a, mode):
        q, r = get_array_module(a).linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        ctx.reduced = mode == "reduced" or a.shape[-2] <= a.shape[-1] and mode == "complete"
        ctx.wide = a.shape[-2] < a.shape[-1]
        return q, r

    def backward(ctx, grad_q, grad_r):
        if ctx.wide or not ctx.reduced:
            raise NotImplementedError("the QR gradient is implemented for A with at least as "
                                      "many rows as columns, in mode='reduced' (or square)")
        q, r = ctx.saved_tensors
        m = q.new_zeros(tuple(r.shape))
        if grad_r is not None:
            m = m + r.matmul(grad_r.mT)
        if grad_q is not None:
            m = m - grad_q.mT.matmul(q)
        low = m.tril(-1)
        b = q.matmul(low + low.mT + m.diagonal(0, -2, -1).diag_embed())
        if grad_q is not None:
            b = b + grad_q
        return b.matmul(Inv.apply(r).mT), None
