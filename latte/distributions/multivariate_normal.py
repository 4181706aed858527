"""``MultivariateNormal``: the Gaussian over vectors, parametrised by a covariance, a precision
or a lower Cholesky factor; every computation goes through the Cholesky factor ``L``."""
from __future__ import annotations

import functools
import math
from typing import Any

import latte
from latte import linalg
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.tensor import Tensor

__all__ = ["MultivariateNormal"]


def _batch_mv(bmat: Tensor, bvec: Tensor) -> Tensor:
    """Matrix-vector products broadcast over the leading dims."""
    return bmat.matmul(bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(low: Tensor, diff: Tensor) -> Tensor:
    r""":math:`\lVert L^{-1} x \rVert^2` (the squared Mahalanobis distance for :math:`LL^T`),
    broadcast over the leading dims of ``low`` and ``diff``."""
    n = diff.shape[-1]
    batch = latte.broadcast_shapes(tuple(low.shape[:-2]), tuple(diff.shape[:-1]))
    low = low.expand(tuple(batch) + (n, n))
    diff = diff.expand(tuple(batch) + (n,))
    solved = linalg.solve_triangular(low, diff.unsqueeze(-1), upper=False).squeeze(-1)
    return solved.pow(2).sum(-1)


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    """The lower Cholesky factor of ``precision^-1`` without inverting ``precision``: factor
    the flipped matrix, whose transposed flip is ``L^-1`` (as PyTorch does)."""
    flipped = linalg.cholesky(precision.flip(-2, -1))
    inv_low = flipped.flip(-2, -1).mT
    eye = latte.eye(precision.shape[-1], dtype=precision.dtype, device=precision.device)
    return linalg.solve_triangular(inv_low, eye.expand(tuple(precision.shape)), upper=False)


class MultivariateNormal(Distribution):
    r"""The multivariate normal :math:`\mathcal N(\mu, \Sigma)`, as
    ``torch.distributions.MultivariateNormal``.

    Args:
        loc: the mean, shape ``batch_shape + (n,)``.
        covariance_matrix: :math:`\Sigma`, symmetric positive definite, ``(..., n, n)``;
        precision_matrix: :math:`\Sigma^{-1}`; or
        scale_tril: the lower-triangular :math:`L` with positive diagonal,
        :math:`\Sigma = LL^T`. Give exactly one of the three.

    ``rsample`` is :math:`\mu + L\epsilon`, differentiable in the parameters.

    Example::

        >>> m = MultivariateNormal(latte.zeros(2), latte.eye(2))
        >>> m.sample().shape
        latte.Size([2])
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        matrix = given[0]
        name = ("scale_tril" if scale_tril is not None else "covariance_matrix"
                if covariance_matrix is not None else "precision_matrix")
        if matrix.dim() < 2:
            raise ValueError(f"{name} matrix must be at least two-dimensional, with optional "
                             f"leading batch dimensions")
        n = loc.shape[-1]
        if tuple(matrix.shape[-2:]) != (n, n):
            raise ValueError(f"{name} of shape {list(matrix.shape)} does not match loc of "
                             f"shape {list(loc.shape)}: expected (..., {n}, {n})")
        batch = tuple(latte.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1])))
        setattr(self, name, matrix.expand(batch + (n, n)))
        self.loc = loc.expand(batch + (n,))
        super().__init__(batch, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MultivariateNormal:
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch = tuple(batch_shape)
        loc_shape = batch + tuple(self.event_shape)
        cov_shape = loc_shape + tuple(self.event_shape)
        new.loc = self.loc.expand(loc_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(cov_shape))
        Distribution.__init__(new, batch, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> tuple:
        return tuple(self._batch_shape) + 2 * tuple(self._event_shape)

    @functools.cached_property
    def scale_tril(self) -> Tensor:
        """The lower Cholesky factor :math:`L` of the covariance."""
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @functools.cached_property
    def covariance_matrix(self) -> Tensor:
        r""":math:`\Sigma = LL^T`."""
        low = self._unbroadcasted_scale_tril
        return low.matmul(low.mT).expand(self._matrix_shape())

    @functools.cached_property
    def precision_matrix(self) -> Tensor:
        r""":math:`\Sigma^{-1}`."""
        return linalg.cholesky_inverse(self._unbroadcasted_scale_tril).expand(
            self._matrix_shape())

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The diagonal of the covariance."""
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(
            tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = latte.randn(tuple(shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-\frac12\left(n\log 2\pi + (x-\mu)^T\Sigma^{-1}(x-\mu)\right)
        - \log\lvert L\rvert`."""
        if self._validate_args:
            self._validate_sample(value)
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        n = self._event_shape[0]
        return -0.5 * (n * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self) -> Tensor:
        r""":math:`\frac n2(1 + \log 2\pi) + \log\lvert L\rvert`."""
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h if len(self._batch_shape) == 0 else h.expand(tuple(self._batch_shape))
