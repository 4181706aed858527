"""What ``Binomial`` and ``NegativeBinomial`` share: a ``total_count`` broadcast with one of
``probs`` or ``logits`` (the other derived on first use, as PyTorch), and ``expand`` over them."""
from __future__ import annotations

import functools
from typing import Any

from latte.distributions.utils import broadcast_all, logits_to_probs, probs_to_logits
from latte.tensor import Size, Tensor

__all__ = ["CountAndProbs"]


class CountAndProbs:
    """Mixin of the count distributions parametrised by ``total_count`` and ``probs``/``logits``
    (binary: ``probs = sigmoid(logits)``)."""

    def _init_count_and_probs(self: Any, total_count: Any, probs: Any, logits: Any,
                              validate_args: bool | None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
        self._param = self.probs if probs is not None else self.logits
        self.total_count = self.total_count.type_as(self._param)
        super().__init__(self._param.size(), validate_args=validate_args)

    def _expand_count_and_probs(self: Any, cls: type, batch_shape: Any, _instance: Any) -> Any:
        names = ("total_count",) + tuple(n for n in ("probs", "logits") if n in self.__dict__)
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
