"""``Pareto``: the type-I Pareto distribution, a scaled exponential of an exponential."""
from __future__ import annotations

from typing import Any

from latte.distributions import constraints
from latte.distributions.exponential import Exponential
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import AffineTransform, ExpTransform
from latte.distributions.utils import broadcast_all
from latte.tensor import Tensor

__all__ = ["Pareto"]


class Pareto(TransformedDistribution):
    r"""The Pareto type-I distribution of density :math:`\alpha x_m^\alpha / x^{\alpha+1}` on
    :math:`x \ge x_m`, as ``torch.distributions.Pareto``: :math:`x_m e^{E}` with
    :math:`E \sim \mathrm{Exponential}(\alpha)`.

    Args:
        scale: :math:`x_m > 0`.
        alpha: the shape :math:`\alpha > 0`.

    Example::

        >>> latte.distributions.Pareto(1.0, 1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}

    def __init__(self, scale: Any, alpha: Any, validate_args: bool | None = None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        base = Exponential(self.alpha, validate_args=validate_args)
        transforms = [ExpTransform(), AffineTransform(loc=0, scale=self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Pareto:
        new = self._get_checked_instance(Pareto, _instance)
        new.scale = self.scale.expand(tuple(batch_shape))
        new.alpha = self.alpha.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    @constraints.dependent_property
    def support(self) -> constraints.Constraint:
        return constraints.greater_than_eq(self.scale)

    def entropy(self) -> Tensor:
        r""":math:`\log(x_m / \alpha) + 1 + 1/\alpha`."""
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())
