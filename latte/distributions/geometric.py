"""``Geometric``: the number of failures before the first success."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.bernoulli import _bce_with_logits
from latte.distributions.binary_probs import BinaryProbs
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all
from latte.tensor import Tensor

__all__ = ["Geometric"]


class Geometric(BinaryProbs, Distribution):
    r"""The geometric distribution of mass :math:`(1-p)^k p` on :math:`k = 0, 1, ...`, as
    ``torch.distributions.Geometric``.

    Args:
        probs: the success probability :math:`p \in (0, 1]`, or
        logits: its log-odds; give exactly one.

    Example::

        >>> latte.distributions.Geometric(latte.tensor([0.3])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"probs": constraints.interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        param = self._set_probs(probs, logits)
        super().__init__(param.size(), validate_args=validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            raise ValueError(f"Expected parameter probs of distribution {self!r} to be "
                             f"positive, but found invalid values:\n{self.probs}")

    def expand(self, batch_shape: Any, _instance: Any = None) -> Geometric:
        return self._expand_probs(Geometric, batch_shape, _instance)

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return latte.zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        r"""Inverse-CDF draws :math:`\lfloor \log u / \log(1-p) \rfloor`."""
        shape = tuple(self._extended_shape(sample_shape))
        with latte.no_grad():
            tiny = latte.finfo(self.probs.dtype).tiny
            u = latte.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
            return (u.clamp(min=tiny).log() / (-self.probs).log1p()).floor()

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`k\log(1-p) + \log p` (0 at :math:`p = 1, k = 0`)."""
        if self._validate_args:
            self._validate_sample(value)
        value, probs = broadcast_all(value, self.probs)
        probs = latte.where((probs == 1) & (value == 0), 0.0, probs)
        return value * (-probs).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        r""":math:`-[(1-p)\log(1-p) + p\log p] / p`."""
        return _bce_with_logits(self.logits, self.probs) / self.probs
