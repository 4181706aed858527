"""The ``latte.xxx`` function forms of Tensor methods, and the functions of several tensors.

``latte.exp(x)`` is ``x.exp()``: most functions below are generated from the method of the same
name (keeping its docstring and signature), so there is one implementation of each op. Every
function that returns a new tensor takes PyTorch's ``out=`` (see ``_out_argument.py``).
"""
from __future__ import annotations

import builtins
from typing import Any

from latte import _functional
from latte._out_argument import with_out
from latte.autograd.function import named_node
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


# views and functions that return no new tensor take no ``out=`` in PyTorch either
_NO_OUT = {"reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
           "swapaxes", "swapdims", "t", "movedim", "moveaxis", "narrow", "split", "tensor_split",
           "chunk", "unbind", "select", "diagonal", "broadcast_to", "detach", "numel", "equal",
           "allclose", "clone"}


def _function_from_method(name: str) -> Any:
    method = getattr(Tensor, name)

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = method.__doc__ or f"``latte.{name}(x, ...)`` is ``x.{name}(...)``."
    if name in _NO_OUT:
        return function
    return with_out(function, name, signature_of=method)


for _name in _METHODS:
    if _name != "pow":
        globals()[_name] = _function_from_method(_name)

# the compositions of several tensors (cat, addmm, cummax, ...), with out=
for _name in _functional.__all__:
    _fn = getattr(_functional, _name)
    globals()[_name] = _fn if _name in ("broadcast_shapes", "broadcast_tensors", "einsum",
                                        "meshgrid", "pad_constant") else with_out(_fn, _name)

__all__ = list(_METHODS) + list(_functional.__all__) + [
    "max", "min", "is_tensor", "is_floating_point", "cdist"]


@with_out
def pow(input: Any, exponent: Any) -> Any:
    """``input ** exponent``; either may be a Python number: ``latte.pow(2.0, x)``."""
    if isinstance(input, Tensor):
        return input ** exponent
    return exponent.__rpow__(input)


@with_out
def max(input: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Any:
    """``max(x)``, ``max(x, dim)`` giving ``(values, indices)``, or ``max(x, y)`` elementwise."""
    return input.max(dim, keepdim)


@with_out
def min(input: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Any:
    """``min(x)``, ``min(x, dim)`` giving ``(values, indices)``, or ``min(x, y)`` elementwise."""
    return input.min(dim, keepdim)


def is_tensor(obj: Any) -> builtins.bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> builtins.bool:
    return t.is_floating_point()


@named_node("CdistBackward0")
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """Pairwise distances between the rows of ``x1`` and ``x2``."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p, dim=-1)
