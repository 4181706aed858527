"""What the distributions parametrised by a binary ``probs`` or its ``logits`` share (Bernoulli,
Geometric, ContinuousBernoulli, LogitRelaxedBernoulli, Binomial, NegativeBinomial): exactly one
of the two given and broadcast with the other parameters, the other derived on first use (as
PyTorch), and ``expand`` over them."""
from __future__ import annotations

import functools
from typing import Any

from latte.distributions.utils import broadcast_all, logits_to_probs, probs_to_logits
from latte.tensor import Size, Tensor

__all__ = ["BinaryProbs"]


class BinaryProbs:
    """Mixin of the distributions with a ``probs`` or ``logits`` parameter (binary:
    ``probs = sigmoid(logits)``)."""

    def _set_probs(self: Any, probs: Any, logits: Any, **others: Any) -> Tensor:
        """Set the given one of ``probs``/``logits``, broadcast with ``others`` (set too, in the
        parameter's dtype), and return it; the caller then initialises the batch shape."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        *values, param = broadcast_all(*others.values(), probs if probs is not None else logits)
        for name, value in zip(others, values):
            setattr(self, name, value.type_as(param))
        setattr(self, "probs" if probs is not None else "logits", param)
        self._param = param
        return param

    def _expand_probs(self: Any, cls: type, batch_shape: Any, _instance: Any,
                      others: tuple = ()) -> Any:
        """``expand`` over ``others`` and whichever of ``probs``/``logits`` exists."""
        names = others + tuple(n for n in ("probs", "logits") if n in self.__dict__)
        new = self._expand_params(cls, batch_shape, _instance, names)
        new._param = new.probs if "probs" in self.__dict__ else new.logits
        return new

    @functools.cached_property
    def logits(self) -> Tensor:
        """The log-odds, ``log(p / (1 - p))``."""
        return probs_to_logits(self.probs, is_binary=True)

    @functools.cached_property
    def probs(self) -> Tensor:
        """The probability, ``sigmoid(logits)``."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        """The shape of the probability parameter."""
        return self._param.size()
