"""``InverseGamma``: the reciprocal of a gamma variable."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.gamma import Gamma
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import PowerTransform
from latte.tensor import Tensor

__all__ = ["InverseGamma"]


class InverseGamma(TransformedDistribution):
    r"""The distribution of :math:`1/X` for :math:`X \sim \Gamma(\alpha, \beta)`, as
    ``torch.distributions.InverseGamma`` (``Gamma`` by ``PowerTransform(-1)``).

    Args:
        concentration: the shape :math:`\alpha > 0`.
        rate: :math:`\beta > 0` (the scale of the inverse).

    Example::

        >>> latte.distributions.InverseGamma(2.0, 3.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        base = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = -latte.ones((), dtype=base.rate.dtype, device=base.rate.device)
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> InverseGamma:
        new = self._get_checked_instance(InverseGamma, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def concentration(self) -> Tensor:
        """The shape of the underlying gamma distribution."""
        return self.base_dist.concentration

    @property
    def rate(self) -> Tensor:
        """The rate of the underlying gamma distribution."""
        return self.base_dist.rate

    @property
    def mean(self) -> Tensor:
        result = self.rate / (self.concentration - 1)
        return latte.where(self.concentration > 1, result, float("inf"))

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        result = self.rate.square() / ((c - 1).square() * (c - 2))
        return latte.where(c > 2, result, float("inf"))

    def entropy(self) -> Tensor:
        r""":math:`\alpha + \log\beta + \log\Gamma(\alpha) - (1 + \alpha)\psi(\alpha)`."""
        c = self.concentration
        return c + self.rate.log() + latte.lgamma(c) - (1 + c) * latte.digamma(c)
