"""``HalfCauchy``: ``|X|`` for a centred Cauchy ``X``."""
from __future__ import annotations

import math
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.cauchy import Cauchy
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import AbsTransform
from latte.tensor import Tensor

__all__ = ["HalfCauchy"]


class HalfCauchy(TransformedDistribution):
    r"""The distribution of :math:`|X|` for a Cauchy :math:`X` of median 0 and scale
    :math:`\sigma`, as ``torch.distributions.HalfCauchy`` (``Cauchy(0, scale)`` by
    ``AbsTransform``).

    Args:
        scale: :math:`\sigma > 0`.

    Example::

        >>> latte.distributions.HalfCauchy(1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base = Cauchy(0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> HalfCauchy:
        new = self._get_checked_instance(HalfCauchy, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def scale(self) -> Tensor:
        """The scale of the underlying Cauchy distribution."""
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return latte.full(tuple(self._extended_shape()), float("inf"),
                          dtype=self.scale.dtype, device=self.scale.device)

    @property
    def mode(self) -> Tensor:
        return latte.zeros_like(self.scale)

    @property
    def variance(self) -> Tensor:
        return latte.full(tuple(self._extended_shape()), float("inf"),
                          dtype=self.scale.dtype, device=self.scale.device)

    def log_prob(self, value: Any) -> Tensor:
        r"""The Cauchy log-density plus :math:`\log 2` on :math:`x \ge 0`."""
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return latte.where(value >= 0, log_prob, float("-inf"))

    def cdf(self, value: Any) -> Tensor:
        r""":math:`2F(x) - 1` for the Cauchy CDF :math:`F`."""
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Any) -> Tensor:
        """The quantile, from the Cauchy one at ``(1 + p) / 2``."""
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        r"""The Cauchy entropy minus :math:`\log 2`."""
        return self.base_dist.entropy() - math.log(2)
