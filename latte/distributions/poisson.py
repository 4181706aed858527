"""``Poisson``: counts of events at rate ``rate``."""
from __future__ import annotations

import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.utils import broadcast_all, draw
from latte.tensor import Size, Tensor

__all__ = ["Poisson"]


class Poisson(ExponentialFamily):
    r"""The Poisson distribution of mass :math:`\lambda^k e^{-\lambda} / k!`, as
    ``torch.distributions.Poisson``; samples are counts in the rate's (floating) dtype.

    Args:
        rate: :math:`\lambda \ge 0`.

    Example::

        >>> latte.distributions.Poisson(latte.tensor([4.0])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch = Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Poisson:
        return self._expand_params(Poisson, batch_shape, _instance, ("rate",))

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Poisson counts from the generator (not differentiable)."""
        shape = self._extended_shape(sample_shape)
        with latte.no_grad():
            return draw("poisson", self.rate, self.rate.detach()._data, shape=shape)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`k\log\lambda - \lambda - \log k!`."""
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return latte.xlogy(value, rate) - rate - latte.lgamma(value + 1)

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return (self.rate.log(),)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return x.exp()
