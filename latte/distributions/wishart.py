"""``Wishart``: the distribution of scatter matrices of Gaussian vectors."""
from __future__ import annotations

import functools
import math
import numbers
import warnings
from typing import Any

import latte
from latte import linalg
from latte.distributions import constraints
from latte.distributions.chi2 import Chi2
from latte.distributions.distribution import Distribution
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.multivariate_normal import _precision_to_scale_tril
from latte.distributions.utils import mvdigamma
from latte.special import multigammaln as mvlgamma
from latte.tensor import Size, Tensor

__all__ = ["Wishart"]

_LOG_2 = math.log(2)


class Wishart(ExponentialFamily):
    r"""The Wishart distribution of ``df`` :math:`\nu` degrees of freedom and scale
    :math:`\Sigma` (give one of ``covariance_matrix``, ``precision_matrix``,
    ``scale_tril``), as ``torch.distributions.Wishart``: the law of :math:`X^TX` for
    :math:`\nu` rows :math:`X_i \sim \mathcal N(0, \Sigma)`.

    ``rsample`` uses the Bartlett decomposition (differentiable in ``df`` through the
    chi-squared draws and in the scale), redrawing singular samples a fixed number of times
    without reading the device.

    Example::

        >>> m = Wishart(latte.tensor([2.0]), covariance_matrix=latte.eye(2))
        >>> m.sample()  # doctest: +SKIP
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict:  # type: ignore[override]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite,
                "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df: Any, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        given = [p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        param = given[0]
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional "
                             "leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = tuple(param.shape[:-2])
            self.df = latte.tensor(float(df), dtype=param.dtype, device=param.device)
        else:
            batch_shape = tuple(latte.broadcast_shapes(tuple(param.shape[:-2]),
                                                       tuple(df.shape)))
            self.df = df.expand(batch_shape)
        event_shape = tuple(param.shape[-2:])
        if bool((self.df <= event_shape[-1] - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = "
                             f"{event_shape[-1] - 1}.")
        full = batch_shape + event_shape
        if scale_tril is not None:
            self.scale_tril = param.expand(full)
        elif covariance_matrix is not None:
            self.covariance_matrix = param.expand(full)
        else:
            self.precision_matrix = param.expand(full)
        if bool((self.df < event_shape[-1]).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to "
                          "occur for ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = linalg.cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._chi2()

    def _chi2(self) -> Chi2:
        # the Bartlett factor's squared diagonal: chi2 of df, df - 1, ... df - p + 1
        low = self._unbroadcasted_scale_tril
        p = self._event_shape[-1]
        offset = latte.arange(p, dtype=low.dtype, device=low.device)
        return Chi2(self.df.unsqueeze(-1) - offset.expand(tuple(self._batch_shape) + (p,)))

    def expand(self, batch_shape: Any, _instance: Any = None) -> Wishart:
        new = self._get_checked_instance(Wishart, _instance)
        shape = Size(tuple(batch_shape))
        cov_shape = tuple(shape) + tuple(self.event_shape)
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(tuple(shape))
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(cov_shape))
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._dist_chi2 = new._chi2()
        new._validate_args = self._validate_args
        return new

    def _full(self, t: Tensor) -> Tensor:
        return t.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    @functools.cached_property
    def scale_tril(self) -> Tensor:
        """The lower Cholesky factor of the scale matrix."""
        return self._full(self._unbroadcasted_scale_tril)

    @functools.cached_property
    def covariance_matrix(self) -> Tensor:
        """The scale matrix :math:`\\Sigma = LL^T`."""
        low = self._unbroadcasted_scale_tril
        return self._full(low @ low.mT)

    @functools.cached_property
    def precision_matrix(self) -> Tensor:
        """:math:`\\Sigma^{-1}`, by a Cholesky solve."""
        low = self._unbroadcasted_scale_tril
        eye = latte.eye(self._event_shape[-1], dtype=low.dtype, device=low.device)
        return self._full(latte.cholesky_solve(eye.expand(tuple(low.shape)), low))

    def _df_matrix(self, t: Tensor) -> Tensor:
        return t.reshape(tuple(self._batch_shape) + (1, 1))

    @property
    def mean(self) -> Tensor:
        return self._df_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = latte.where(factor <= 0, float("nan"), factor)
        return self._df_matrix(factor) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        v = self.covariance_matrix
        diag = v.diagonal(0, -2, -1)
        return self._df_matrix(self.df) * (v.pow(2) + diag.unsqueeze(-1) * diag.unsqueeze(-2))

    def _bartlett_sampling(self, sample_shape: Any = ()) -> Tensor:
        p = self._event_shape[-1]
        chi = self._dist_chi2.rsample(sample_shape).sqrt()
        chi = chi.clamp(min=latte.finfo(chi.dtype).eps)
        lower = latte.randn(tuple(sample_shape) + tuple(self._batch_shape) + (p, p),
                            dtype=chi.dtype, device=chi.device).tril(-1)
        chol = self._unbroadcasted_scale_tril @ (chi.diag_embed() + lower)
        return chol @ chol.mT

    def rsample(self, sample_shape: Any = (), max_try_correction: int | None = None) -> Tensor:
        """Bartlett draws; singular ones are redrawn ``max_try_correction`` times (default
        3), elementwise, with no host read."""
        tries = 3 if max_try_correction is None else max_try_correction
        sample = self._bartlett_sampling(sample_shape)
        for _ in range(tries):
            singular = ~self.support.check(sample)
            sample = latte.where(singular[..., None, None], self._bartlett_sampling(sample_shape),
                                 sample)
        return sample

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\frac{\nu-p-1}2\log|X| - \frac12\mathrm{tr}(\Sigma^{-1}X)
        - \frac{\nu p}2\log 2 - \frac\nu2\log|\Sigma| - \log\Gamma_p(\frac\nu2)`."""
        if self._validate_args:
            self._validate_sample(value)
        nu, p = self.df, self._event_shape[-1]
        low = self._unbroadcasted_scale_tril
        return (-nu * (p * _LOG_2 / 2 + low.diagonal(0, -2, -1).log().sum(-1))
                - mvlgamma(nu / 2, p) + (nu - p - 1) / 2 * linalg.slogdet(value)[1]
                - latte.cholesky_solve(value, low).diagonal(0, -2, -1).sum(-1) / 2)

    def entropy(self) -> Tensor:
        r""":math:`\frac{p+1}2\log|\Sigma| + \frac{p(p+1)}2\log 2 + \log\Gamma_p(\frac\nu2)
        - \frac{\nu-p-1}2\psi_p(\frac\nu2) + \frac{\nu p}2`."""
        nu, p = self.df, self._event_shape[-1]
        low = self._unbroadcasted_scale_tril
        return ((p + 1) * (p * _LOG_2 / 2 + low.diagonal(0, -2, -1).log().sum(-1))
                + mvlgamma(nu / 2, p) - (nu - p - 1) / 2 * mvdigamma(nu / 2, p)
                + nu * p / 2)

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (self.df - p - 1) / 2

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        p = self._event_shape[-1]
        return ((y + (p + 1) / 2) * (-linalg.slogdet(-2 * x)[1] + _LOG_2 * p)
                + mvlgamma(y + (p + 1) / 2, p))
