"""``NegativeBinomial``: successes before ``total_count`` failures."""
from __future__ import annotations

from typing import Any

import latte
import latte.nn.functional as F
from latte.distributions import constraints
from latte.distributions.binary_probs import BinaryProbs
from latte.distributions.distribution import Distribution
from latte.distributions.gamma import Gamma
from latte.distributions.utils import draw
from latte.tensor import Tensor

__all__ = ["NegativeBinomial"]


class NegativeBinomial(BinaryProbs, Distribution):
    r"""The negative binomial distribution: the number of successes (probability
    :math:`p`) before ``total_count`` :math:`r` failures, as
    ``torch.distributions.NegativeBinomial``; a Poisson draw of a gamma rate.

    Args:
        total_count: :math:`r \ge 0` (may be real).
        probs: the success probability in :math:`[0, 1)`, or
        logits: its log-odds; give exactly one.

    Example::

        >>> m = latte.distributions.NegativeBinomial(3.0, latte.tensor([0.4]))
        >>> m.sample()  # doctest: +SKIP
    """

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param = self._set_probs(probs, logits, total_count=total_count)
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> NegativeBinomial:
        return self._expand_probs(NegativeBinomial, batch_shape, _instance, ("total_count",))

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """A Poisson draw at a ``Gamma(total_count, exp(-logits))`` rate (not
        differentiable)."""
        with latte.no_grad():
            gamma = Gamma(self.total_count, (-self.logits).exp(), validate_args=False)
            rate = gamma.sample(sample_shape)
            return draw("poisson", rate, rate._data)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\log\binom{k + r - 1}{k} + r\log(1-p) + k\log p`."""
        if self._validate_args:
            self._validate_sample(value)
        log_unnormalized = (self.total_count * F.logsigmoid(-self.logits)
                            + value * F.logsigmoid(self.logits))
        log_normalization = (-latte.lgamma(self.total_count + value) + latte.lgamma(1.0 + value)
                             + latte.lgamma(self.total_count))
        log_normalization = latte.where(self.total_count + value == 0.0, 0.0,
                                        log_normalization)
        return log_unnormalized - log_normalization
