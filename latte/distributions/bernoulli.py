"""``Bernoulli``: a coin flip with probability ``probs`` of 1."""
from __future__ import annotations

from typing import Any

import latte
import latte.nn.functional as F
from latte.distributions import constraints
from latte.distributions.binary_probs import BinaryProbs
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.utils import broadcast_all
from latte.tensor import Tensor

__all__ = ["Bernoulli"]


def _bce_with_logits(logits: Tensor, target: Tensor) -> Tensor:
    # softplus(l) - l * t: differentiable in the target too (the entropy needs that)
    return F.softplus(logits) - logits * target


class Bernoulli(BinaryProbs, ExponentialFamily):
    """A Bernoulli distribution on ``{0, 1}``, as ``torch.distributions.Bernoulli``.

    Args:
        probs: the probability of 1, or
        logits: its log-odds; give exactly one.

    Samples are 0./1. in the parameter's dtype.

    Example::

        >>> # tensor([0.])
        >>> latte.distributions.Bernoulli(latte.tensor([0.3])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True
    _mean_carrier_measure = 0

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param = self._set_probs(probs, logits)
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Bernoulli:
        return self._expand_probs(Bernoulli, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return latte.where(self.probs == 0.5, float("nan"), mode)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with latte.no_grad():
            shape = tuple(self._extended_shape(sample_shape))
            probs = self.probs.expand(shape)
            u = latte.rand(shape, dtype=probs.dtype, device=probs.device)
            return (u < probs).to(probs.dtype)

    def log_prob(self, value: Any) -> Tensor:
        """``value log p + (1 - value) log(1 - p)``, computed stably from the logits."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value)

    def entropy(self) -> Tensor:
        return _bce_with_logits(self.logits, self.probs)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = latte.arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return F.softplus(x)
