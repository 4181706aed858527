"""``Gumbel``: the extreme-value distribution of type I."""
from __future__ import annotations

import math
import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import AffineTransform, ExpTransform
from latte.distributions.uniform import Uniform
from latte.distributions.utils import broadcast_all
from latte.tensor import Tensor

__all__ = ["Gumbel"]

_EULER = 0.57721566490153286060


class Gumbel(TransformedDistribution):
    r"""The Gumbel distribution of density :math:`e^{-(z + e^{-z})}/\beta` with
    :math:`z = (x - \mu)/\beta`, as ``torch.distributions.Gumbel``: a uniform draw through
    :math:`\mu - \beta\log(-\log u)`.

    Args:
        loc: the location :math:`\mu`.
        scale: the scale :math:`\beta > 0`.

    Example::

        >>> latte.distributions.Gumbel(1.0, 2.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        finfo = latte.finfo(self.loc.dtype)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            base = Uniform(finfo.tiny, 1 - finfo.eps, validate_args=validate_args)
        else:
            base = Uniform(latte.full_like(self.loc, finfo.tiny),
                           latte.full_like(self.loc, 1 - finfo.eps),
                           validate_args=validate_args)
        transforms = [ExpTransform().inv, AffineTransform(loc=0, scale=-latte.ones_like(
            self.scale)), ExpTransform().inv, AffineTransform(loc=self.loc, scale=-self.scale)]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gumbel:
        new = self._get_checked_instance(Gumbel, _instance)
        new.loc = self.loc.expand(tuple(batch_shape))
        new.scale = self.scale.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-(z + e^{-z}) - \log\beta`."""
        if self._validate_args:
            self._validate_sample(value)
        y = (self.loc - value) / self.scale
        return (y - y.exp()) - self.scale.log()

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * _EULER

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def entropy(self) -> Tensor:
        r""":math:`\log\beta + 1 + \gamma_{\text{Euler}}`."""
        return self.scale.log() + (1 + _EULER)
