"""The ``latte.xxx`` function forms of Tensor methods, and the functions of several tensors.

``latte.exp(x)`` is ``x.exp()``: most functions below are generated from the method of the same
name, keeping its docstring and its signature with ``self`` named ``input`` as in PyTorch, so there
is one implementation of each op. Every function that returns a new tensor takes PyTorch's
``out=`` (see ``_out_argument.py``).
"""
from __future__ import annotations

import builtins
import inspect
from typing import Any

import numpy as np

from latte import _functional
from latte._out_argument import with_out
from latte._tensor_math import _reverse
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
    "hsplit", "vsplit", "dsplit", "ravel", "narrow_copy",
    # the pointwise long tail (latte/_tensor_pointwise.py)
    "asin", "acos", "atan", "asinh", "acosh", "atanh", "atan2", "arcsin", "arccos", "arctan",
    "arcsinh", "arccosh", "arctanh", "arctan2", "deg2rad", "rad2deg", "angle", "exp2", "fmod",
    "copysign", "fmax", "fmin", "signbit", "heaviside", "nextafter", "gcd", "lcm", "bitwise_not",
    "isposinf", "isneginf", "isreal", "fix", "positive", "conj", "conj_physical", "resolve_conj",
    "resolve_neg", "is_conj", "is_neg", "is_complex", "is_signed", "is_nonzero", "is_same_size",
    "get_device",
]

# PyTorch's functions of these also take a number as ``input`` (``torch.remainder(5, t)``)
_NUMBER_FIRST = ["remainder", "floor_divide", "bitwise_and", "bitwise_or", "bitwise_xor",
                 "bitwise_left_shift", "bitwise_right_shift"]

# ``latte.sin_(x)`` is ``x.sin_()``, as PyTorch's in-place functions
_IN_PLACE = [
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_",
    "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_",
    "clamp_min_", "clip_", "conj_physical_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_",
    "erfc_", "exp2_", "exp_", "expm1_", "fix_", "floor_", "frac_", "gcd_", "i0_", "lcm_",
    "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_",
    "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_",
    "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_",  # zero_, fill_: written below
]


# views and functions that return no new tensor take no ``out=`` in PyTorch either
_NO_OUT = {"reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "permute", "transpose",
           "swapaxes", "swapdims", "t", "movedim", "moveaxis", "narrow", "split", "tensor_split",
           "chunk", "unbind", "select", "diagonal", "broadcast_to", "detach", "numel", "equal",
           "allclose", "clone", "hsplit", "vsplit", "dsplit", "ravel", "positive", "conj",
           "resolve_conj", "resolve_neg", "is_conj", "is_neg", "is_complex", "is_signed",
           "is_nonzero", "is_same_size", "isreal", "get_device"}


# compositions that return views or index tuples: no ``out=`` in PyTorch either
_NO_OUT_FUNCTIONS = ("atleast_1d", "atleast_2d", "atleast_3d", "unravel_index", "tril_indices",
                     "triu_indices", "unique_consecutive")


# written out below: PyTorch's functions take these as one argument (``reshape(x, shape)``)
# where the methods take them spread out as well (``x.reshape(2, 3)``)
_WRITTEN = {"pow", "reshape", "permute", "flip", "tile"}


def _function_from_method(name: str) -> Any:
    method = getattr(Tensor, name)

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = method.__doc__
    function.__signature__ = _input_signature(method)  # type: ignore[attr-defined]
    if name in _NO_OUT:
        return function
    return with_out(function, name, signature_of=method)


def _input_signature(method: Any) -> inspect.Signature:
    """The method's signature with ``self`` named ``input``, as PyTorch's functions name it."""
    signature = inspect.signature(method)
    params = list(signature.parameters.values())
    return signature.replace(parameters=[params[0].replace(name="input"), *params[1:]])


def _number_first(name: str) -> Any:
    """``latte.<name>(input, other)`` where ``input`` may also be a Python number, promoted as
    one (``remainder(5, int8_tensor)`` is int8)."""
    method = getattr(Tensor, name)

    def function(input: Any, other: Any) -> Any:
        if isinstance(input, Tensor):
            return getattr(input, name)(other)
        other, number = _reverse(other, input)
        return getattr(number, name)(other)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = method.__doc__
    function.__signature__ = _input_signature(method)  # type: ignore[attr-defined]
    return with_out(function, name, signature_of=method)


def _in_place_function(name: str) -> Any:
    method = getattr(Tensor, name)

    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(input, name)(*args, **kwargs)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"``latte.{name}(input, ...)`` is ``input.{name}(...)``: the in-place "
                        f"op, which writes its result into ``input`` and returns it.")
    function.__signature__ = _input_signature(method)  # type: ignore[attr-defined]
    return function


for _name in _METHODS:
    if _name not in _WRITTEN:
        globals()[_name] = _function_from_method(_name)
for _name in _NUMBER_FIRST:
    globals()[_name] = _number_first(_name)
for _name in _IN_PLACE:
    globals()[_name] = _in_place_function(_name)

# the compositions of several tensors (cat, addmm, cummax, ...), with out=
for _name in _functional.__all__:
    _fn = getattr(_functional, _name)
    globals()[_name] = _fn if _name in ("broadcast_shapes", "broadcast_tensors", "einsum",
                                        "meshgrid", "pad_constant") + _NO_OUT_FUNCTIONS \
        else with_out(_fn, _name)

__all__ = list(_METHODS) + _NUMBER_FIRST + _IN_PLACE + list(_functional.__all__) + [
    "max", "min", "is_tensor", "is_floating_point", "cdist", "float_power"]


@with_out
def float_power(input: Any, exponent: Any) -> Any:
    """``input ** exponent`` computed in double precision: the result is float64; either may be
    a Python number.

    Args:
        input (Tensor or Number): the base.
        exponent (Tensor or Number): the exponent, broadcast against ``input``.

    Example::

        >>> latte.float_power(latte.tensor([2, 3]), 2)
        tensor([4., 9.], dtype=latte.float64)
        >>> latte.float_power(2, latte.tensor([0.5]))
        tensor([1.4142], dtype=latte.float64)
    """
    if isinstance(input, Tensor):
        return input.float_power(exponent)
    return exponent._cast(np.float64).__rpow__(builtins.float(input))


@with_out
def pow(input: Any, exponent: Any) -> Any:
    """``input ** exponent`` elementwise; either may be a Python number.

    Args:
        input (Tensor or Number): the base.
        exponent (Tensor or Number): the exponent, broadcast against ``input``.

    Example::

        >>> latte.pow(latte.tensor([1.0, 2.0, 3.0]), 2)
        tensor([1., 4., 9.])
        >>> latte.pow(2.0, latte.tensor([0.0, 1.0, 3.0]))
        tensor([1., 2., 8.])
    """
    if isinstance(input, Tensor):
        return input ** exponent
    return exponent.__rpow__(input)


def reshape(input: Tensor, shape: Any) -> Tensor:
    """The elements of ``input`` in a new ``shape``: a view where the memory allows, else a copy.

    Args:
        input (Tensor): the tensor to reshape.
        shape (tuple of int): the new shape; one entry may be ``-1``, inferred from the others.

    Example::

        >>> latte.reshape(latte.arange(6), (2, -1))
        tensor([[0, 1, 2],
                [3, 4, 5]])
    """
    return input.reshape(shape)


def permute(input: Tensor, dims: Any) -> Tensor:
    """A view of ``input`` with its dimensions reordered: dim ``i`` of the result is ``dims[i]``.

    Args:
        input (Tensor): the tensor.
        dims (tuple of int): the new order of the dimensions.

    Example::

        >>> latte.permute(latte.zeros(2, 3, 4), (2, 0, 1)).shape
        latte.Size([4, 2, 3])
    """
    return input.permute(dims)


@with_out
def flip(input: Tensor, dims: Any) -> Tensor:
    """A copy of ``input`` with the order of elements reversed along ``dims``.

    Args:
        input (Tensor): the tensor.
        dims (int or tuple of int): the dimensions to reverse.

    Example::

        >>> latte.flip(latte.tensor([[1, 2], [3, 4]]), (0,))
        tensor([[3, 4],
                [1, 2]])
    """
    return input.flip(dims)


@with_out
def tile(input: Tensor, dims: Any) -> Tensor:
    """``input`` repeated ``dims[i]`` times along dim ``i`` (missing leading entries are 1).

    Args:
        input (Tensor): the tensor to repeat.
        dims (tuple of int): the number of repetitions per dimension.

    Example::

        >>> latte.tile(latte.tensor([1, 2]), (2,))
        tensor([1, 2, 1, 2])
    """
    return input.tile(dims)


@with_out
def max(input: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Any:
    """The largest element; along ``dim``, the ``(values, indices)`` of the largest; or, given a
    tensor ``other`` in place of ``dim``, the elementwise maximum (as ``latte.maximum``).

    Args:
        input (Tensor): the tensor.
        dim (int or Tensor, optional): the dimension to reduce, or the tensor to compare with.
        keepdim (bool): keep the reduced dimension with size 1.

    Example::

        >>> x = latte.tensor([[1.0, 5.0], [4.0, 2.0]])
        >>> latte.max(x)
        tensor(5.)
        >>> values, indices = latte.max(x, 1)
        >>> values, indices
        (tensor([5., 4.]), tensor([1, 0]))
    """
    return input.max(dim, keepdim)


@with_out
def min(input: Tensor, dim: Any = None, keepdim: builtins.bool = False) -> Any:
    """The smallest element; along ``dim``, the ``(values, indices)`` of the smallest; or, given
    a tensor ``other`` in place of ``dim``, the elementwise minimum (as ``latte.minimum``).

    Args:
        input (Tensor): the tensor.
        dim (int or Tensor, optional): the dimension to reduce, or the tensor to compare with.
        keepdim (bool): keep the reduced dimension with size 1.

    Example::

        >>> latte.min(latte.tensor([[1.0, 5.0], [4.0, 2.0]]), 0).values
        tensor([1., 2.])
    """
    return input.min(dim, keepdim)


def is_tensor(obj: Any) -> builtins.bool:
    """Whether ``obj`` is a Latte ``Tensor`` (a ``Parameter`` is one too).

    Example::

        >>> latte.is_tensor(latte.zeros(2)), latte.is_tensor([0.0, 0.0])
        (True, False)
    """
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> builtins.bool:
    """Whether ``input``'s dtype is a floating-point type (float16, float32 or float64).

    Example::

        >>> latte.is_floating_point(latte.tensor([1.0])), latte.is_floating_point(latte.tensor([1]))
        (True, False)
    """
    return input.is_floating_point()


@named_node("CdistBackward0")
def cdist(x1: Tensor, x2: Tensor, p: float = 2.0) -> Tensor:
    """The ``p``-norm distance between each row of ``x1`` and each row of ``x2``.

    Args:
        x1 (Tensor): ``(B, P, M)`` or ``(P, M)``.
        x2 (Tensor): ``(B, R, M)`` or ``(R, M)``.
        p (float): the norm's order.

    Shape:
        The result is ``(B, P, R)`` (or ``(P, R)``).

    Example::

        >>> latte.cdist(latte.tensor([[0.0, 0.0], [3.0, 4.0]]), latte.tensor([[0.0, 0.0]]))
        tensor([[0.],
                [5.]])
    """
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return diff.norm(p, dim=-1)


@with_out
@named_node(lambda input, other, **kwargs: "RsubBackward0" if isinstance(other, Tensor)
            else "RsubBackward1")
def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``other - alpha * input``: subtraction with the operands swapped (``other`` may be a
    number).

    Example::

        >>> latte.rsub(latte.tensor([1.0, 2.0]), 10.0, alpha=2)
        tensor([8., 6.])
    """
    return other - (input if alpha == 1 else input * alpha)


def zero_(input: Tensor) -> Tensor:
    """Set every element of ``input`` to 0, in place; returns ``input``.

    Example::

        >>> latte.zero_(latte.tensor([1.0, 2.0]))
        tensor([0., 0.])
    """
    return input.zero_()


def fill_(input: Tensor, value: Any) -> Tensor:
    """Set every element of ``input`` to ``value`` (a number or a 0-d tensor), in place.

    Example::

        >>> latte.fill_(latte.zeros(2), 3.0)
        tensor([3., 3.])
    """
    _check_fill_value(value)
    return input.fill_(value)


def fill(input: Tensor, value: Any) -> Tensor:
    """A new tensor of ``input``'s shape and dtype with every element ``value`` (a number or a
    0-d tensor); ``input`` is unchanged.

    Example::

        >>> latte.fill(latte.tensor([1, 2]), 7)
        tensor([7, 7])
    """
    _check_fill_value(value)
    return input.detach().clone().fill_(value)


def _check_fill_value(value: Any) -> None:
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.dim()} dimensions.")


__all__ += ["rsub", "zero_", "fill_", "fill"]
