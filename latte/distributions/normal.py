"""``Normal``: the Gaussian distribution."""
from __future__ import annotations

import math
import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["Normal"]


class Normal(ExponentialFamily):
    r"""The normal distribution :math:`\mathcal N(\mu, \sigma^2)`, as
    ``torch.distributions.Normal``.

    Args:
        loc: the mean :math:`\mu`.
        scale: the standard deviation :math:`\sigma > 0`.

    ``rsample`` is :math:`\mu + \sigma \epsilon` with :math:`\epsilon \sim \mathcal N(0, 1)`
    (differentiable in ``loc`` and ``scale``).

    Example::

        >>> m = latte.distributions.Normal(latte.tensor([0.0]), latte.tensor([1.0]))
        >>> m.sample()  # tensor([0.1046])  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers_only = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(Size() if numbers_only else self.loc.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Normal:
        new = self._get_checked_instance(Normal, _instance)
        shape = Size(tuple(batch_shape))
        new.loc, new.scale = self.loc.expand(shape), self.scale.expand(shape)
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = latte.randn(tuple(shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-\frac{(x-\mu)^2}{2\sigma^2} - \log\sigma - \log\sqrt{2\pi}`."""
        if self._validate_args:
            self._validate_sample(value)
        return (-((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log()
                - math.log(math.sqrt(2 * math.pi)))

    def cdf(self, value: Any) -> Tensor:
        r""":math:`\frac12\left(1 + \mathrm{erf}\frac{x - \mu}{\sigma\sqrt2}\right)`."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + latte.special.erf((value - self.loc) * self.scale.reciprocal()
                                            / math.sqrt(2)))

    def icdf(self, value: Any) -> Tensor:
        r"""The quantile :math:`\mu + \sigma\sqrt2\,\mathrm{erf}^{-1}(2p - 1)`."""
        return self.loc + self.scale * latte.special.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        r""":math:`\frac12 + \frac12\log 2\pi + \log\sigma`."""
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return self.loc / self.scale.pow(2), -0.5 * self.scale.pow(2).reciprocal()

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return -0.25 * x.pow(2) / y + 0.5 * (-math.pi / y).log()
