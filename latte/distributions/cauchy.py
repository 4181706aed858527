"""``Cauchy``: the Lorentz distribution (no mean, no variance)."""
from __future__ import annotations

import math
import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["Cauchy"]


class Cauchy(Distribution):
    r"""The Cauchy distribution of density
    :math:`1 / (\pi\gamma(1 + ((x - x_0)/\gamma)^2))`, as ``torch.distributions.Cauchy``.

    Args:
        loc: the median :math:`x_0`.
        scale: the half width :math:`\gamma > 0`.

    Example::

        >>> latte.distributions.Cauchy(0.0, 1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers_only = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(Size() if numbers_only else self.loc.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Cauchy:
        return self._expand_params(Cauchy, batch_shape, _instance, ("loc", "scale"))

    @property
    def mean(self) -> Tensor:
        return latte.full(tuple(self._extended_shape()), float("nan"), dtype=self.loc.dtype,
                          device=self.loc.device)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return latte.full(tuple(self._extended_shape()), float("inf"), dtype=self.loc.dtype,
                          device=self.loc.device)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        # the inverse CDF at a uniform draw (CuPy's generator has no standard_cauchy)
        u = latte.rand(tuple(self._extended_shape(sample_shape)), dtype=self.loc.dtype,
                       device=self.loc.device)
        return self.loc + (math.pi * (u - 0.5)).tan() * self.scale

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-\log\pi - \log\gamma - \log(1 + ((x - x_0)/\gamma)^2)`."""
        if self._validate_args:
            self._validate_sample(value)
        return (-math.log(math.pi) - self.scale.log()
                - (((value - self.loc) / self.scale) ** 2).log1p())

    def cdf(self, value: Any) -> Tensor:
        r""":math:`\arctan((x - x_0)/\gamma) / \pi + \frac12`."""
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value: Any) -> Tensor:
        r"""The quantile :math:`x_0 + \gamma\tan(\pi(p - \frac12))`."""
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        r""":math:`\log 4\pi\gamma`."""
        return math.log(4 * math.pi) + self.scale.log()
