"""``LogisticNormal``: a normal vector mapped onto the simplex by stick breaking."""
from __future__ import annotations

from typing import Any

from latte.distributions import constraints
from latte.distributions.normal import Normal
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import StickBreakingTransform
from latte.tensor import Tensor

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    r"""The logistic-normal distribution, as ``torch.distributions.LogisticNormal``:
    ``StickBreakingTransform`` of a ``Normal(loc, scale)`` vector of ``K`` entries, on the
    ``K+1``-simplex.

    Args:
        loc: the mean of the base normal.
        scale: its standard deviation.

    Example::

        >>> m = LogisticNormal(latte.tensor([0.0] * 3), latte.tensor([1.0] * 3))
        >>> m.sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand([1])
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogisticNormal:
        new = self._get_checked_instance(LogisticNormal, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def loc(self) -> Tensor:
        """The mean of the base normal."""
        return self.base_dist.base_dist.loc

    @property
    def scale(self) -> Tensor:
        """The standard deviation of the base normal."""
        return self.base_dist.base_dist.scale
