"""``Binomial``: the number of successes in ``total_count`` trials."""
from __future__ import annotations

from typing import Any

import numpy as np

import latte
from latte.distributions import constraints
from latte.distributions.binary_probs import BinaryProbs
from latte.distributions.distribution import Distribution
from latte.distributions.utils import (
    clamp_by_zero,
    draw,
)
from latte.tensor import Tensor

__all__ = ["Binomial"]


class Binomial(BinaryProbs, Distribution):
    r"""The binomial distribution of ``total_count`` :math:`n` trials of success probability
    :math:`p`, as ``torch.distributions.Binomial``; samples are counts in the parameter's
    (floating) dtype.

    Args:
        total_count: :math:`n` (a non-negative integer, broadcast with the probabilities).
        probs: :math:`p`, or
        logits: its log-odds; give exactly one.

    Example::

        >>> latte.distributions.Binomial(10, latte.tensor([0.3])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param = self._set_probs(probs, logits, total_count=total_count)
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Binomial:
        return self._expand_probs(Binomial, batch_shape, _instance, ("total_count",))

    @constraints.dependent_property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Success counts from the generator (not differentiable)."""
        shape = self._extended_shape(sample_shape)
        with latte.no_grad():
            n = self.total_count.detach()._data.astype(np.int64)
            return draw("binomial", self.probs, n, self.probs.detach()._data, shape=shape)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\log\binom{n}{k} + k\log p + (n-k)\log(1-p)`, from the logits."""
        if self._validate_args:
            self._validate_sample(value)
        n, logits = self.total_count, self.logits
        log_factorial_n = latte.lgamma(n + 1)
        log_factorial_k = latte.lgamma(value + 1)
        log_factorial_nmk = latte.lgamma(n - value + 1)
        # n log(1 + e^logits) written without overflow
        normalize_term = (n * clamp_by_zero(logits) + n * (-logits.abs()).exp().log1p()
                          - log_factorial_n)
        return value * logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self) -> Tensor:
        """The entropy summed over the support (needs one ``total_count`` for the batch)."""
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by "
                                      "`entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The values ``0 .. total_count`` along a new leading dim."""
        total_count = int(self.total_count.max().item())
        if not bool((self.total_count == total_count).all()):
            raise NotImplementedError("Inhomogeneous total count not supported by "
                                      "`enumerate_support`.")
        values = latte.arange(1 + total_count, dtype=self._param.dtype,
                              device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
