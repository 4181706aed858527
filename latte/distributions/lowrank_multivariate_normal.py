"""``LowRankMultivariateNormal``: a Gaussian whose covariance is ``W W^T + diag(D)``."""
from __future__ import annotations

import functools
import math
from typing import Any

import latte
from latte import linalg
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.multivariate_normal import _batch_mahalanobis, _batch_mv
from latte.tensor import Size, Tensor

__all__ = ["LowRankMultivariateNormal"]


def _plus_identity(mat: Tensor) -> Tensor:
    return mat + latte.eye(mat.shape[-1], dtype=mat.dtype, device=mat.device)


def _batch_capacitance_tril(w: Tensor, d: Tensor) -> Tensor:
    """The Cholesky factor of the capacitance :math:`I + W^T D^{-1} W` (rank x rank)."""
    wt_dinv = w.mT / d.unsqueeze(-2)
    return linalg.cholesky(_plus_identity(wt_dinv @ w))


def _batch_lowrank_logdet(w: Tensor, d: Tensor, capacitance_tril: Tensor) -> Tensor:
    """:math:`\\log|WW^T + D| = \\log|C| + \\log|D|` (the matrix determinant lemma)."""
    return 2 * capacitance_tril.diagonal(0, -2, -1).log().sum(-1) + d.log().sum(-1)


def _batch_lowrank_mahalanobis(w: Tensor, d: Tensor, x: Tensor,
                               capacitance_tril: Tensor) -> Tensor:
    """:math:`x^T (WW^T + D)^{-1} x` by the Woodbury identity."""
    wt_dinv_x = _batch_mv(w.mT / d.unsqueeze(-2), x)
    return (x.pow(2) / d).sum(-1) - _batch_mahalanobis(capacitance_tril, wt_dinv_x)


class LowRankMultivariateNormal(Distribution):
    r"""A multivariate normal with covariance ``cov_factor @ cov_factor.mT +
    diag(cov_diag)``, as ``torch.distributions.LowRankMultivariateNormal``: densities and
    entropy go through the small ``rank x rank`` capacitance matrix (Woodbury identity and
    matrix determinant lemma), never the full covariance.

    Args:
        loc: the mean, ``batch_shape + (n,)``.
        cov_factor: :math:`W`, ``batch_shape + (n, rank)``.
        cov_diag: :math:`D > 0`, ``batch_shape + (n,)``.

    Example::

        >>> m = LowRankMultivariateNormal(latte.zeros(2), latte.tensor([[1.0], [0.0]]),
        ...                               latte.ones(2))
        >>> m.sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, cov_factor: Tensor, cov_diag: Tensor,
                 validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        event_shape = tuple(loc.shape[-1:])
        if cov_factor.dim() < 2:
            raise ValueError("cov_factor must be at least two-dimensional, "
                             "with optional leading batch dimensions")
        if tuple(cov_factor.shape[-2:-1]) != event_shape:
            raise ValueError(f"cov_factor must be a batch of matrices with shape "
                             f"{event_shape[0]} x m")
        if tuple(cov_diag.shape[-1:]) != event_shape:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {event_shape}")
        try:
            loc_, self.cov_factor, cov_diag_ = latte.broadcast_tensors(
                loc.unsqueeze(-1), cov_factor, cov_diag.unsqueeze(-1))
        except (RuntimeError, ValueError) as e:
            raise ValueError(f"Incompatible batch shapes: loc {tuple(loc.shape)}, cov_factor "
                             f"{tuple(cov_factor.shape)}, cov_diag {tuple(cov_diag.shape)}"
                             ) from e
        self.loc, self.cov_diag = loc_[..., 0], cov_diag_[..., 0]
        self._unbroadcasted_cov_factor = cov_factor
        self._unbroadcasted_cov_diag = cov_diag
        self._capacitance_tril = _batch_capacitance_tril(cov_factor, cov_diag)
        super().__init__(self.loc.shape[:-1], event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LowRankMultivariateNormal:
        new = self._get_checked_instance(LowRankMultivariateNormal, _instance)
        shape = Size(tuple(batch_shape))
        loc_shape = tuple(shape) + tuple(self.event_shape)
        new.loc = self.loc.expand(loc_shape)
        new.cov_diag = self.cov_diag.expand(loc_shape)
        new.cov_factor = self.cov_factor.expand(loc_shape + tuple(self.cov_factor.shape[-1:]))
        new._unbroadcasted_cov_factor = self._unbroadcasted_cov_factor
        new._unbroadcasted_cov_diag = self._unbroadcasted_cov_diag
        new._capacitance_tril = self._capacitance_tril
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _full(self, t: Tensor, event: int = 1) -> Tensor:
        return t.expand(tuple(self._batch_shape) + tuple(self._event_shape) * event)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @functools.cached_property
    def variance(self) -> Tensor:  # type: ignore[override]
        return self._full(self._unbroadcasted_cov_factor.pow(2).sum(-1)
                          + self._unbroadcasted_cov_diag)

    @functools.cached_property
    def scale_tril(self) -> Tensor:
        """The lower Cholesky factor of the covariance:
        :math:`D^{1/2}\\,\\mathrm{chol}(I + D^{-1/2}WW^TD^{-1/2})`."""
        d_sqrt = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        dinvsqrt_w = self._unbroadcasted_cov_factor / d_sqrt
        return self._full(d_sqrt * linalg.cholesky(_plus_identity(dinvsqrt_w @ dinvsqrt_w.mT)),
                          2)

    @functools.cached_property
    def covariance_matrix(self) -> Tensor:
        """:math:`WW^T + \\mathrm{diag}(D)`."""
        w = self._unbroadcasted_cov_factor
        return self._full(w @ w.mT + self._unbroadcasted_cov_diag.diag_embed(), 2)

    @functools.cached_property
    def precision_matrix(self) -> Tensor:
        """The inverse covariance by the Woodbury identity."""
        wt_dinv = self._unbroadcasted_cov_factor.mT / self._unbroadcasted_cov_diag.unsqueeze(-2)
        a = linalg.solve_triangular(self._capacitance_tril, wt_dinv, upper=False)
        return self._full(self._unbroadcasted_cov_diag.reciprocal().diag_embed() - a.mT @ a, 2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        w_shape = shape[:-1] + tuple(self.cov_factor.shape[-1:])
        eps_w = latte.randn(w_shape, dtype=self.loc.dtype, device=self.loc.device)
        eps_d = latte.randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return (self.loc + _batch_mv(self._unbroadcasted_cov_factor, eps_w)
                + self._unbroadcasted_cov_diag.sqrt() * eps_d)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-\frac12(n\log 2\pi + \log|\Sigma| + (x-\mu)^T\Sigma^{-1}(x-\mu))`."""
        if self._validate_args:
            self._validate_sample(value)
        w, d = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        m = _batch_lowrank_mahalanobis(w, d, value - self.loc, self._capacitance_tril)
        log_det = _batch_lowrank_logdet(w, d, self._capacitance_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + log_det + m)

    def entropy(self) -> Tensor:
        r""":math:`\frac12(n(1 + \log 2\pi) + \log|\Sigma|)`."""
        log_det = _batch_lowrank_logdet(self._unbroadcasted_cov_factor,
                                        self._unbroadcasted_cov_diag, self._capacitance_tril)
        h = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + log_det)
        return h if len(self._batch_shape) == 0 else h.expand(tuple(self._batch_shape))
