"""``latte.linalg``: norms, inverses, solves and decompositions with ``torch.linalg``'s API.

Matrices are the last two dims; leading dims are a batch. Differentiable: norms, ``inv``,
``det``, ``slogdet`` (log), ``solve``, ``cholesky``, ``eigh``, ``svd``, ``svdvals``, ``qr``
(tall), ``pinv``, ``lstsq`` (solution), ``cross``, ``lu_factor``/``lu``/``lu_solve``,
``householder_product``, ``tensorinv``/``tensorsolve``; ``matrix_rank`` counts; ``ldl_factor``
and ``ldl_solve`` have no gradient (as in PyTorch); ``eig``/``eigvals`` (complex results) raise
``NotImplementedError``. The factorizations live in ``latte/_linalg_factorizations.py``.
Example: ``latte.linalg.solve(A, b)``.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple
from typing import TYPE_CHECKING, Any

import numpy as np

from latte import backend
from latte._functional.joining import stack
from latte._functional.products import cross as _cross
from latte._linalg_factorizations import (  # noqa: F401 (the older spellings live there too)
    _floating,
    _square,
    eig,
    eigvals,
    geqrf,
    householder_product,
    ldl_factor,
    ldl_factor_ex,
    ldl_solve,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_legacy,
    lu_solve,
    lu_solve_legacy,
    lu_unpack,
    orgqr,
    ormqr,
    solve,
    solve_triangular,
    triangular_solve,
)
from latte._out_argument import with_out
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops import matrix_functions as L

if TYPE_CHECKING:
    from latte.tensor import Tensor

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "det", "slogdet", "solve", "cholesky",
           "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_rank", "lstsq", "cross",
           "matmul", "diagonal", "inv_ex", "cholesky_ex", "matrix_power", "multi_dot", "vecdot",
           "solve_triangular", "solve_ex", "cond", "vander", "matrix_exp", "lu_factor",
           "lu_factor_ex", "lu", "lu_solve", "householder_product", "tensorinv", "tensorsolve",
           "eig", "eigvals", "ldl_factor", "ldl_factor_ex", "ldl_solve"]

LinAlgError = L.LinAlgError  # a RuntimeError, as torch.linalg.LinAlgError

_INF = builtins.float("inf")
SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
EighResult = namedtuple("eigh", ["eigenvalues", "eigenvectors"])
QRResult = namedtuple("qr", ["Q", "R"])
SVDResult = namedtuple("svd", ["U", "S", "Vh"])
LstsqResult = namedtuple("lstsq", ["solution", "residuals", "rank", "singular_values"])
InvExResult = namedtuple("inv_ex", ["inverse", "info"])
CholeskyExResult = namedtuple("cholesky_ex", ["L", "info"])


def _matrix(name: str, A: Tensor) -> Tensor:
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions "
                           f"(shape {tuple(A.shape)})")
    return _floating(name, A)


# --- norms -------------------------------------------------------------------------------------
@named_node("LinalgVectorNormBackward0")
def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """``(sum |x|^ord) ** (1/ord)`` over ``dim`` (all dims when None); ``ord`` may be ``inf``,
    ``-inf`` or 0 (the count of nonzeros)."""
    x = _floating("vector_norm", x, half=True) if dtype is None else x.to(dtype)
    if ord == -_INF:
        return x.abs().amin(() if dim is None else dim, keepdim)
    return x.norm(ord, dim, keepdim)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """Matrix norm over the two dims ``dim``: ``'fro'``, ``'nuc'``, ``inf``, ``-inf``, 1, -1,
    2 (largest singular value) or -2 (smallest)."""
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: The input tensor A must have at least 2 "
                           f"dimensions (shape {tuple(A.shape)})")
    d0, d1 = (A._dim(d) for d in dim)  # PyTorch checks the dims before the dtype
    A = _floating("matrix_norm", A if dtype is None else A.to(dtype), half=True)
    if ord == "fro":
        return A.norm(2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        moved = A.movedim((d0, d1), (-2, -1))
        s = svdvals(moved)
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        if keepdim:
            out = out.unsqueeze(builtins.min(d0, d1)).unsqueeze(builtins.max(d0, d1))
        return out
    if ord in (1, -1, _INF, -_INF):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=True)
        out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None) -> Tensor:
    """A vector norm (``dim`` an int, or a 1-D input) or a matrix norm (``dim`` a pair, or a
    2-D input with ``ord`` given); with neither, the 2-norm of the flattened input."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2 or (dim is None and ord is not None and A.ndim == 2):
        return matrix_norm(A, "fro" if ord is None else ord, (-2, -1) if dim is None else dim,
                           keepdim, dtype=dtype)
    if dim is None and ord is not None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# --- inverses and solves -----------------------------------------------------------------------
def inv(A: Tensor) -> Tensor:
    """The inverse of each square matrix (``numpy.linalg.LinAlgError`` if singular)."""
    return L.Inv.apply(_square("inv", A))


def inv_ex(A: Tensor, *, check_errors: bool = False) -> tuple:
    """``(inverse, info)``; ``info`` is 0 for each invertible matrix."""
    out = inv(A)
    info = backend.array_on(out._data, "zeros", tuple(A.shape[:-2]), dtype=np.int32)
    return InvExResult(out, function.Tensor(info))


def det(A: Tensor) -> Tensor:
    """The determinant of each square matrix."""
    return L.Det.apply(_square("det", A))


def slogdet(A: Tensor) -> tuple:
    """``(sign, logabsdet)`` with ``det = sign * exp(logabsdet)``, stable for large matrices."""
    sign, logabs = L.Slogdet.apply(_square("slogdet", A))
    return SlogdetResult(sign, logabs)


@named_node("LinalgCholeskyExBackward0")
def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of each symmetric positive-definite matrix: lower ``L`` with
    ``A = L L^T`` (``upper=True``: ``L^T``)."""
    low = L.Cholesky.apply(_square("cholesky", A))
    return low.mT if upper else low


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False) -> tuple:
    """``(L, info)``; ``info`` is 0 for each factored matrix."""
    low = cholesky(A, upper=upper)
    return CholeskyExResult(low, function.Tensor(backend.array_on(
        low._data, "zeros", tuple(A.shape[:-2]), dtype=np.int32)))


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False) -> Tensor:
    """The Moore-Penrose pseudo-inverse (through the SVD; singular values below
    ``rtol * largest`` count as 0)."""
    if atol is not None:
        raise NotImplementedError("linalg.pinv: atol is not supported; use rtol")
    return L.Pinv.apply(_matrix("pinv", A), rtol, hermitian)


@named_node("LinalgLstsqBackward0")
def lstsq(A: Tensor, B: Tensor, rcond: Any = None, *, driver: Any = None) -> tuple:
    """Least-squares solution of ``A X = B`` (the minimum-norm one for rank-deficient ``A``),
    as ``(solution, residuals, rank, singular_values)``; residuals and singular values are
    empty, as for PyTorch's default CPU driver ``'gelsy'``."""
    A = _matrix("lstsq", A)
    vector = B.ndim == A.ndim - 1
    b = B._floating().unsqueeze(-1) if vector else B._floating()
    x = pinv(A, rtol=rcond).matmul(b)
    empty = A.new_zeros((0,))
    return LstsqResult(x.squeeze(-1) if vector else x, empty, matrix_rank(A, rtol=rcond), empty)


def matrix_power(A: Tensor, n: int) -> Tensor:
    """The product of ``n`` copies of the square matrix ``A``.

    The identity for ``n = 0``, powers of the inverse for ``n < 0``.
    """
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        _square("matrix_power", A)  # raises PyTorch's error; integer powers need no LAPACK
    if n < 0:
        A, n = inv(A), -n
    result = None
    base = A
    while n:
        if n & 1:
            result = base if result is None else result.matmul(base)
        n >>= 1
        if n:
            base = base.matmul(base)
    if result is None:
        # the identity, still taking A's (zero) gradient as PyTorch's does
        never = backend.array_on(A._data, "zeros", (), dtype=bool)
        return A.where(never, 0.0) + L._eye_like(A, A.shape[-1])
    return result


def multi_dot(tensors: Any) -> Tensor:
    """``tensors[0] @ tensors[1] @ ...`` (the first may be 1-D, the last too)."""
    out = tensors[0]
    for t in tensors[1:]:
        out = out.matmul(t)
    return out


# --- decompositions ----------------------------------------------------------------------------
def eigh(A: Tensor, UPLO: str = "L") -> tuple:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices,
    reading the ``UPLO`` triangle; differentiable for distinct eigenvalues."""
    values, vectors = L.Eigh.apply(_square("eigh", A), UPLO.upper() == "U")
    return EighResult(values, vectors)


def eigvalsh(A: Tensor, UPLO: str = "L") -> Tensor:
    """The eigenvalues (ascending) of symmetric matrices."""
    return eigh(A, UPLO).eigenvalues


def svdvals(A: Tensor) -> Tensor:
    """Singular values, descending; differentiable."""
    return L.Svdvals.apply(_matrix("svdvals", A))


def svd(A: Tensor, full_matrices: bool = True) -> tuple:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``; differentiable for distinct nonzero singular
    values (the gradient of U and Vh depends on their sign convention, as in PyTorch)."""
    u, s, vh = L.Svd.apply(_matrix("svd", A), full_matrices)
    return SVDResult(u, s, vh)


def qr(A: Tensor, mode: str = "reduced") -> tuple:
    """``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal columns, ``R`` upper triangular
    (``mode`` ``'reduced'``, ``'complete'`` or ``'r'``); differentiable for ``m >= n`` in
    reduced mode (and square in complete mode), as PyTorch."""
    A = _matrix("qr", A)
    if mode == "r":
        xp = A._xp()
        r = backend.run_on(A._data, lambda: xp.linalg.qr(A._data, mode="r"))
        return QRResult(A.new_zeros((0,)), function.Tensor(r))
    q, r = L.Qr.apply(A, mode)
    return QRResult(q, r)


def matrix_rank(A: Tensor, tol: Any = None, hermitian: bool = False, *, atol: Any = None,
                rtol: Any = None) -> Tensor:
    """The number of singular values above ``max(atol, rtol * largest)`` (default ``rtol``:
    ``eps * max(m, n)``), as int64."""
    A = _matrix("matrix_rank", A)
    s = svdvals(A.detach())
    if tol is not None:
        atol = tol
    eps = builtins.float(np.finfo(A._data.dtype).eps)
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else eps * builtins.max(A.shape[-2:])
    largest = s.amax(-1, keepdim=True) if s.shape[-1] else s.new_zeros(tuple(s.shape[:-1]) + (1,))
    limit = (largest * rtol).clamp(min=0.0 if atol is None else builtins.float(atol))
    return (s > limit).sum(-1)


# --- products ----------------------------------------------------------------------------------
def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (default the last); the operands broadcast."""
    return _cross(input, other, dim)


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """``input @ other``."""
    return input.matmul(other)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """Dot products along ``dim``."""
    return (x * y).sum(dim)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """The ``offset`` diagonal of each matrix."""
    return A.diagonal(offset, dim1, dim2)


# --- the older ``torch.xxx`` spellings (also Tensor methods) -----------------------------------
def logdet(A: Tensor) -> Tensor:
    """``log(det(A))``: NaN where the determinant is negative, -inf where it is 0."""
    sign, logabs = slogdet(A)
    return logabs + sign.log()


def inverse(A: Tensor) -> Tensor:
    """``torch.inverse``: the same as ``linalg.inv``."""
    return inv(A)


def pinverse(A: Tensor, rcond: float = 1e-15) -> Tensor:
    """``torch.pinverse``: ``linalg.pinv`` with ``rcond`` relative to the largest value."""
    return pinv(A, rtol=rcond)


@named_node("CholeskyBackward0")
def cholesky_legacy(A: Tensor, upper: bool = False) -> Tensor:
    """``torch.cholesky(A, upper)``: as ``linalg.cholesky``."""
    return cholesky(A, upper=upper)


SVDLegacy = namedtuple("svd", ["U", "S", "V"])


def svd_legacy(A: Tensor, some: bool = True, compute_uv: bool = True) -> tuple:
    """``torch.svd``: ``(U, S, V)`` with ``A = U diag(S) V^T`` (V, not Vh)."""
    u, s, vh = svd(A, full_matrices=not some)
    if not compute_uv:
        return SVDLegacy(u.new_zeros(tuple(u.shape)), s, vh.new_zeros(tuple(vh.shape)))
    return SVDLegacy(u, s, vh.mT)


def qr_legacy(A: Tensor, some: bool = True) -> tuple:
    """``torch.qr``: ``linalg.qr`` with ``some=False`` for the complete Q."""
    return qr(A, "reduced" if some else "complete")


def chain_matmul(*matrices: Tensor) -> Tensor:
    """``torch.chain_matmul``: the product of the matrices in order."""
    return multi_dot(matrices)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False) -> tuple:
    """``(solution, info)``; ``info`` is 0 for each solved system."""
    out = solve(A, B, left=left)
    info = function.Tensor(
        backend.array_on(out._data, "zeros", tuple(A.shape[:-2]), dtype=np.int32))
    return namedtuple("solve_ex", ["result", "info"])(out, info)


def cond(A: Tensor, p: Any = None) -> Tensor:
    """The condition number ``||A|| ||A^-1||`` in the norm ``p`` (None/2: largest over smallest
    singular value)."""
    if p in (None, 2, -2):
        s = svdvals(A)
        ratio = s.amax(-1) / s.amin(-1)
        return ratio if p != -2 else 1.0 / ratio
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def vander(x: Tensor, *, N: Any = None) -> Tensor:
    """Powers ``x ** 0, x ** 1, ..., x ** (N-1)`` along a new last dim (``N`` defaults to the
    size of the last dim)."""
    n = x.shape[-1] if N is None else int(N)
    cols, power = [], x.new_ones(tuple(x.shape))
    for _ in range(n):
        cols.append(power)
        power = power * x
    return stack(cols, -1)


@named_node("LinalgMatrixExpBackward0")
def matrix_exp(A: Tensor) -> Tensor:
    """``exp(A) = sum A^k / k!`` by scaling and squaring: an 18-term Taylor series of
    ``A / 2^s`` (1-norm <= 1/2), squared ``s`` times; differentiable through its products."""
    A = _square("matrix_exp", A, half=True)
    if A._data.dtype == np.float16:  # PyTorch takes float16 too: compute in float32
        return matrix_exp(A.float()).half()
    if A._data.size == 0:
        return A.clone()
    # per matrix: s squarings, with ||A / 2^s||_1 <= 1/2; a matrix with NaN or inf gives NaN
    # (as PyTorch), with no squarings: log2(inf) rounds would never end
    norm = A.detach().abs().sum(-2).amax(-1)
    finite = norm.isfinite()
    steps = (norm / 0.5).log2().ceil().clamp(min=0.0).where(finite, 0.0)
    finite_mat = finite.unsqueeze(-1).unsqueeze(-1)
    scaled = A.where(finite_mat, 0.0) / (2.0 ** steps).unsqueeze(-1).unsqueeze(-1)
    eye = L._eye_like(A, A.shape[-1])
    result, term = eye + scaled, scaled
    for k in range(2, 19):
        term = term.matmul(scaled) / float(k)
        result = result + term
    # on the CPU the largest count is free to read; a GPU runs a fixed 40 rounds (norms up to
    # 2^39), each matrix squaring only in its first s rounds, rather than sync to read it
    rounds = int(steps.max()) if type(A._data) is np.ndarray else 40
    for k in range(rounds):
        squared = result.matmul(result)
        result = squared.where((steps > k).unsqueeze(-1).unsqueeze(-1), result)
    return result.where(finite_mat, float("nan"))


# --- more older spellings ----------------------------------------------------------------------
def cholesky_solve(B: Tensor, L_: Tensor, upper: bool = False) -> Tensor:
    """``X`` with ``A X = B`` for ``A = L L^T`` given its Cholesky factor (``upper``: ``U^T U``)."""
    low = L_.mT if upper else L_
    return solve_triangular(low.mT, solve_triangular(low, B, upper=False), upper=True)


def cholesky_inverse(L_: Tensor, upper: bool = False) -> Tensor:
    """``A^-1`` for ``A = L L^T`` given its Cholesky factor (``upper``: ``U^T U``)."""
    low = L_.mT if upper else L_
    return inv(low.matmul(low.mT))


def tensorinv(A: Tensor, ind: int = 2) -> Tensor:
    """The inverse of ``A`` seen as a linear map from its last dims to its first ``ind`` dims:
    ``tensordot(tensorinv(A, ind), A, ind)`` is the identity; shape
    ``A.shape[ind:] + A.shape[:ind]``."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    out_shape, in_shape = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    rows, cols = math.prod(out_shape), math.prod(in_shape)
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    return inv(A.reshape(rows, cols)).reshape(in_shape + out_shape)


def tensorsolve(A: Tensor, B: Tensor, dims: Any = None) -> Tensor:
    """``X`` with ``tensordot(A, X, X.ndim) = B``: ``X`` has shape ``A.shape[B.ndim:]``;
    ``dims`` first moves those dims of ``A`` to the end."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        A = A.movedim(dims, list(range(A.ndim - len(dims), A.ndim)))
    x_shape = tuple(A.shape[B.ndim:])
    rows, cols = B.numel(), math.prod(x_shape)
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:"
                           f"]) == prod(self.shape[:other.ndim]), but got {cols} != {rows} "
                           f"(shapes {tuple(A.shape)} and {tuple(B.shape)})")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(x_shape)


# every function takes PyTorch's out= (the Tensor methods bound to them pass it through too)
for _name in __all__:
    globals()[_name] = with_out(globals()[_name], _name)
