"""``GeneralizedPareto``: the tail distribution of peaks over a threshold."""
from __future__ import annotations

import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["GeneralizedPareto"]


class GeneralizedPareto(Distribution):
    r"""The generalized Pareto distribution of ``loc`` :math:`\mu`, ``scale``
    :math:`\sigma` and ``concentration`` :math:`\xi`, as
    ``torch.distributions.GeneralizedPareto``: survival
    :math:`(1 + \xi z)^{-1/\xi}` with :math:`z = (x - \mu)/\sigma` (:math:`e^{-z}` at
    :math:`\xi = 0`). ``rsample`` is the quantile at a uniform draw.

    Example::

        >>> latte.distributions.GeneralizedPareto(0.0, 1.0, 0.5).sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, concentration: Any,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        numbers_only = all(isinstance(v, numbers.Number) for v in (loc, scale, concentration))
        super().__init__(Size() if numbers_only else self.loc.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> GeneralizedPareto:
        return self._expand_params(GeneralizedPareto, batch_shape, _instance,
                                   ("loc", "scale", "concentration"))

    def _safe_concentration(self) -> tuple[Tensor, Tensor]:
        eq_zero = self.concentration.abs() <= 1e-8  # torch.isclose(c, 0) with its atol
        return eq_zero, latte.where(eq_zero, 1.0, self.concentration)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        u = latte.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-\log\sigma - (1/\xi + 1)\log(1 + \xi z)` (:math:`-\log\sigma - z` at
        :math:`\xi = 0`)."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        eq_zero, safe = self._safe_concentration()
        y = 1 / safe + latte.ones_like(z)
        where_nonzero = latte.where(y == 0, y, y * (safe * z).log1p())
        return -self.scale.log() - latte.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value: Any) -> Tensor:
        r""":math:`\log P(X > x) = -\log(1 + \xi z)/\xi`."""
        if self._validate_args:
            self._validate_sample(value)
        z = (value - self.loc) / self.scale
        eq_zero, safe = self._safe_concentration()
        return latte.where(eq_zero, -z, -(safe * z).log1p() / safe)

    def log_cdf(self, value: Any) -> Tensor:
        """The log of the CDF, from the survival function."""
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value: Any) -> Tensor:
        """:math:`1 - (1 + \\xi z)^{-1/\\xi}`."""
        return self.log_cdf(value).exp()

    def icdf(self, value: Any) -> Tensor:
        r"""The quantile :math:`\mu + \sigma((1-p)^{-\xi} - 1)/\xi`."""
        eq_zero, safe = self._safe_concentration()
        logu = (-value).log1p()
        where_nonzero = self.loc + self.scale / safe * (-safe * logu).expm1()
        return latte.where(eq_zero, self.loc - self.scale * logu, where_nonzero)

    @property
    def mean(self) -> Tensor:
        valid = self.concentration < 1
        safe = latte.where(valid, self.concentration, 0.5)
        return latte.where(valid, self.loc + self.scale / (1 - safe), float("nan"))

    @property
    def variance(self) -> Tensor:
        valid = self.concentration < 0.5
        safe = latte.where(valid, self.concentration, 0.25)
        result = self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe))
        return latte.where(valid, result, float("nan"))

    @property
    def mode(self) -> Tensor:
        return self.loc

    def entropy(self) -> Tensor:
        r""":math:`\log\sigma + \xi + 1`."""
        ans = self.scale.log() + self.concentration + 1
        return ans.expand(tuple(self._batch_shape))

    @constraints.dependent_property
    def support(self) -> constraints.Constraint:
        lower = self.loc
        upper = latte.where(self.concentration < 0, lower - self.scale / self.concentration,
                            float("inf"))
        return constraints.interval(lower, upper)
