"""Constraints: the sets parameters and values must lie in (``torch.distributions.constraints``).

``constraint.check(value)`` returns a bool tensor, ``True`` where ``value`` satisfies it (one
entry per event for constraints on vectors, such as ``simplex``).
"""
from __future__ import annotations

from typing import Any

import latte
from latte import linalg

__all__ = ["Constraint", "real", "positive", "nonnegative", "unit_interval", "simplex",
           "boolean", "interval", "half_open_interval", "greater_than", "integer_interval",
           "nonnegative_integer", "independent", "real_vector", "one_hot", "dependent",
           "dependent_property", "lower_cholesky", "positive_definite", "cat", "corr_cholesky",
           "greater_than_eq", "less_than", "lower_triangular", "multinomial",
           "positive_semidefinite", "positive_integer", "square", "stack", "symmetric",
           "is_dependent", "MixtureSameFamilyConstraint"]


class Constraint:
    """A region of values; ``event_dim`` is how many rightmost dims make one checked event."""

    is_discrete = False
    event_dim = 0

    def check(self, value: Any) -> Any:
        """A bool tensor: ``True`` where ``value`` (each event) satisfies the constraint."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """A support that depends on the parameters (e.g. ``Uniform``'s): not checkable alone."""

    def check(self, value: Any) -> Any:
        raise ValueError("Cannot determine validity of dependent constraint")


def dependent_property(fn: Any) -> property:
    """A property whose value is a constraint built from the distribution's parameters."""
    return property(fn)


def is_dependent(constraint: Any) -> bool:
    """Whether ``constraint`` depends on the parameters (and so cannot be checked alone)."""
    return isinstance(constraint, _Dependent)


class _Real(Constraint):
    def check(self, value: Any) -> Any:
        return value == value  # False only for NaN


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value: Any) -> Any:
        return (value == 0) | (value == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value: Any) -> Any:
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _GreaterThan(Constraint):
    """Values above ``lower_bound`` (``>=`` when ``inclusive``)."""

    def __init__(self, lower_bound: float, inclusive: bool = False) -> None:
        self.lower_bound, self._inclusive = lower_bound, inclusive

    def check(self, value: Any) -> Any:
        return value >= self.lower_bound if self._inclusive else value > self.lower_bound

    def __repr__(self) -> str:
        name = "GreaterThanEq" if self._inclusive else "GreaterThan"
        return f"{name}(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    """Values strictly below ``upper_bound``."""

    def __init__(self, upper_bound: float) -> None:
        self.upper_bound = upper_bound

    def check(self, value: Any) -> Any:
        return value < self.upper_bound

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    """Values in ``[lower_bound, upper_bound]`` (``[lower, upper)`` when ``half_open``)."""

    def __init__(self, lower_bound: Any, upper_bound: Any, half_open: bool = False) -> None:
        self.lower_bound, self.upper_bound, self._half_open = lower_bound, upper_bound, half_open

    def check(self, value: Any) -> Any:
        upper = value < self.upper_bound if self._half_open else value <= self.upper_bound
        return (value >= self.lower_bound) & upper

    def __repr__(self) -> str:
        name = "HalfOpenInterval" if self._half_open else "Interval"
        return f"{name}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(Constraint):
    """Integers in ``[lower_bound, upper_bound]``."""

    is_discrete = True

    def __init__(self, lower_bound: int, upper_bound: Any) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: Any) -> Any:
        return ((value % 1) == 0) & (value >= self.lower_bound) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return (f"IntegerInterval(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _IntegerGreaterThan(Constraint):
    """Integers ``>= lower_bound``."""

    is_discrete = True

    def __init__(self, lower_bound: int) -> None:
        self.lower_bound = lower_bound

    def check(self, value: Any) -> Any:
        return ((value % 1) == 0) & (value >= self.lower_bound)

    def __repr__(self) -> str:
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value: Any) -> Any:
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _IndependentConstraint(Constraint):
    """``base`` checked on events of ``reinterpreted_batch_ndims`` more dims (all must hold)."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint, self.reinterpreted_batch_ndims = base, reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete
        self.event_dim = base.event_dim + reinterpreted_batch_ndims

    def check(self, value: Any) -> Any:
        result = self.base_constraint.check(value)
        for _ in range(self.reinterpreted_batch_ndims):
            result = result.all(-1)
        return result

    def __repr__(self) -> str:
        return (f"IndependentConstraint({self.base_constraint!r}, "
                f"{self.reinterpreted_batch_ndims})")


class _LowerCholesky(Constraint):
    """Lower-triangular square matrices with a positive diagonal."""

    event_dim = 2

    def check(self, value: Any) -> Any:
        lower = (value.tril() == value).flatten(-2).all(-1)
        return lower & (value.diagonal(0, -2, -1) > 0).all(-1)


class _PositiveDefinite(Constraint):
    """Symmetric positive-definite matrices."""

    event_dim = 2

    def check(self, value: Any) -> Any:
        symmetric = ((value - value.mT).abs() <= 1e-6).flatten(-2).all(-1)
        return symmetric & (linalg.eigvalsh(value) > 0).all(-1)


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices."""

    event_dim = 2

    def check(self, value: Any) -> Any:
        return (value.tril() == value).flatten(-2).all(-1)


class _CorrCholesky(Constraint):
    """Lower Cholesky factors of correlation matrices: positive diagonal, unit-norm rows."""

    event_dim = 2

    def check(self, value: Any) -> Any:
        tol = 10 * _eps(value) * value.shape[-1]
        row_norm = linalg.vector_norm(value.detach(), dim=-1)
        unit_norm = ((row_norm - 1.0).abs() <= tol).all(-1)
        return _LowerCholesky().check(value) & unit_norm


class _Square(Constraint):
    """Square matrices."""

    event_dim = 2

    def check(self, value: Any) -> Any:
        return latte.full(tuple(value.shape[:-2]), value.shape[-2] == value.shape[-1],
                          dtype=latte.bool, device=value.device)


class _Symmetric(_Square):
    """Symmetric square matrices (to a tolerance)."""

    def check(self, value: Any) -> Any:
        square = super().check(value)
        if not bool(square.all()):
            return square
        return ((value - value.mT).abs() <= 1e-6).flatten(-2).all(-1)


class _PositiveSemidefinite(_Symmetric):
    """Symmetric positive-semidefinite matrices."""

    def check(self, value: Any) -> Any:
        sym = super().check(value)
        if not bool(sym.all()):
            return sym
        return (linalg.eigvalsh(value) >= 0).all(-1)


class _Multinomial(Constraint):
    """Non-negative integer vectors summing to at most ``upper_bound``."""

    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound: int) -> None:
        self.upper_bound = upper_bound

    def check(self, x: Any) -> Any:
        return (x >= 0).all(-1) & (x.sum(-1) <= self.upper_bound)


class _Cat(Constraint):
    """Constraints applied to consecutive slices of ``lengths`` along ``dim``."""

    def __init__(self, cseq: list, dim: int = 0, lengths: Any = None) -> None:
        self.cseq = list(cseq)
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        self.dim = dim

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return max(c.event_dim for c in self.cseq)

    def check(self, value: Any) -> Any:
        parts = value.split(self.lengths, self.dim)
        return latte.cat([c.check(v) for c, v in zip(self.cseq, parts)], self.dim)


class _Stack(Constraint):
    """Constraints applied to the slices of ``dim``."""

    def __init__(self, cseq: list, dim: int = 0) -> None:
        self.cseq, self.dim = list(cseq), dim

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return any(c.is_discrete for c in self.cseq)

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value: Any) -> Any:
        return latte.stack([c.check(v) for c, v in zip(self.cseq, value.unbind(self.dim))],
                     self.dim)


class MixtureSameFamilyConstraint(Constraint):
    """The support of a ``MixtureSameFamily``: ``base_constraint`` checked on each value
    against every component (the rightmost batch dim), true where all components allow it."""

    def __init__(self, base_constraint: Constraint) -> None:
        self.base_constraint = base_constraint
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim

    def check(self, value: Any) -> Any:
        result = self.base_constraint.check(value.unsqueeze(-1 - self.event_dim))
        keep = value.dim() - self.event_dim
        return result.reshape(tuple(result.shape[:keep]) + (-1,)).all(-1)

    def __repr__(self) -> str:
        return f"MixtureSameFamilyConstraint({self.base_constraint!r})"


def _eps(value: Any) -> float:
    return latte.finfo(value.dtype).eps


dependent = _Dependent()
real = _Real()
boolean = _Boolean()
one_hot = _OneHot()
positive = _GreaterThan(0.0)
nonnegative = _GreaterThan(0.0, inclusive=True)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
nonnegative_integer = _IntegerGreaterThan(0)
real_vector = _IndependentConstraint(real, 1)
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
greater_than = _GreaterThan
less_than = _LessThan
positive_integer = _IntegerGreaterThan(1)
lower_triangular = _LowerTriangular()
corr_cholesky = _CorrCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
multinomial = _Multinomial
cat = _Cat
stack = _Stack
interval = _Interval
integer_interval = _IntegerInterval
independent = _IndependentConstraint


def half_open_interval(lower_bound: Any, upper_bound: Any) -> Constraint:
    """Values in ``[lower_bound, upper_bound)``."""
    return _Interval(lower_bound, upper_bound, half_open=True)


def greater_than_eq(lower_bound: Any) -> Constraint:
    """Values ``>= lower_bound``."""
    return _GreaterThan(lower_bound, inclusive=True)
