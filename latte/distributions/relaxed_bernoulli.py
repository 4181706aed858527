"""``RelaxedBernoulli`` and its logit, ``LogitRelaxedBernoulli``: the binary Concrete
distribution (Maddison et al., 2017; Jang et al., 2017)."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.binary_probs import BinaryProbs
from latte.distributions.distribution import Distribution
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import SigmoidTransform
from latte.distributions.utils import (
    broadcast_all,
    clamp_probs,
)
from latte.tensor import Tensor

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]


class LogitRelaxedBernoulli(BinaryProbs, Distribution):
    r"""The logit of a ``RelaxedBernoulli`` draw, as
    ``torch.distributions.LogitRelaxedBernoulli``: :math:`(\mathrm{logit}\,u +
    \mathrm{logit}\,p)/t` for a uniform :math:`u`.

    Args:
        temperature: the relaxation temperature :math:`t` (a tensor).
        probs: the probability of 1, or
        logits: its log-odds; give exactly one.
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self.temperature = temperature
        param = self._set_probs(probs, logits)
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogitRelaxedBernoulli:
        new = self._expand_probs(LogitRelaxedBernoulli, batch_shape, _instance)
        new.temperature = self.temperature
        return new

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        probs = clamp_probs(self.probs.expand(shape))
        u = clamp_probs(latte.rand(shape, dtype=probs.dtype, device=probs.device))
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\log t + d - 2\log(1 + e^d)` with :math:`d = \mathrm{logit}\,p - t x`."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    r"""A relaxed Bernoulli on (0, 1) with reparametrised samples, as
    ``torch.distributions.RelaxedBernoulli``: the sigmoid of a ``LogitRelaxedBernoulli``.

    Args:
        temperature: the relaxation temperature (a tensor).
        probs: the probability of 1, or
        logits: its log-odds; give exactly one.

    Example::

        >>> m = RelaxedBernoulli(latte.tensor([2.2]), latte.tensor([0.1, 0.2, 0.3, 0.99]))
        >>> m.sample()  # doctest: +SKIP
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> RelaxedBernoulli:
        new = self._get_checked_instance(RelaxedBernoulli, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def temperature(self) -> Tensor:
        """The relaxation temperature."""
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        """The log-odds of 1 (of the base distribution)."""
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        """The probability of 1."""
        return self.base_dist.probs
