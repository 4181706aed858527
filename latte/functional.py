"""The ``latte.xxx`` function forms of Tensor methods, and the ops that take several tensors.

``latte.exp(x)`` is ``x.exp()``: most functions below are generated from the method of the same
name (keeping its docstring), so there is one implementation of each op.
"""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from latte import backend
from latte.ops import linalg, shape
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
    "flip", "fliplr", "flipud", "roll", "rot90", "tril", "triu", "diagonal", "gather",
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


def cat(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None, axis: Any = None) -> Tensor:
    """Concatenate tensors along an existing dim: ``cat([a, b], dim=1)`` (or NumPy's ``axis``)."""
    return shape.cat(tensors, dim if axis is None else axis)


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {first} at "
                               f"entry 0 and {tuple(t.shape)} at entry {i}")
    rank = len(first) + 1
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, "
                         f"{rank - 1}], but got {dim})")
    return shape.cat([t.unsqueeze(dim) for t in tensors], dim % rank)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """``input`` where ``condition`` holds, else ``other``; ``where(cond)`` is ``nonzero``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(input, Tensor):
        if isinstance(other, Tensor):
            kind = other._data.dtype if not isinstance(input, builtins.float) else \
                np.result_type(other._data.dtype, np.float32)
            input = Tensor(backend.array_on(other._data, "asarray", input, dtype=kind))
        else:
            from latte.creation import tensor
            input = tensor(input)
    return input.where(condition, other)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; differentiable."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    from latte.tensor import _promote_all
    return linalg.Einsum.apply(equation, *_promote_all(list(operands)))


def pad_constant(input: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)`` as ``F.pad``; may crop."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"Padding length must be divisible by 2 and at most twice the number "
                         f"of dims ({input.ndim}); got {len(pad)}")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    positive = tuple((builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs)
    out = shape.ConstantPad.apply(input, positive, value) if builtins.any(
        lo or hi for lo, hi in positive) else input
    if builtins.any(lo < 0 or hi < 0 for lo, hi in pairs):
        crop = tuple(slice(-builtins.min(lo, 0), out.shape[i] + builtins.min(hi, 0))
                     for i, (lo, hi) in enumerate(pairs))
        out = out[crop]
    return out


def broadcast_tensors(*tensors: Tensor) -> tuple:
    target = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t.expand(target) for t in tensors)


def broadcast_shapes(*shapes: Any) -> tuple:
    from latte.tensor import Size
    return Size(np.broadcast_shapes(*shapes))


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    sizes = [t.numel() for t in tensors]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        axis = i
        if indexing == "xy" and n >= 2 and i < 2:
            axis = 1 - i
        shape_ = [1] * n
        shape_[axis] = t.numel()
        out.append(t.reshape(shape_).expand(sizes))
    return tuple(out)


def is_tensor(obj: Any) -> builtins.bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> builtins.bool:
    return t.is_floating_point()


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """Pairwise distances between the rows of ``x1`` and ``x2``."""
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p, dim=-1)
