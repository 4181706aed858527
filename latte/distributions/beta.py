"""``Beta``: the distribution on [0, 1] of ``x^(a-1) (1-x)^(b-1) / B(a, b)``."""
from __future__ import annotations

import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.gamma import standard_gamma
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["Beta"]


class Beta(ExponentialFamily):
    r"""The beta distribution, as ``torch.distributions.Beta``.

    Args:
        concentration1: :math:`\alpha > 0` (the weight of 1).
        concentration0: :math:`\beta > 0` (the weight of 0).

    ``rsample`` is :math:`g_1 / (g_1 + g_0)` for gamma draws :math:`g_1 \sim \Gamma(\alpha)`,
    :math:`g_0 \sim \Gamma(\beta)`, differentiable through their implicit reparametrisation
    (PyTorch differentiates the beta draw implicitly instead: a different but equally
    unbiased pathwise gradient).

    Example::

        >>> # tensor([0.1046])
        >>> Beta(latte.tensor([0.5]), latte.tensor([0.5])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        numbers_only = isinstance(concentration1, numbers.Number) and isinstance(
            concentration0, numbers.Number)
        super().__init__(Size() if numbers_only else self.concentration1.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Beta:
        new = self._get_checked_instance(Beta, _instance)
        shape = Size(tuple(batch_shape))
        new.concentration1 = self.concentration1.expand(shape)
        new.concentration0 = self.concentration0.expand(shape)
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        """The density's peak: 0 or 1 when one concentration is below 1; 1 when both are
        (where the density is bimodal), as PyTorch."""
        m1 = (self.concentration1 - 1).clamp(min=0.0)
        m0 = (self.concentration0 - 1).clamp(min=0.0)
        both_small = (self.concentration1 < 1) & (self.concentration0 < 1)
        return latte.where(both_small, latte.ones_like(m1), m1 / (m1 + m0))

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        g1 = standard_gamma(self.concentration1.expand(shape))
        g0 = standard_gamma(self.concentration0.expand(shape))
        return g1 / (g1 + g0)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`(\alpha-1)\log x + (\beta-1)\log(1-x) - \log B(\alpha, \beta)`."""
        if self._validate_args:
            self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (latte.xlogy(a - 1, value) + latte.xlogy(b - 1, 1 - value)
                + latte.lgamma(a + b) - latte.lgamma(a) - latte.lgamma(b))

    def entropy(self) -> Tensor:
        r""":math:`\log B(\alpha,\beta) - (\alpha-1)\psi(\alpha) - (\beta-1)\psi(\beta)
        + (\alpha+\beta-2)\psi(\alpha+\beta)`."""
        a, b = self.concentration1, self.concentration0
        total = a + b
        return (latte.lgamma(a) + latte.lgamma(b) - latte.lgamma(total)
                - (a - 1) * latte.digamma(a) - (b - 1) * latte.digamma(b)
                + (total - 2) * latte.digamma(total))

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return self.concentration1, self.concentration0

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return latte.lgamma(x) + latte.lgamma(y) - latte.lgamma(x + y)
