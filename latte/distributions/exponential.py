"""``Exponential``: waiting times of rate ``rate``."""
from __future__ import annotations

import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.utils import broadcast_all, draw
from latte.tensor import Size, Tensor

__all__ = ["Exponential"]


class Exponential(ExponentialFamily):
    r"""The exponential distribution of density :math:`\lambda e^{-\lambda x}` on
    :math:`x \ge 0`, as ``torch.distributions.Exponential``.

    Args:
        rate: :math:`\lambda > 0`.

    ``rsample`` is :math:`e / \lambda` for a standard exponential draw :math:`e`.

    Example::

        >>> latte.distributions.Exponential(latte.tensor([1.0])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        (self.rate,) = broadcast_all(rate)
        batch = Size() if isinstance(rate, numbers.Number) else self.rate.size()
        super().__init__(batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Exponential:
        return self._expand_params(Exponential, batch_shape, _instance, ("rate",))

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return latte.zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return draw("standard_exponential", self.rate, shape=shape) / self.rate

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\log\lambda - \lambda x`."""
        if self._validate_args:
            self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value: Any) -> Tensor:
        r""":math:`1 - e^{-\lambda x}`."""
        if self._validate_args:
            self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value: Any) -> Tensor:
        r"""The quantile :math:`-\log(1 - p) / \lambda`."""
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        r""":math:`1 - \log\lambda`."""
        return 1.0 - self.rate.log()

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return (-self.rate,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return -(-x).log()
