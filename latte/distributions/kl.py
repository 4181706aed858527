"""``kl_divergence(p, q)`` and ``register_kl``: closed-form KL divergences by type pair."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import latte
import latte.nn.functional as F
from latte.distributions.bernoulli import Bernoulli
from latte.distributions.categorical import Categorical
from latte.distributions.distribution import Distribution
from latte.distributions.independent import Independent
from latte.distributions.normal import Normal
from latte.distributions.one_hot_categorical import OneHotCategorical
from latte.distributions.uniform import Uniform
from latte.distributions.utils import _sum_rightmost
from latte.tensor import Tensor

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict[tuple[type, type], Callable] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[Callable], Callable]:
    """Decorator registering ``fn(p, q)`` as the KL divergence of ``type_p`` from
    ``type_q`` (subclasses use the closest registered pair)."""
    def decorator(fn: Callable) -> Callable:
        _KL_REGISTRY[type_p, type_q] = fn
        return fn
    return decorator


def _dispatch(type_p: type, type_q: type) -> Callable | None:
    # the most specific registered pair along both types' method resolution orders
    for super_p in type_p.__mro__:
        for super_q in type_q.__mro__:
            if (super_p, super_q) in _KL_REGISTRY:
                return _KL_REGISTRY[super_p, super_q]
    return None


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    r""":math:`KL(p \| q) = \int p(x) \log\frac{p(x)}{q(x)} dx`, one value per batch entry.

    Raises ``NotImplementedError`` when no closed form is registered for the pair.
    """
    fn = _dispatch(type(p), type(q))
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{p.__class__.__name__} and q type {q.__class__.__name__}")
    return fn(p, q)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = latte.where(q.probs == 0, float("inf"), t)  # mass where q has none: infinite
    t = latte.where(p.probs == 0, 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = latte.where(p.probs == 0, 0.0, latte.where(q.probs == 0, float("inf"), t1))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = latte.where(p.probs == 1, 0.0, latte.where(q.probs == 1, float("inf"), t2))
    return t1 + t2


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    return latte.where((q.low > p.low) | (q.high < p.high), float("inf"), result)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Any:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different event dims")
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)
