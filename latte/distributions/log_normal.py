"""``LogNormal``: ``exp`` of a normal variable."""
from __future__ import annotations

from typing import Any

from latte.distributions import constraints
from latte.distributions.normal import Normal
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import ExpTransform
from latte.tensor import Tensor

__all__ = ["LogNormal"]


class LogNormal(TransformedDistribution):
    r"""The distribution of :math:`e^X` for :math:`X \sim \mathcal N(\mu, \sigma^2)`, as
    ``torch.distributions.LogNormal`` (a ``TransformedDistribution`` of ``Normal`` by
    ``ExpTransform``).

    Args:
        loc: :math:`\mu`, the mean of the log.
        scale: :math:`\sigma > 0`, the standard deviation of the log.

    Example::

        >>> latte.distributions.LogNormal(0.0, 1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogNormal:
        new = self._get_checked_instance(LogNormal, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def loc(self) -> Tensor:
        """The mean of the log."""
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        """The standard deviation of the log."""
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self) -> Tensor:
        scale_sq = self.scale.pow(2)
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()

    def entropy(self) -> Tensor:
        r""":math:`H(\mathcal N(\mu, \sigma^2)) + \mu`."""
        return self.base_dist.entropy() + self.loc
