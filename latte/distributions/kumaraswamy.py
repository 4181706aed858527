"""``Kumaraswamy``: a Beta-like distribution on [0, 1] with a closed-form CDF."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import AffineTransform, PowerTransform
from latte.distributions.uniform import Uniform
from latte.distributions.utils import broadcast_all
from latte.tensor import Tensor

__all__ = ["Kumaraswamy"]

_EULER = 0.57721566490153286060


def _moments(a: Tensor, b: Tensor, n: int) -> Tensor:
    """:math:`E[X^n] = b B(1 + n/a, b)`."""
    arg1 = 1 + n / a
    return b * (latte.lgamma(arg1) + latte.lgamma(b) - latte.lgamma(arg1 + b)).exp()


class Kumaraswamy(TransformedDistribution):
    r"""The Kumaraswamy distribution of density :math:`ab x^{a-1}(1 - x^a)^{b-1}` on [0, 1],
    as ``torch.distributions.Kumaraswamy``: :math:`(1 - U^{1/b})^{1/a}` for a uniform
    :math:`U`.

    Args:
        concentration1: :math:`a > 0`.
        concentration0: :math:`b > 0`.

    Example::

        >>> latte.distributions.Kumaraswamy(1.0, 1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        base = Uniform(latte.full_like(self.concentration0, 0),
                       latte.full_like(self.concentration0, 1), validate_args=validate_args)
        transforms = [PowerTransform(exponent=self.concentration0.reciprocal()),
                      AffineTransform(loc=1.0, scale=-1.0),
                      PowerTransform(exponent=self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Kumaraswamy:
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(tuple(batch_shape))
        new.concentration0 = self.concentration0.expand(tuple(batch_shape))
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def mean(self) -> Tensor:
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        return latte.where((b < 1) | (a < 1), float("nan"), log_mode).exp()

    @property
    def variance(self) -> Tensor:
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self) -> Tensor:
        r""":math:`(1 - 1/b) + (1 - 1/a) H_b - \log a - \log b` with the harmonic number
        :math:`H_b = \psi(b + 1) + \gamma`."""
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        h0 = latte.digamma(self.concentration0 + 1) + _EULER
        return t0 + t1 * h0 - self.concentration1.log() - self.concentration0.log()
