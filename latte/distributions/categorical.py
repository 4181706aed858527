"""``Categorical``: one of ``K`` classes, from probabilities or logits."""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.utils import logits_to_probs, probs_to_logits
from latte.tensor import Size, Tensor

__all__ = ["Categorical"]


class Categorical(Distribution):
    """A categorical distribution over ``{0, ..., K-1}``, as ``torch.distributions.Categorical``.

    Args:
        probs: ``(..., K)`` non-negative weights (normalised over the last dim), or
        logits: ``(..., K)`` unnormalised log-probabilities; give exactly one.

    ``batch_shape`` is the parameter's shape without its last dim; samples are int64 class
    indices, drawn by inverting the cumulative probabilities with latte's seeded generator.

    Example (the policy-gradient recipe)::

        >>> m = latte.distributions.Categorical(probs)  # doctest: +SKIP
        >>> action = m.sample()  # doctest: +SKIP
        >>> loss = -m.log_prob(action) * reward  # doctest: +SKIP
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.size()[-1]
        batch_shape = self._param.size()[:-1] if self._param.dim() > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Categorical:
        new = self._get_checked_instance(Categorical, _instance)
        shape = tuple(batch_shape)
        param_shape = shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @functools.cached_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @functools.cached_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    @property
    def mean(self) -> Tensor:
        return latte.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype,
                          device=self.probs.device)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(-1)

    @property
    def variance(self) -> Tensor:
        return self.mean

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Class indices of shape ``sample_shape + batch_shape`` (int64)."""
        with latte.no_grad():
            cdf = self.probs.cumsum(-1)
            shape = tuple(sample_shape) + tuple(self._batch_shape) + (1,)
            u = latte.rand(shape, dtype=cdf.dtype, device=cdf.device)
            # u scaled by the total keeps it below the last cumulative value despite rounding;
            # a class with zero probability can never be drawn (<= skips equal cdf entries)
            u = u * cdf[..., -1:]
            return (cdf <= u).sum(-1).clamp(max=self._num_events - 1).long()

    def log_prob(self, value: Any) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        value, log_pmf = latte.broadcast_tensors(value, self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self) -> Tensor:
        r""":math:`-\sum_k p_k \log p_k` (0 for classes of probability 0)."""
        min_real = float(np.finfo(self.logits._data.dtype).min)
        return -(self.logits.clamp(min=min_real) * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = latte.arange(self._num_events, dtype=latte.int64, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        return values.expand((-1,) + tuple(self._batch_shape)) if expand else values
