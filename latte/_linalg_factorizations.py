"""``latte.linalg``'s LU, QR-reflector and LDL factorizations, tensor inverses and solves, and the
older ``torch.lu``/``torch.lu_solve``/``torch.triangular_solve`` spellings.

The LU forward is ``latte/ops/lu.py``; everything else is composed of differentiable Tensor ops
(reflector products, triangular solves, row gathers), so gradients need no extra formulas.
"""
from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING

import numpy as np

from latte import backend, dtypes
from latte._functional.common import promote_all
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops import lu as _lu
from latte.ops import matrix_functions as L

if TYPE_CHECKING:
    from latte.tensor import Tensor

LUFactorResult = namedtuple("linalg_lu_factor", ["LU", "pivots"])
LUFactorExResult = namedtuple("linalg_lu_factor_ex", ["LU", "pivots", "info"])
LUResult = namedtuple("linalg_lu", ["P", "L", "U"])
LUUnpackResult = namedtuple("lu_unpack", ["P", "L", "U"])
GeqrfResult = namedtuple("geqrf", ["a", "tau"])
LDLFactorResult = namedtuple("linalg_ldl_factor", ["LD", "pivots"])
LDLFactorExResult = namedtuple("linalg_ldl_factor_ex", ["LD", "pivots", "info"])
TriangularSolveResult = namedtuple("triangular_solve", ["solution", "cloned_coefficient"])


def _floating(name: str, A: Tensor, half: bool = False) -> Tensor:
    """``A`` itself: PyTorch's decompositions take only float32/float64 tensors (LAPACK has no
    integer or half-precision routines); norms and ``matrix_exp`` (``half``) take float16 too."""
    if not A.is_floating_point():
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as "
                           f"input. Got {A.dtype}")
    if A._data.dtype.itemsize < 4 and not half:
        raise RuntimeError(f"linalg.{name}: Low precision dtypes not supported. Got {A.dtype}")
    return A


def _square(name: str, A: Tensor, half: bool = False) -> Tensor:
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{' by '.join(str(s) for s in A.shape[-2:])} matrices (shape "
                           f"{tuple(A.shape)})")
    return _floating(name, A, half)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``); ``B`` may be a vector (or a batch
    of vectors) or a batch of matrices."""
    A = _square("solve", A)
    if not left:
        return solve(A.mT, B.mT).mT
    A, B = promote_all([A, B._floating()])
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if (B.shape[-1] if vector else B.shape[-2]) != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({tuple(A.shape)} and {tuple(B.shape)})")
    if vector:
        return L.Solve.apply(A, B.unsqueeze(-1)).squeeze(-1)
    batch = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    A = A.expand(batch + tuple(A.shape[-2:]))
    B = B.expand(batch + tuple(B.shape[-2:]))
    return L.Solve.apply(A, B)


@named_node("LinalgSolveTriangularBackward0")
def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``) reading only the ``upper`` (or
    lower) triangle of ``A``; ``unitriangular`` takes its diagonal as ones."""
    A = _square("solve_triangular", A)
    tri = A.triu() if upper else A.tril()
    if unitriangular:
        tri = tri - tri.diagonal(0, -2, -1).diag_embed() + L._eye_like(A, A.shape[-1])
    return solve(tri, B, left=left)


def _is_cpu(t: Tensor) -> bool:
    return type(t._data) is np.ndarray


# --- LU ----------------------------------------------------------------------------------------
def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False) -> tuple:
    """``(LU, pivots, info)``: the LU factorization with partial pivoting ``A = P L U`` in
    LAPACK's compact form (``L`` unit lower below the diagonal, ``U`` on and above), 1-based
    int32 ``pivots`` (row ``i`` swapped with row ``pivots[i]``) and ``info`` (the 1-based index
    of the first zero on ``U``'s diagonal, 0 if none); differentiable through ``LU``.

    Example::

        >>> LU, pivots, info = latte.linalg.lu_factor_ex(latte.randn(3, 3))
    """
    if A.ndim < 2:
        raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(A.shape)} instead")
    _floating("lu_factor", A)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    lu, pivots, info = _lu.LuFactor.apply(A)
    if check_errors and _is_cpu(info) and info._data.size and info._data.max() > 0:
        raise L.LinAlgError(f"torch.linalg.lu_factor_ex: U[{info._data.max()},"
                            f"{info._data.max()}] is zero and using it on lu_solve would result "
                            f"in a division by zero.")
    return LUFactorExResult(lu, pivots, info)


def lu_factor(A: Tensor, *, pivot: bool = True) -> tuple:
    """``(LU, pivots)`` of ``lu_factor_ex``, raising ``LinAlgError`` (a ``RuntimeError``) for a
    singular matrix, whose factors ``lu_solve`` could not use.

    Example::

        >>> A = latte.randn(2, 3, 3)
        >>> LU, pivots = latte.linalg.lu_factor(A)
        >>> X = latte.linalg.lu_solve(LU, pivots, latte.randn(2, 3, 1))
    """
    lu, pivots, info = lu_factor_ex(A, pivot=pivot)
    if _is_cpu(info) and info._data.size and info._data.max() > 0:
        first = int(info._data.reshape(-1)[np.argmax(info._data.reshape(-1) > 0)])
        raise L.LinAlgError(
            f"torch.linalg.lu_factor: U[{first},{first}] is zero and using it on lu_solve would "
            f"result in a division by zero. If you still want to perform the factorization, "
            f"consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")
    return LUFactorResult(lu, pivots)


def _permutation(pivots: Tensor, m: int) -> Tensor:
    """The row order ``perm`` of ``P^T A = A[perm]`` as an int64 tensor."""
    return function.Tensor(backend.run_on(pivots._data, _lu.permutation_array, pivots._data, m))


@named_node("LuUnpackBackward0")
def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True,
              unpack_pivots: bool = True) -> tuple:
    """``(P, L, U)`` from ``lu_factor``'s compact ``(LU, pivots)``: ``A = P L U`` with ``L``
    (``m x k``) unit lower and ``U`` (``k x n``) upper triangular; an unrequested part is an
    empty tensor. Differentiable through ``LU_data``."""
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    empty = LU_data.new_zeros((0,))
    if unpack_data:
        low = LU_data[..., :, :k].tril(-1) + _lu._eye(LU_data, m, k)
        up = LU_data[..., :k, :].triu()
    else:
        low = up = empty
    if unpack_pivots:
        if LU_pivots.dtype != dtypes.int32:
            raise RuntimeError(f"torch.lu_unpack: LU_pivots is expected to be a contiguous "
                               f"tensor of torch.int32 dtype. Note: this function is intended "
                               f"to be used with the output produced by torch.linalg.lu_factor. "
                               f"Got {LU_pivots.dtype}")
        perm = _permutation(LU_pivots, m)._data
        xp, dtype = LU_data._xp(), LU_data._data.dtype
        # P[r, i] = 1 where r == perm[i]: A = P (P^T A) puts row i back at perm[i]
        P = function.Tensor(backend.run_on(perm, lambda: (
            xp.arange(m)[:, None] == perm[..., None, :]).astype(dtype)))
    else:
        P = empty
    return LUUnpackResult(P, low, up)




@named_node("LinalgLuBackward0")
def lu(A: Tensor, *, pivot: bool = True) -> tuple:
    """``(P, L, U)`` with ``A = P L U``: ``P`` a permutation, ``L`` unit lower (``m x k``),
    ``U`` upper (``k x n``), ``k = min(m, n)``; differentiable through ``L`` and ``U``.

    Example::

        >>> P, L, U = latte.linalg.lu(latte.randn(3, 4))
    """
    lu_data, pivots, _ = lu_factor_ex(A, pivot=pivot)
    return LUResult(*lu_unpack(lu_data, pivots))


def _solve_shapes(LU: Tensor, B: Tensor) -> None:
    if LU.ndim < 2 or LU.shape[-1] != LU.shape[-2]:
        raise RuntimeError(f"torch.linalg.lu_solve: A must be batches of square matrices, but "
                           f"they are {LU.shape[-2] if LU.ndim > 1 else 1} by {LU.shape[-1]} "
                           f"matrices")
    if B.ndim < 2:
        raise RuntimeError(f"linalg.lu_solve: The input tensor B must have at least 2 "
                           f"dimensions (shape {tuple(B.shape)})")


@named_node("LinalgLuSolveBackward0")
def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True,
             adjoint: bool = False) -> Tensor:
    """``X`` with ``A X = B`` for ``A = P L U`` given ``lu_factor``'s ``(LU, pivots)``
    (``adjoint``: ``A^T X = B``; ``left=False``: ``X A = B``); batch dims broadcast.

    Example::

        >>> A, B = latte.randn(3, 3), latte.randn(3, 2)
        >>> X = latte.linalg.lu_solve(*latte.linalg.lu_factor(A), B)
    """
    _solve_shapes(LU, B)
    if not left:  # X A = B  <=>  A^T X^T = B^T
        return lu_solve(LU, pivots, B.mT, adjoint=not adjoint).mT
    n = LU.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'A^H X = B' if adjoint else 'AX = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]})")
    LU, B = promote_all([LU, B])
    batch = np.broadcast_shapes(tuple(LU.shape[:-2]), tuple(B.shape[:-2]))
    LU = LU.expand(batch + (n, n))
    B = B.expand(batch + tuple(B.shape[-2:]))
    perm = _permutation(pivots, n)
    if not adjoint:  # X = U^-1 L^-1 P^T B
        y = solve_triangular(LU, _lu.permute_rows(B, perm), upper=False, unitriangular=True)
        return solve_triangular(LU, y, upper=True)
    y = solve_triangular(LU.mT, B, upper=False)  # X = P L^-T U^-T B
    y = solve_triangular(LU.mT, y, upper=True, unitriangular=True)
    xp = perm._xp()
    inverse = function.Tensor(backend.run_on(perm._data, lambda: xp.argsort(perm._data, -1)))
    return _lu.permute_rows(y, inverse)


def lu_legacy(A: Tensor, pivot: bool = True, get_infos: bool = False) -> tuple:
    """``torch.lu`` (deprecated in PyTorch for ``linalg.lu_factor``): ``(LU, pivots)``, with
    ``get_infos`` also ``info`` (and then no error for singular input)."""
    if get_infos:
        return lu_factor_ex(A, pivot=pivot)
    return tuple(lu_factor(A, pivot=pivot))


def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """``torch.lu_solve(b, LU_data, LU_pivots)``: ``linalg.lu_solve`` with the right-hand side
    first."""
    return lu_solve(LU_data, LU_pivots, b)


# --- Householder reflectors --------------------------------------------------------------------
@named_node("LinalgHouseholderProductBackward0")
def householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """The first ``n`` columns of the product of ``H_1``, ..., ``H_k``, with
    ``H_i = I - tau_i v_i v_i^T`` and ``v_i`` column ``i`` of ``A`` below the diagonal and 1 on
    it (LAPACK's ``orgqr``: the ``Q`` of ``geqrf``'s output); differentiable in ``A`` and
    ``tau``.

    Example::

        >>> a, tau = latte.geqrf(latte.randn(4, 3))
        >>> Q = latte.linalg.householder_product(a, tau)  # Q of the QR, 4 x 3
    """
    name = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if A.shape[-2] < A.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1]")
    if tau.shape[-1:] and A.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1]")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    m, n = A.shape[-2], A.shape[-1]
    eye = L._eye_like(A, m)
    V = A.tril(-1) + eye[:, :n]
    Q = eye[:, :n].expand(tuple(A.shape[:-2]) + (m, n))
    for i in reversed(range(tau.shape[-1])):  # H_1 (H_2 (... (H_k E))): m x n products only
        v = V[..., :, i:i + 1]
        Q = Q - tau[..., i, None, None] * v.matmul(v.mT.matmul(Q))
    return Q


def orgqr(input: Tensor, tau: Tensor) -> Tensor:
    """``torch.orgqr``: the same as ``linalg.householder_product``."""
    return householder_product(input, tau)


@named_node("OrmqrBackward0")
def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True,
          transpose: bool = False) -> Tensor:
    """``Q other`` (``left=False``: ``other Q``; ``transpose``: ``Q^T``) for the full ``m x m``
    ``Q``, the product of ``geqrf``'s reflectors ``H_1``, ..., ``H_k``, applied one reflector
    at a time (``Q`` is never formed); differentiable in all three tensors."""
    if input.ndim < 2 or other.ndim < 2:
        raise RuntimeError(f"torch.ormqr: input and other must have at least 2 dimensions "
                           f"(shapes {tuple(input.shape)} and {tuple(other.shape)})")
    m = other.shape[-2] if left else other.shape[-1]
    if input.shape[-2] != m:
        raise RuntimeError(f"torch.ormqr: input.shape[-2] must be equal to other.shape"
                           f"[{-2 if left else -1}] (shapes {tuple(input.shape)} and "
                           f"{tuple(other.shape)})")
    if tau.shape[-1] > min(input.shape[-2:]):
        raise RuntimeError(f"torch.ormqr: tau.shape[-1] must be less than or equal to "
                           f"input.shape[-1] (shapes {tuple(tau.shape)} and "
                           f"{tuple(input.shape)})")
    k = tau.shape[-1]
    V = input[..., :, :k].tril(-1) + L._eye_like(input, m)[:, :k]
    order = range(k) if left == transpose else reversed(range(k))
    out = other
    for i in order:  # H_i = I - tau_i v_i v_i^T, symmetric
        v, t = V[..., :, i:i + 1], tau[..., i, None, None]
        out = out - t * v.matmul(v.mT.matmul(out)) if left else \
            out - t * out.matmul(v).matmul(v.mT)
    return out


def geqrf(input: Tensor) -> tuple:
    """``(a, tau)``: the QR factorization in LAPACK's ``geqrf`` form, ``R`` on and above the
    diagonal of ``a`` and the Householder vectors below it, with their scales ``tau``
    (``householder_product(a, tau)`` is ``Q``); not differentiable, as in PyTorch."""
    if input.ndim < 2:
        raise RuntimeError(f"torch.geqrf: input must have at least 2 dimensions. Got "
                           f"{input.ndim}")
    _floating("geqrf", input)
    xp = input._xp()
    data = input._data
    m, n = data.shape[-2:]

    def raw() -> tuple:
        flat = data.reshape((-1, m, n))
        hs, taus = [], []
        for mat in flat:  # CuPy's raw QR takes one matrix at a time
            h, t = xp.linalg.qr(mat, mode="raw")
            hs.append(h.T)
            taus.append(t)
        if not hs:
            return (xp.zeros(data.shape, data.dtype),
                    xp.zeros(data.shape[:-2] + (min(m, n),), data.dtype))
        return (xp.ascontiguousarray(xp.stack(hs).reshape(data.shape).astype(data.dtype)),
                xp.stack(taus).reshape(data.shape[:-2] + (min(m, n),)).astype(data.dtype))
    a, tau = backend.run_on(data, raw)
    return GeqrfResult(function.Tensor(a), function.Tensor(tau))


# --- LDL^T (Bunch-Kaufman) ---------------------------------------------------------------------
def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False) -> tuple:
    """``(LD, pivots, info)``: ``A = P L D L^T P^T`` for real symmetric ``A`` (its lower
    triangle read) with Bunch-Kaufman pivoting, in LAPACK's ``sytrf`` form: ``L`` unit lower
    below the diagonal of ``LD``, the 1x1 and 2x2 blocks of ``D`` on its diagonal (and
    subdiagonal); ``pivots`` as LAPACK's (negative for a 2x2 block). Not differentiable, as in
    PyTorch; factored on the host (pivoting decides from the values)."""
    _square("ldl_factor", A)
    from latte.ops import ldl as _ldl
    ld, pivots, info = _ldl.ldl_factor_array(A._data)
    if check_errors and _is_cpu(A) and info.size and info.max() > 0:
        raise L.LinAlgError(f"torch.linalg.ldl_factor_ex: the factorization could not be "
                            f"completed because the input is singular (D[{info.max()}] is zero)")
    return LDLFactorExResult(function.Tensor(ld), function.Tensor(pivots),
                             function.Tensor(info))


def ldl_factor(A: Tensor, *, hermitian: bool = False) -> tuple:
    """``(LD, pivots)`` of ``ldl_factor_ex``, raising ``LinAlgError`` for a singular matrix.

    Example::

        >>> A = latte.randn(3, 3); A = A + A.mT
        >>> LD, pivots = latte.linalg.ldl_factor(A)
        >>> X = latte.linalg.ldl_solve(LD, pivots, latte.randn(3, 2))
    """
    ld, pivots, info = ldl_factor_ex(A, hermitian=hermitian)
    if _is_cpu(info) and info._data.size and info._data.max() > 0:
        raise L.LinAlgError(f"torch.linalg.ldl_factor: the factorization could not be "
                            f"completed because the input is singular (D[{info._data.max()}] "
                            f"is zero)")
    return LDLFactorResult(ld, pivots)


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False) -> Tensor:
    """``X`` with ``A X = B`` given ``ldl_factor``'s ``(LD, pivots)`` of ``A`` (LAPACK's
    ``sytrs``); batch dims broadcast. Not differentiable, as in PyTorch."""
    if LD.ndim < 2 or LD.shape[-1] != LD.shape[-2]:
        raise RuntimeError(f"torch.linalg.ldl_solve: LD must be batches of square matrices, "
                           f"but they are {' by '.join(str(s) for s in LD.shape[-2:])} matrices")
    if B.ndim < 2 or B.shape[-2] != LD.shape[-1]:
        raise RuntimeError(f"torch.linalg.ldl_solve: Incompatible shapes of LD and B for the "
                           f"equation AX = B ({tuple(LD.shape)} and {tuple(B.shape)})")
    if LD.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.ldl_solve: Expected LD and B to have the same dtype, "
                           f"but got LD with dtype {LD.dtype} and B with dtype {B.dtype}")
    from latte.ops import ldl as _ldl
    return function.Tensor(_ldl.ldl_solve_array(LD._data, pivots._data, B._data))


# --- tensor inverses and solves ----------------------------------------------------------------
# --- complex results ---------------------------------------------------------------------------
def eig(A: Tensor) -> tuple:
    """``torch.linalg.eig`` returns complex eigenvalues and eigenvectors; Latte has no complex
    dtype, so it raises ``NotImplementedError`` (for symmetric input use ``linalg.eigh``)."""
    raise NotImplementedError("linalg.eig: the eigenvalues of a general real matrix are complex "
                              "and Latte has no complex dtype; for a symmetric matrix use "
                              "latte.linalg.eigh")


def eigvals(A: Tensor) -> Tensor:
    """``torch.linalg.eigvals`` returns complex eigenvalues; Latte has no complex dtype, so it
    raises ``NotImplementedError`` (for symmetric input use ``linalg.eigvalsh``)."""
    raise NotImplementedError("linalg.eigvals: the eigenvalues of a general real matrix are "
                              "complex and Latte has no complex dtype; for a symmetric matrix "
                              "use latte.linalg.eigvalsh")


# --- older spellings ---------------------------------------------------------------------------
@named_node("TriangularSolveBackward0")
def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,
                     unitriangular: bool = False) -> tuple:
    """``torch.triangular_solve`` (deprecated in PyTorch for ``linalg.solve_triangular``):
    ``(solution, cloned_coefficient)`` with ``op(A) X = b``, ``op`` the transpose when
    ``transpose``, reading the ``upper`` (or lower) triangle of ``A``."""
    tri = A.mT if transpose else A
    x = solve_triangular(tri, b, upper=upper != transpose, unitriangular=unitriangular)
    batch = tuple(x.shape[:-2]) + tuple(A.shape[-2:])  # the coefficient broadcast as b's batch
    return TriangularSolveResult(x, A.expand(batch).clone())
