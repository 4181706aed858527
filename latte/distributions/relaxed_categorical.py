"""``RelaxedOneHotCategorical`` and its log, ``ExpRelaxedCategorical``: the Concrete
(Gumbel-softmax) distribution on the simplex."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.categorical import Categorical
from latte.distributions.distribution import Distribution
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import ExpTransform
from latte.distributions.utils import broadcast_all, clamp_probs
from latte.tensor import Size, Tensor

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]


class ExpRelaxedCategorical(Distribution):
    r"""The log of a ``RelaxedOneHotCategorical`` draw, as
    ``torch.distributions.ExpRelaxedCategorical``: ``log_softmax((logits + g) / t)`` for
    Gumbel noise :math:`g`.

    Args:
        temperature: the relaxation temperature :math:`t` (a tensor).
        probs: event probabilities, or
        logits: unnormalised log-probabilities (last dim: the categories).
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector  # the true support is a submanifold of it
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self.temperature = temperature
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ExpRelaxedCategorical:
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        shape = Size(tuple(batch_shape))
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(shape)
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def param_shape(self) -> Size:
        """The shape of the probability parameter."""
        return self._categorical.param_shape

    @property
    def logits(self) -> Tensor:
        """The normalised log-probabilities."""
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        """The normalised probabilities."""
        return self._categorical.probs

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        u = clamp_probs(latte.rand(shape, dtype=self.logits.dtype, device=self.logits.device))
        gumbels = -((-(u.log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        r"""The Concrete log-density of :math:`\log x`:
        :math:`\log\Gamma(K) + (K-1)\log t + \sum_i \mathrm{log\_softmax}(l - t v)_i`."""
        k = self._event_shape[0]
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_scale = (latte.lgamma(latte.full_like(self.temperature, float(k)))
                     + (k - 1) * self.temperature.log())
        score = logits - value * self.temperature
        return (score - score.logsumexp(-1, keepdim=True)).sum(-1) + log_scale


class RelaxedOneHotCategorical(TransformedDistribution):
    r"""A relaxed one-hot categorical on the simplex with reparametrised samples, as
    ``torch.distributions.RelaxedOneHotCategorical``: ``exp`` of an
    ``ExpRelaxedCategorical``.

    Args:
        temperature: the relaxation temperature (a tensor).
        probs: event probabilities, or
        logits: unnormalised log-probabilities.

    Example::

        >>> m = RelaxedOneHotCategorical(latte.tensor([2.2]),
        ...                              latte.tensor([0.1, 0.2, 0.3, 0.4]))
        >>> m.sample()  # doctest: +SKIP
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, temperature: Tensor, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> RelaxedOneHotCategorical:
        new = self._get_checked_instance(RelaxedOneHotCategorical, _instance)
        return super().expand(batch_shape, _instance=new)  # type: ignore[return-value]

    @property
    def temperature(self) -> Tensor:
        """The relaxation temperature."""
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        """The normalised log-probabilities."""
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        """The normalised probabilities."""
        return self.base_dist.probs
