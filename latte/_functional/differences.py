"""Finite differences and integration along a dimension: ``diff``, ``trapezoid``,
``cumulative_trapezoid``; composed of slices, so gradients come from those."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.autograd import function
from latte.autograd.function import named_node

__all__ = ["diff", "trapezoid", "trapz", "cumulative_trapezoid"]


def _joined(input: Any, dim: int, prepend: Any, append: Any) -> Any:
    from latte._functional.joining import cat
    parts = []
    for name, t in (("prepend", prepend), ("append", append)):
        if t is None:
            continue
        if not isinstance(t, function.Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t.ndim != input.ndim or any(a != b for k, (a, b) in enumerate(zip(t.shape, input.shape))
                                       if k != dim):
            raise RuntimeError(
                f"diff expects the shape of tensor to prepend or append to match that of input "
                f"except along the differencing dimension; input shape {list(input.shape)}, but "
                f"got tensor shape {list(t.shape)}")
        parts.append((name, t))
    if not parts:
        return input
    before = [t for name, t in parts if name == "prepend"]
    after = [t for name, t in parts if name == "append"]
    return cat([*before, input, *after], dim)


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, applied
    ``n`` times, after joining ``prepend`` and ``append`` to ``input`` along ``dim`` (booleans
    give ``x[i + 1] != x[i]``).

    Args:
        input (Tensor): at least 1-D.
        n (int): how many times to difference.
        dim (int): the dimension.
        prepend, append (Tensor, optional): joined before / after ``input`` along ``dim``; the
            same shape as ``input`` in the other dimensions.

    Example::

        >>> latte.diff(latte.tensor([1, 4, 9, 16]))
        tensor([3, 5, 7])
        >>> latte.diff(latte.tensor([1, 4, 9, 16]), n=2)
        tensor([2, 2])
    """
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = input._dim(dim)
    x = _joined(input, d, prepend, append)
    for _ in range(n):
        length = x.shape[d]
        if length == 0:
            break
        after, before = x.narrow(d, 1, length - 1), x.narrow(d, 0, length - 1)
        x = after.ne(before) if x._data.dtype.kind == "b" else after - before
    return x


def _edges(y: Any, d: int) -> tuple:
    n = y.shape[d]
    return y.narrow(d, 1, n - 1), y.narrow(d, 0, n - 1)


def _check_points(name: str, x: Any) -> None:
    if x is not None:  # the spacing is the keyword dx, never a positional number
        raise TypeError(f"{name}() received an invalid combination of arguments: x must be a "
                        f"Tensor, not {type(x).__name__} (an even spacing goes in dx=)")


def _check_not_bool(name: str, y: Any, x: Any) -> None:
    if y._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if isinstance(x, function.Tensor) and x._data.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not "
                           f"supported")


def _spacing(y: Any, x: Any, d: int) -> Any:
    """The widths ``x[i + 1] - x[i]`` shaped to broadcast against ``y``'s intervals."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError("trapezoid: There must be one `x` value for each sample point")
        widths = x[1:] - x[:-1]
        return widths.reshape([-1 if k == d else 1 for k in range(y.ndim)])
    if tuple(x.shape) != tuple(y.shape):
        x = x.expand(*y.shape)  # x broadcasts to y (a RuntimeError naming both when not)
    return diff(x, dim=d)


@named_node(lambda y, x=None, *a, **k: "DivBackward1" if isinstance(x, function.Tensor)
            else "MulBackward1")
def trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at sample points ``x``
    (a 1-D tensor of ``y.size(dim)`` points, or a tensor broadcasting with ``y``), or with an
    even spacing ``dx`` (default 1). Integer ``y`` gives a floating result.

    Example::

        >>> latte.trapezoid(latte.tensor([1.0, 2.0, 3.0]))
        tensor(4.)
        >>> latte.trapezoid(latte.tensor([1.0, 2.0, 3.0]), latte.tensor([0.0, 1.0, 3.0]))
        tensor(6.5000)
    """
    _check_not_bool("trapezoid", y, x)
    d = y._dim(dim)
    if isinstance(x, function.Tensor):
        if y.shape[d] == 0:
            return y.sum(d) * 0.0
        upper, lower = _edges(y, d)
        return (_spacing(y, x, d) * (upper + lower)).sum(d) / 2.0
    _check_points("trapezoid", x)
    dx = 1 if dx is None else dx
    if y.shape[d] == 0:
        return y.sum(d) * 0.0
    ends = y.select(d, 0) + y.select(d, -1)
    return (y.sum(d) - ends * 0.5) * dx


trapz = trapezoid


@named_node(lambda y, x=None, *a, **k: "DivBackward1" if isinstance(x, function.Tensor)
            else None)
def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: int = -1) -> Any:
    """The running integral of ``y`` along ``dim`` by the trapezoidal rule (one value fewer than
    ``y`` along ``dim``); sample points ``x`` or spacing ``dx`` as :func:`trapezoid`.

    Example::

        >>> latte.cumulative_trapezoid(latte.tensor([1.0, 2.0, 3.0]))
        tensor([1.5000, 4.0000])
    """
    _check_not_bool("cumulative_trapezoid", y, x)
    d = y._dim(dim)
    if y.shape[d] == 0:
        return y._floating() * 1.0
    upper, lower = _edges(y, d)
    if isinstance(x, function.Tensor):
        return (_spacing(y, x, d) * (upper + lower)).cumsum(d) / 2.0
    _check_points("cumulative_trapezoid", x)
    dx = 1 if dx is None else dx
    return ((upper + lower) * (dx / 2.0)).cumsum(d)
