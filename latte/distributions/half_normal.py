"""``HalfNormal``: ``|X|`` for a centred normal ``X``."""
from __future__ import annotations

import math
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.normal import Normal
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import AbsTransform
from latte.tensor import Tensor

__all__ = ["HalfNormal"]


class HalfNormal(TransformedDistribution):
    r"""The distribution of :math:`|X|` for :math:`X \sim \mathcal N(0, \sigma^2)`, as
    ``torch.distributions.HalfNormal`` (``Normal(0, scale)`` by ``AbsTransform``).

    Args:
        scale: :math:`\sigma > 0`.

    Example::

        >>> latte.distributions.HalfNormal(1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base = Normal(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> HalfNormal:
        new = self._get_checked_instance(HalfNormal, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def scale(self) -> Tensor:
        """The scale of the underlying normal."""
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def mode(self) -> Tensor:
        return latte.zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (1 - 2 / math.pi)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\log 2 + \log\mathcal N(x; 0, \sigma^2)` on :math:`x \ge 0`."""
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return latte.where(value >= 0, log_prob, float("-inf"))

    def cdf(self, value: Any) -> Tensor:
        r""":math:`2\Phi(x/\sigma) - 1`."""
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Any) -> Tensor:
        """The quantile, from the normal's at ``(1 + p) / 2``."""
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        r"""The normal's entropy minus :math:`\log 2`."""
        return self.base_dist.entropy() - math.log(2)
