"""``Distribution``: the base of every distribution (shapes, argument checks, sampling API)."""
from __future__ import annotations

import functools
from typing import Any

from latte.autograd.grad_mode import no_grad
from latte.distributions import constraints
from latte.tensor import Size, Tensor

__all__ = ["Distribution"]


def _size(shape: Any) -> Size:
    return Size(tuple(shape))


class Distribution:
    """Base class of probability distributions, as ``torch.distributions.Distribution``.

    A distribution has a ``batch_shape`` (independent, differently parametrised copies) and an
    ``event_shape`` (the shape of one draw). ``sample(sample_shape)`` returns a tensor of shape
    ``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` one of shape
    ``batch_shape`` (broadcast with the value's leading dims).

    With ``validate_args`` (on by default, as in PyTorch; see
    :meth:`set_default_validate_args`) parameters outside ``arg_constraints`` and values
    outside ``support`` raise ``ValueError``; each check reads the tensor on the host.
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = True
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: Any = None

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions created from now on."""
        if value not in (True, False):
            raise ValueError("validate_args must be a bool")
        Distribution._validate_args = value

    def __init__(self, batch_shape: Any = (), event_shape: Any = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = _size(batch_shape), _size(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if not self._validate_args:
            return
        for param, constraint in self.arg_constraints.items():
            if isinstance(constraint, constraints._Dependent):
                continue
            lazy = isinstance(getattr(type(self), param, None), functools.cached_property)
            if lazy and param not in self.__dict__:
                continue  # derived from the given parameter, valid when that one is
            value = getattr(self, param)
            if not bool(constraint.check(value).all()):
                raise ValueError(
                    f"Expected parameter {param} ({type(value).__name__} of shape "
                    f"{tuple(value.shape)}) of distribution {self!r} to satisfy the constraint "
                    f"{constraint!r}, but found invalid values:\n{value}")

    # --- shapes --------------------------------------------------------------------------
    @property
    def batch_shape(self) -> Size:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> Size:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> Size:
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def expand(self, batch_shape: Any, _instance: Any = None) -> Distribution:
        """A view of this distribution with parameters broadcast to ``batch_shape``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement expand")

    def _expand_params(self, cls: type, batch_shape: Any, _instance: Any,
                       names: tuple[str, ...]) -> Any:
        """The shared ``expand``: a new ``cls`` with the parameters ``names`` broadcast to
        ``batch_shape`` (plus the event shape of each, kept as it is)."""
        new = self._get_checked_instance(cls, _instance)
        shape = Size(tuple(batch_shape))
        for name in names:
            value = getattr(self, name)
            event = tuple(value.shape[len(self._batch_shape):])
            setattr(new, name, value.expand(tuple(shape) + event))
        Distribution.__init__(new, shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _get_checked_instance(self, cls: type, _instance: Any) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(f"Subclass {self.__class__.__name__} of {cls.__name__} "
                                      "that defines a custom __init__ method must also define "
                                      "a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    # --- moments -------------------------------------------------------------------------
    @property
    def mean(self) -> Tensor:
        """The mean, one value per batch entry and event element."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mean")

    @property
    def mode(self) -> Tensor:
        """The mode: where the density (or mass) peaks."""
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """The variance, elementwise over the event."""
        raise NotImplementedError(f"{type(self).__name__} does not implement variance")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation: ``variance.sqrt()``."""
        return self.variance.sqrt()

    # --- sampling and densities ----------------------------------------------------------
    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draw ``sample_shape`` batches of samples (not differentiable); uses latte's seeded
        generator, so ``latte.manual_seed`` makes the draws repeat."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A reparametrised sample: differentiable with respect to the parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not implement rsample")

    def sample_n(self, n: int) -> Tensor:
        """``n`` draws: ``sample((n,))``."""
        return self.sample(Size((n,)))

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the density (or mass) at ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement log_prob")

    def cdf(self, value: Tensor) -> Tensor:
        """The cumulative distribution function at ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement cdf")

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse CDF (quantile function) at probabilities ``value``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement icdf")

    def entropy(self) -> Tensor:
        """The entropy, one value per batch entry."""
        raise NotImplementedError(f"{type(self).__name__} does not implement entropy")

    def perplexity(self) -> Tensor:
        """``exp(entropy())``, one value per batch entry."""
        return self.entropy().exp()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every value of a discrete support along a new leading dim (broadcast to the
        batch shape with ``expand``)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement enumerate_support")

    def _validate_sample(self, value: Any) -> None:
        """Raise like PyTorch when ``value`` is not a tensor, has an incompatible shape, or
        lies outside the support."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        event_dim_start = len(value.shape) - len(self._event_shape)
        if tuple(value.shape[event_dim_start:]) != tuple(self._event_shape):
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{tuple(value.shape)} vs {tuple(self._event_shape)}.")
        actual, expected = tuple(value.shape), tuple(self._batch_shape + self._event_shape)
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                 f"{actual} vs {expected}.")
        support = self.support
        if support is not None and not bool(support.check(value).all()):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape "
                f"{tuple(value.shape)}) to be within the support ({support!r}) of the "
                f"distribution {self!r}, but found invalid values:\n{value}")

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        args = ", ".join(f"{p}: {_show(self.__dict__[p])}" for p in names)
        return f"{type(self).__name__}({args})"


def _show(t: Tensor) -> str:
    """A parameter as PyTorch's repr shows it: a 0-d one as its number, a one-element one
    as the tensor, a larger one as its size."""
    if t.numel() != 1:
        return str(t.size())
    return str(t.item()) if t.dim() == 0 else str(t)
