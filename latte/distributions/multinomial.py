"""``Multinomial``: category counts of ``total_count`` categorical draws."""
from __future__ import annotations

from typing import Any

import latte
import latte.nn.functional as F
from latte.distributions import constraints
from latte.distributions.binomial import Binomial
from latte.distributions.categorical import Categorical
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["Multinomial"]


class Multinomial(Distribution):
    r"""The multinomial distribution of ``total_count`` draws from categories of
    probabilities ``probs`` (last dim), as ``torch.distributions.Multinomial``; ``probs``
    and ``logits`` are normalised over the last dim.

    ``sample`` needs one integer ``total_count``; ``log_prob`` reads the count off each value.

    Example::

        >>> m = latte.distributions.Multinomial(100, latte.tensor([1.0, 1.0, 1.0, 1.0]))
        >>> m.sample()  # tensor([21., 24., 30., 25.])  # doctest: +SKIP
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        self._binomial = Binomial(total_count=total_count, probs=self.probs,
                                  validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Multinomial:
        new = self._get_checked_instance(Multinomial, _instance)
        shape = Size(tuple(batch_shape))
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new.probs)
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property
    def support(self) -> constraints.Constraint:
        return constraints.multinomial(self.total_count)

    @property
    def logits(self) -> Tensor:
        """The normalised log-probabilities."""
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        """The normalised probabilities."""
        return self._categorical.probs

    @property
    def param_shape(self) -> Size:
        """The shape of the probability parameter."""
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts of ``total_count`` categorical draws (one-hot summed; not
        differentiable)."""
        with latte.no_grad():
            k = self._event_shape[0]
            draws = self._categorical.sample((self.total_count,) + tuple(sample_shape))
            counts = F.one_hot(draws, k).sum(0)
            return counts.reshape(tuple(self._extended_shape(sample_shape))).to(
                self.probs.dtype)

    def entropy(self) -> Tensor:
        """The entropy, through the binomial marginals of the counts."""
        n = float(self.total_count)
        term1 = n * self._categorical.entropy() - latte.lgamma(
            latte.tensor(n + 1, dtype=self.probs.dtype, device=self.probs.device))
        support = self._binomial.enumerate_support(expand=False)[1:]
        binomial_probs = self._binomial.log_prob(support).exp()
        weights = latte.lgamma(support + 1)
        return term1 + (binomial_probs * weights).sum(0).sum(-1)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\log n! - \sum_i\log x_i! + \sum_i x_i\log p_i`."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        log_factorial_n = latte.lgamma(value.sum(-1) + 1)
        log_factorial_xs = latte.lgamma(value + 1).sum(-1)
        logits = latte.where((value == 0) & (logits == float("-inf")), 0.0, logits)
        return log_factorial_n - log_factorial_xs + (logits * value).sum(-1)
