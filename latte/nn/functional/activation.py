"""Activation functions, composed from Tensor ops (so every one is differentiable twice).

Branches that could overflow in the side ``where`` drops are clamped first: a NaN there would
still poison the gradient (0 * inf).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from latte import random
from latte._out_argument import _TORCH_NAMES
from latte.autograd.function import named_node
from latte.autograd.grad_mode import is_grad_enabled
from latte.nn.functional._device import on_input_device
from latte.ops.activation import Erf, Gelu
from latte.tensor import Tensor

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu",
           "celu", "gelu", "silu", "mish", "sigmoid", "tanh", "softplus", "softsign",
           "tanhshrink", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "logsigmoid",
           "softmax", "log_softmax", "softmin", "threshold", "glu", "hardshrink",
           "softshrink", "erf", "rrelu", "rrelu_", "selu_", "celu_", "threshold_"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _inplace(input: Tensor, fn: Callable[[Tensor], Tensor], inplace: bool) -> Tensor:
    """``fn(input)``, written into ``input`` when ``inplace``."""
    if not inplace:
        return fn(input)
    # fn's graph may save its argument: give it a copy, so the write below leaves it intact
    source = input.clone() if input.requires_grad and is_grad_enabled() else input
    return input.copy_(fn(source))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise; ``inplace=True`` writes into ``input``.

    Example::

        >>> F.relu(latte.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:
    """In-place ``relu``: ``max(input, 0)`` written into ``input``."""
    return input.relu_()


@named_node("HardtanhBackward0")
def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


@named_node("LeakyReluBackward0")
def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``."""
    return _inplace(input, lambda x: x.where(x > 0, x * negative_slope), inplace)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place ``leaky_relu``, written into ``input``."""
    return leaky_relu(input, negative_slope, True)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learned slope per channel (dim 1), or one shared slope (see
    ``Tensor.prelu``)."""
    return input.prelu(weight)


@named_node("EluBackward0")
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)`` (a NaN passes its gradient, as
    PyTorch's ``x <= 0`` test does)."""
    return _inplace(input, lambda x: x.where(~(x <= 0), x.where(x <= 0, 0.0).expm1() * alpha),
                    inplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``elu``, written into ``input``."""
    return elu(input, alpha, True)


@named_node("EluBackward0")
def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return _inplace(input, lambda x: elu(x, _SELU_ALPHA) * _SELU_SCALE, inplace)


@named_node("EluBackward0")
def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return _inplace(input, lambda x: x.where(~(x <= 0),
                                             (x.where(x <= 0, 0.0) / alpha).expm1() * alpha),
                    inplace)


def selu_(input: Tensor) -> Tensor:
    """In-place ``selu``, written into ``input``."""
    return selu(input, True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ``celu``, written into ``input``."""
    return celu(input, alpha, True)


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return Erf.apply(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (Gaussian CDF); ``approximate='tanh'`` uses the tanh formula."""
    if approximate == "tanh":
        return _gelu_tanh(input)
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    return Gelu.apply(input)


@named_node("GeluBackward0")
def _gelu_tanh(input: Tensor) -> Tensor:
    inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
    return input * (inner.tanh() + 1.0) * 0.5


@named_node("SiluBackward0")
def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    return _inplace(input, lambda x: x * x.sigmoid(), inplace)


@named_node("MishBackward0")
def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return _inplace(input, lambda x: x * softplus(x).tanh(), inplace)


def sigmoid(input: Tensor) -> Tensor:
    """The logistic sigmoid ``1 / (1 + exp(-input))`` elementwise."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent of each element, in ``(-1, 1)``."""
    return input.tanh()


@named_node("SoftplusBackward0")
def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold``."""
    scaled = input * beta
    smooth = scaled.clamp(max=threshold).exp().log1p() / beta
    return input.where(scaled > threshold, smooth)


def softsign(input: Tensor) -> Tensor:
    """``input / (1 + |input|)`` elementwise."""
    return input / (input.abs() + 1.0)


def tanhshrink(input: Tensor) -> Tensor:
    """``input - tanh(input)`` elementwise."""
    return input - input.tanh()


@named_node("HardtanhBackward0")
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """``clamp(x, min_val, max_val)``; the gradient is 0 at the bounds themselves (PyTorch's,
    unlike clamp's), and a NaN passes its gradient."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _inplace(input, lambda x: x.where(~((x <= min_val) | (x >= max_val)),
                                             x.detach().clamp(min_val, max_val)), inplace)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place ``hardtanh``, written into ``input``."""
    return hardtanh(input, min_val, max_val, True)


@named_node("HardsigmoidBackward0")
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``; the gradient is ``1/6`` strictly inside ``(-3, 3)``, else 0."""
    return _inplace(input, lambda x: ((x + 3.0) / 6.0).where(
        (x > -3.0) & (x < 3.0), (x.detach().clamp(-3.0, 3.0) + 3.0) / 6.0), inplace)


@named_node("HardswishBackward0")
def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6``: 0 up to -3, ``x`` from 3 on (PyTorch's gradient: 0 at -3, 1 at
    3, and a NaN passes its gradient)."""
    def fn(x: Tensor) -> Tensor:
        low = x <= -3.0
        middle = ~low & (x < 3.0)
        inner = x.where(middle, 0.0)  # finite off the middle: no 0 * inf in its gradient
        # below -3 the value is x * 0 (NaN at -inf, as PyTorch's), with no gradient
        return (inner * (inner + 3.0) / 6.0).where(middle, x.where(~low, x.detach() * 0.0))
    return _inplace(input, fn, inplace)


@named_node("LogSigmoidBackward0")
def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``, stable for any x."""
    return -softplus_of_negative(input)


def softplus_of_negative(x: Tensor) -> Tensor:
    """``log(1 + exp(-x)) = max(-x, 0) + log1p(exp(-|x|))``, stable for any x.

    ``|x|`` and ``max`` are written as one ``where`` on ``x >= 0``, so that at ``x = 0`` the
    gradient is the smooth one, ``-1/2`` (``abs`` and ``clamp`` each take a side of their kink
    there, and their sum would be 0 or -1)."""
    nonnegative = x >= 0
    neg_abs = (-x).where(nonnegative, x)
    hinge = (-x).where(~nonnegative, 0.0)
    return hinge + neg_abs.exp().log1p()


def _softmax_dim(ndim: int) -> int:
    # PyTorch's legacy choice when dim is not given
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (computed with the max subtracted)."""
    if dtype is not None:
        input = input.to(dtype)
    return input.softmax(_softmax_dim(input.dim()) if dim is None else dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    return input.log_softmax(_softmax_dim(input.dim()) if dim is None else dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
            dtype: Any = None) -> Tensor:
    """``softmax(-input)`` along ``dim``: the smallest inputs get the largest weights."""
    return softmax(-input, dim, dtype=dtype)


@named_node("ThresholdBackward0")
def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value`` (NaN stays NaN: PyTorch tests
    ``x <= threshold``)."""
    return _inplace(input, lambda x: x.where(~(x <= threshold), value), inplace)


@named_node("GluBackward0")
def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``dim`` in halves ``a, b`` and return ``a * sigmoid(b)``."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


_threshold = threshold  # reachable inside threshold_, whose parameter shadows the name


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place ``threshold``: ``value`` written into ``input`` where it is not above
    ``threshold``."""
    return _threshold(input, threshold, value, True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x`` where ``|x| > lambd``, else 0."""
    return input.hardshrink(lambd)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0 (NaN stays NaN)."""
    inside = (input >= -lambd) & (input <= lambd)
    return (input - input.sign() * lambd).where(~inside, 0.0)


@named_node("RreluWithNoiseBackward0")
@on_input_device
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU: ``x`` where ``x > 0``, else ``a * x``.

    In training each element at or below 0 gets its own slope ``a ~ U(lower, upper)`` from
    Latte's RNG (``latte.manual_seed`` repeats them); in evaluation ``a = (lower + upper) / 2``.

    Args:
        input: any shape, floating point.
        lower, upper: the range of the random slope.
        training: draw slopes (True) or use their mean (False).
        inplace: write the result into ``input``.

    Shape:
        Input: ``(*)``; output: ``(*)``.

    Example::

        >>> F.rrelu(latte.tensor([-2.0, 3.0]), 0.1, 0.3)
        tensor([-0.4000,  3.0000])
    """
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    dtype = input._data.dtype
    if dtype.kind != "f":
        raise NotImplementedError(f"\"rrelu\" not implemented for "
                                  f"'{_TORCH_NAMES.get(dtype.name, dtype.name)}'")
    if not training:
        return _inplace(input, lambda x: x.where(x > 0, x * ((lower + upper) / 2)), inplace)
    draws = random._uniform_on(input._data, tuple(input.shape),
                               np.float32 if dtype == np.float32 else np.float64)
    draws = (draws * (upper - lower) + lower).astype(dtype)
    # the slope is a constant of the graph: the gradient is 1 above 0 and the slope below
    noise = Tensor(input._xp().where(input._data <= 0, draws, dtype.type(1)))
    return _inplace(input, lambda x: x * noise, inplace)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place ``rrelu``, written into ``input``."""
    return rrelu(input, lower, upper, training, True)
