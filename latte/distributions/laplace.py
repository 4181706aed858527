"""``Laplace``: the double-exponential distribution."""
from __future__ import annotations

import math
import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["Laplace"]


class Laplace(Distribution):
    r"""The Laplace distribution of density :math:`e^{-|x-\mu|/b} / 2b`, as
    ``torch.distributions.Laplace``.

    Args:
        loc: the mean :math:`\mu`.
        scale: the scale :math:`b > 0`.

    Example::

        >>> latte.distributions.Laplace(0.0, 1.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        numbers_only = isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number)
        super().__init__(Size() if numbers_only else self.loc.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Laplace:
        return self._expand_params(Laplace, batch_shape, _instance, ("loc", "scale"))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        eps = latte.finfo(self.loc.dtype).eps
        u = latte.rand(shape, dtype=self.loc.dtype, device=self.loc.device) * (2 - eps) \
            + (eps - 1)  # in (-1, 1): log1p(-|u|) stays finite
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-\log 2b - |x - \mu| / b`."""
        if self._validate_args:
            self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value: Any) -> Tensor:
        r""":math:`\frac12 - \frac12\,\mathrm{sign}(x-\mu)\,(e^{-|x-\mu|/b} - 1)`."""
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 - 0.5 * (value - self.loc).sign() * (
            -(value - self.loc).abs() / self.scale).expm1()

    def icdf(self, value: Any) -> Tensor:
        r"""The quantile :math:`\mu - b\,\mathrm{sign}(p - \frac12)\log(1 - 2|p - \frac12|)`."""
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self) -> Tensor:
        r""":math:`1 + \log 2b`."""
        return 1 + (2 * self.scale).log()
