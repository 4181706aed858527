"""The ``latte.xxx`` function forms of Tensor methods, and the functions of several tensors.

``latte.exp(x)`` is ``x.exp()``: most functions below are generated from the method of the same
name (keeping its docstring), so there is one implementation of each op.
"""
from __future__ import annotations

import builtins
from typing import Any

from latte._functional.joining import (
    broadcast_shapes,
    broadcast_tensors,
    cat,
    concat,
    concatenate,
    einsum,
    hstack,
    meshgrid,
    pad_constant,
    stack,
    vstack,
    where,
)
from latte.tensor import Tensor

_METHODS = [
    "abs", "absolute", "add", "sub", "subtract", "mul", "multiply", "div", "divide",
    "true_divide", "neg", "negative", "pow", "square", "reciprocal", "rsqrt", "exp", "log",
    "log2", "log10", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "log1p", "expm1", "tanh",
    "sigmoid", "relu", "clamp", "clip", "minimum", "sign", "sgn", "floor", "ceil",
    "round", "trunc", "frac", "addcmul", "addcdiv", "lerp", "sum", "nansum", "mean", "var",
    "std", "amax", "amin", "argmax", "argmin", "logsumexp", "softmax", "log_softmax", "prod",
    "cumsum", "cumprod", "norm", "all", "any", "count_nonzero", "reshape", "flatten",
    "unflatten", "squeeze", "unsqueeze", "permute", "transpose", "swapaxes", "swapdims", "t",
    "movedim", "moveaxis", "narrow", "split", "tensor_split", "chunk", "unbind", "select",
    "flip", "fliplr", "flipud", "roll", "rot90", "tril", "triu", "diagonal", "as_strided",
    "split_with_sizes", "adjoint", "gather",
    "scatter", "scatter_add", "index_select", "take", "masked_fill", "masked_select",
    "nonzero", "argwhere", "sort", "argsort", "topk", "kthvalue", "median", "unique", "eq",
    "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "equal", "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf",
    "isfinite", "allclose", "isclose", "matmul", "mm", "bmm", "mv", "dot", "inner", "outer",
    "ger", "numel", "repeat_interleave", "tile", "broadcast_to", "detach", "clone", "maximum",
]


def _function_from_method(name: str) -> Any:
    method = getattr(Tensor, name)

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = method.__doc__ or f"``latte.{name}(x, ...)`` is ``x.{name}(...)``."
    return function


for _name in _METHODS:
    if _name != "pow":
        globals()[_name] = _function_from_method(_name)

__all__ = list(_METHODS) + [
    "max", "min", "cat", "concat", "concatenate", "stack", "hstack", "vstack", "where", "einsum",
    "pad_constant", "broadcast_tensors", "broadcast_shapes", "meshgrid", "is_tensor",
    "is_floating_point", "cdist"]


def pow(input: Any, exponent: Any) -> Any:
    """``input ** exponent``; either may be a Python number: ``latte.pow(2.0, x)``."""
    if isinstance(input, Tensor):
        return input ** exponent
    return exponent.__rpow__(input)


def max(input: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Any:
    """``max(x)``, ``max(x, dim)`` giving ``(values, indices)``, or ``max(x, y)`` elementwise."""
    return input.max(dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Any:
    """``min(x)``, ``min(x, dim)`` giving ``(values, indices)``, or ``min(x, y)`` elementwise."""
    return input.min(dim, keepdim)
























def is_tensor(obj: Any) -> builtins.bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> builtins.bool:
    return t.is_floating_point()


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """Pairwise distances between the rows of ``x1`` and ``x2``."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p, dim=-1)
