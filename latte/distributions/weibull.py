"""``Weibull``: a power of a standard exponential variable, scaled."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.exponential import Exponential
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import AffineTransform, PowerTransform
from latte.distributions.utils import broadcast_all
from latte.tensor import Tensor

__all__ = ["Weibull"]

_EULER = 0.57721566490153286060


class Weibull(TransformedDistribution):
    r"""The two-parameter Weibull distribution, as ``torch.distributions.Weibull``:
    :math:`\lambda E^{1/k}` for a standard exponential :math:`E`.

    Args:
        scale: :math:`\lambda > 0`.
        concentration: the shape :math:`k > 0`.

    Example::

        >>> latte.distributions.Weibull(1.0, 1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive

    def __init__(self, scale: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        base = Exponential(latte.ones_like(self.scale), validate_args=validate_args)
        super().__init__(base, self._transforms(), validate_args=validate_args)

    def _transforms(self) -> list:
        return [PowerTransform(exponent=self.concentration_reciprocal),
                AffineTransform(loc=0, scale=self.scale)]

    def expand(self, batch_shape: Any, _instance: Any = None) -> Weibull:
        new = self._get_checked_instance(Weibull, _instance)
        shape = tuple(batch_shape)
        new.scale = self.scale.expand(shape)
        new.concentration = self.concentration.expand(shape)
        new.concentration_reciprocal = new.concentration.reciprocal()
        TransformedDistribution.__init__(new, self.base_dist.expand(shape), new._transforms(),
                                         validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.scale * latte.lgamma(1 + self.concentration_reciprocal).exp()

    @property
    def mode(self) -> Tensor:
        k = self.concentration
        return self.scale * ((k - 1) / k) ** k.reciprocal()

    @property
    def variance(self) -> Tensor:
        r = self.concentration_reciprocal
        return self.scale.pow(2) * (latte.lgamma(1 + 2 * r).exp()
                                    - (2 * latte.lgamma(1 + r)).exp())

    def entropy(self) -> Tensor:
        r""":math:`\gamma(1 - 1/k) + \log(\lambda / k) + 1`."""
        r = self.concentration_reciprocal
        return _EULER * (1 - r) + (self.scale * r).log() + 1
