"""Ready-made parametrizations, as ``torch.nn.utils.parametrizations``: ``weight_norm``,
``spectral_norm`` and ``orthogonal``, each registered through ``parametrize`` so that
``state_dict`` keys equal PyTorch's (``parametrizations.weight.original0``...)."""
from __future__ import annotations

import numpy as np

from latte import creation, dtypes, linalg
from latte import functional as L
from latte.autograd.grad_mode import no_grad
from latte.nn.functional import normalize
from latte.nn.modules.module import Module
from latte.nn.utils import parametrize
from latte.tensor import Tensor

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# --- orthogonal ------------------------------------------------------------------------------
def _is_orthogonal(Q: Tensor) -> bool:
    n, k = Q.shape[-2], Q.shape[-1]
    eye = creation.eye(k, dtype=Q.dtype, device=Q.device)
    eps = 10.0 * n * float(np.finfo(dtypes.to_numpy_dtype(Q.dtype)).eps)
    return bool(L.allclose(Q.mH @ Q, eye, atol=eps))


def _make_orthogonal(A: Tensor) -> Tensor:
    """The ``Q`` of ``A = Q R`` with ``R``'s diagonal positive (the unique such QR)."""
    Q, R = linalg.qr(A)
    return Q * R.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)


_MAPS = ("matrix_exp", "cayley", "householder")


class _Orthogonal(Module):
    """``X -> Q`` with orthonormal columns (or rows, for a wide ``X``) through ``orthogonal_map``;
    with ``use_trivialization`` the result is ``base @ Q`` for a buffer ``base``."""

    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: str, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == "householder":
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                X = L.cat([X, X.new_zeros((n, n - k)).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(A)
            else:  # the Cayley map (I - A/2)^-1 (I + A/2)
                eye = creation.eye(n, dtype=A.dtype, device=A.device)
                Q = linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = linalg.householder_product(A, tau)
            # the diagonal of X (+-1 after right_inverse) flips columns; an integer cast, so
            # no gradient flows to it (as PyTorch's)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).detach().int().unsqueeze(-2)
        if "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:
        """An ``X`` with ``forward(X) == Q`` for an orthogonal ``Q`` (with a trivialization:
        ``base`` becomes ``Q``, completed to a square orthogonal matrix, and ``X = -I``)."""
        with no_grad():
            if tuple(Q.shape) != tuple(self.shape):
                raise ValueError(f"Expected a matrix or batch of matrices of shape "
                                 f"{self.shape}. Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in ("matrix_exp", "cayley"):
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential or the Cayley "
                        "parametrizations when use_trivialization=False.")
                A, tau = linalg.geqrf(Q)
                # the sign of each column goes on the diagonal; a zero tau means no reflection
                sign = A.diagonal(dim1=-2, dim2=-1).sign()
                sign = L.where(tau == 0.0, -sign, sign)
                eye = creation.eye(n, k, dtype=A.dtype, device=A.device)
                A = A * (1 - eye) + eye * sign.unsqueeze(-2)
                return A.mT if transpose else A
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:  # complete Q's columns to a square orthogonal base
                N = creation.randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(L.cat([Q, N], dim=-1))
            self.base = Q
            neg_eye = creation.zeros_like(Q_init)
            neg_eye.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_eye


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Constrain the matrix (or batch of matrices) ``module.<name>`` to be orthogonal: its
    columns orthonormal when tall, its rows when wide.

    ``orthogonal_map`` is ``"matrix_exp"``, ``"cayley"`` or ``"householder"`` (default:
    ``"matrix_exp"`` for square matrices, ``"householder"`` otherwise). With
    ``use_trivialization`` (the default) the parametrized weight is ``base @ map(original)``
    for a buffer ``base`` updated when the weight is assigned. Returns ``module``.

    Example::

        >>> m = orthogonal(nn.Linear(20, 40))
        >>> Q = m.weight
        >>> latte.dist(Q.T @ Q, latte.eye(20)) < 1e-4
        tensor(True)
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] or \
            weight.is_complex() else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# --- weight norm -----------------------------------------------------------------------------
def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """The 2-norm of ``v`` over every dim but ``dim``, kept as size 1 (``dim=-1``: the norm of
    all of ``v``, a scalar, as ``torch.norm_except_dim``)."""
    if dim == -1:
        return v.norm()
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(others, keepdim=True).sqrt() if others else v.abs()


class _WeightNorm(Module):
    """``(g, v) -> g * v / ||v||``, the norm over every dim but ``dim``."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``w = g * v / ||v||`` with a magnitude ``g``
    (``parametrizations.<name>.original0``) and a direction ``v`` (``original1``), the norm
    taken over every dim but ``dim`` (``dim=None``: over the whole tensor). Returns ``module``.

    Example::

        >>> m = weight_norm(nn.Linear(20, 40), name="weight")
        >>> m.parametrizations.weight.original0.shape
        latte.Size([40, 1])
        >>> m.parametrizations.weight.original1.shape
        latte.Size([40, 20])
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# --- spectral norm ---------------------------------------------------------------------------
class _SpectralNorm(Module):
    """``W -> W / sigma(W)``, ``sigma`` the largest singular value estimated by power iteration
    on buffers ``_u`` and ``_v`` (advanced ``n_power_iterations`` steps per call in training)."""

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = weight_mat.shape
            u = weight_mat.new_empty((h,)).normal_(0, 1)
            v = weight_mat.new_empty((w,)).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # in place, so the buffers stay the objects state_dict and load_state_dict hold
        with no_grad():
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(L.mv(weight_mat, self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(L.mv(weight_mat.mH, self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat.detach(), self.n_power_iterations)
        # copies: the next call's in-place update must not change what backward reads
        u, v = self._u.clone(), self._v.clone()
        sigma = L.dot(u, L.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _transposed_convolutions() -> tuple:
    """The transposed convolution classes, whose weights hold output channels in dim 1."""
    from latte import nn
    return tuple(getattr(nn, c) for c in ("ConvTranspose1d", "ConvTranspose2d",
                                           "ConvTranspose3d") if hasattr(nn, c))


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Divide ``module.<name>`` by its spectral norm (largest singular value), estimated by
    ``n_power_iterations`` steps of power iteration per forward in training mode, on buffers
    ``parametrizations.<name>.0._u`` and ``._v``. The weight is reshaped to a matrix with
    ``dim`` (default 0, 1 for transposed convolutions) as rows. Returns ``module``.

    Example::

        >>> snm = spectral_norm(nn.Linear(20, 40))
        >>> snm.parametrizations.weight.original.shape
        latte.Size([40, 20])
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, _transposed_convolutions()) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
