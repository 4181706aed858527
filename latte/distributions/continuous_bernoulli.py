"""``ContinuousBernoulli``: the normalised Bernoulli likelihood on [0, 1]."""
from __future__ import annotations

import functools
import math
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.bernoulli import _bce_with_logits
from latte.distributions.binary_probs import BinaryProbs
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.utils import (
    broadcast_all,
    clamp_probs,
    logits_to_probs,
)
from latte.tensor import Tensor

__all__ = ["ContinuousBernoulli"]


class ContinuousBernoulli(BinaryProbs, ExponentialFamily):
    r"""The continuous Bernoulli distribution of density
    :math:`C(\lambda)\lambda^x(1-\lambda)^{1-x}` on [0, 1], as
    ``torch.distributions.ContinuousBernoulli`` (Loaiza-Ganem and Cunningham, 2019).

    Args:
        probs: :math:`\lambda \in (0, 1)`, or
        logits: its log-odds; give exactly one.
        lims: the interval around 1/2 where Taylor expansions replace the unstable closed
            forms.

    ``rsample`` is the inverse CDF at a uniform draw.

    Example::

        >>> m = latte.distributions.ContinuousBernoulli(latte.tensor([0.3]))
        >>> m.sample()  # doctest: +SKIP
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    _mean_carrier_measure = 0
    has_rsample = True

    def __init__(self, probs: Any = None, logits: Any = None, lims: tuple = (0.499, 0.501),
                 validate_args: bool | None = None) -> None:
        param = self._set_probs(probs, logits)
        if probs is not None:
            if validate_args and not bool(self.arg_constraints["probs"].check(param).all()):
                raise ValueError("The parameter probs has invalid values")
            self.probs = self._param = clamp_probs(param)
        self._lims = lims
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ContinuousBernoulli:
        new = self._expand_probs(ContinuousBernoulli, batch_shape, _instance)
        new._lims = self._lims
        return new

    @functools.cached_property
    def probs(self) -> Tensor:
        """The probability, ``sigmoid(logits)`` clamped off 0 and 1."""
        return clamp_probs(logits_to_probs(self.logits, is_binary=True))

    def _outside_unstable_region(self) -> Tensor:
        return (self.probs <= self._lims[0]) | (self.probs > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return latte.where(self._outside_unstable_region(), self.probs, self._lims[0])

    def _cont_bern_log_norm(self) -> Tensor:
        """:math:`\\log C(\\lambda)`, by its Taylor series near 1/2."""
        cut = self._cut_probs()
        below = latte.where(cut <= 0.5, cut, 0.0)
        above = latte.where(cut >= 0.5, cut, 1.0)
        log_norm = ((-cut).log1p() - cut.log()).abs().log() - latte.where(
            cut <= 0.5, (-2.0 * below).log1p(), (2.0 * above - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return latte.where(self._outside_unstable_region(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return latte.where(self._outside_unstable_region(), mus, taylor)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        var = (cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2)
               + 1.0 / ((-cut).log1p() - cut.log()).pow(2))
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return latte.where(self._outside_unstable_region(), var, taylor)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        u = latte.rand(shape, dtype=self.probs.dtype, device=self.probs.device)
        return self.icdf(u)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`x\log\lambda + (1-x)\log(1-\lambda) + \log C(\lambda)`."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -_bce_with_logits(logits, value) + self._cont_bern_log_norm()

    def cdf(self, value: Any) -> Tensor:
        r""":math:`(\lambda^x(1-\lambda)^{1-x} + \lambda - 1) / (2\lambda - 1)`."""
        if self._validate_args:
            self._validate_sample(value)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = latte.where(self._outside_unstable_region(), cdfs, value)
        return latte.where(value <= 0.0, 0.0, latte.where(value >= 1.0, 1.0, unbounded))

    def icdf(self, value: Any) -> Tensor:
        r"""The quantile :math:`\log\frac{1 - \lambda + p(2\lambda - 1)}{1 - \lambda}
        / \log\frac{\lambda}{1 - \lambda}`."""
        cut = self._cut_probs()
        q = (((-cut) + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (
            cut.log() - (-cut).log1p())
        return latte.where(self._outside_unstable_region(), q, value)

    def entropy(self) -> Tensor:
        """The entropy, from the mean and the log normaliser."""
        log_probs0, log_probs1 = (-self.probs).log1p(), self.probs.log()
        return (self.mean * (log_probs0 - log_probs1) - self._cont_bern_log_norm()
                - log_probs0)

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return (self.logits,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        unstable = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = latte.where(unstable, x, self._lims[0] - 0.5)
        log_norm = cut.expm1().abs().log() - cut.abs().log()
        taylor = 0.5 * x + x.pow(2) / 24.0 - x.pow(4) / 2880.0
        return latte.where(unstable, log_norm, taylor)
