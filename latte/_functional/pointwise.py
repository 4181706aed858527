"""Stable elementwise pairs and number splitting: ``logaddexp``, ``hypot``, ``xlogy``,
``nan_to_num``, ``ldexp``, ``frexp``..."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import backend
from latte._functional.common import tensor_like
from latte.autograd import function
from latte.autograd.function import named_node

__all__ = ["logaddexp", "logaddexp2", "hypot", "xlogy", "clamp_min", "clamp_max", "nan_to_num",
           "ldexp", "frexp"]


@named_node("LogaddexpBackward0")
def logaddexp(input: Any, other: Any) -> Any:
    """``log(exp(input) + exp(other))`` without overflow."""
    other = tensor_like(other, input)
    m = input.detach().maximum(other.detach())
    m = m.where(m.isfinite(), 0.0)  # both -inf (or an inf): no shift, the sum says it
    return ((input - m).exp() + (other - m).exp()).log() + m


@named_node("Logaddexp2Backward0")
def logaddexp2(input: Any, other: Any) -> Any:
    """``log2(2**input + 2**other)`` without overflow."""
    ln2 = builtins.float(np.log(2.0))
    return logaddexp(input * ln2, tensor_like(other, input) * ln2) / ln2


@named_node("HypotBackward0")
def hypot(input: Any, other: Any) -> Any:
    """``sqrt(input**2 + other**2)`` elementwise."""
    return (input * input + other * other).sqrt()


@named_node("XlogyBackward0")
def xlogy(input: Any, other: Any) -> Any:
    """``input * log(other)``, 0 where ``input == 0`` (unless ``other`` is NaN)."""
    if not isinstance(input, function.Tensor):
        input = tensor_like(input, other)
    other = tensor_like(other, input)
    # log of 1 where input is 0 and log(other) infinite: the result is 0 there, and neither it
    # nor the gradients become -inf * 0 = NaN; elsewhere d/dinput = log(other), as PyTorch
    zero = (input == 0) & ((other == 0) | other.isinf())
    return input * other.where(~zero, 1.0).log()


def clamp_min(input: Any, min: Any) -> Any:
    """``max(input, min)`` elementwise (``clamp(min=...)``)."""
    return input.clamp(min=min)


def clamp_max(input: Any, max: Any) -> Any:
    """``min(input, max)`` elementwise (``clamp(max=...)``)."""
    return input.clamp(max=max)


@named_node("NanToNumBackward0")
def nan_to_num(input: Any, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """NaN to ``nan``, +inf/-inf to ``posinf``/``neginf`` (the dtype's extremes by default)."""
    if input._data.dtype.kind != "f":
        return input.clone()
    info = np.finfo(input._data.dtype)
    posinf = builtins.float(info.max) if posinf is None else posinf
    neginf = builtins.float(info.min) if neginf is None else neginf
    out = input.where(~input.isnan(), nan)
    out = out.where(input != builtins.float("inf"), posinf)
    return out.where(input != -builtins.float("inf"), neginf)


@named_node("LdexpBackward0")
def ldexp(input: Any, other: Any) -> Any:
    """``input * 2 ** other``."""
    x = input._floating()
    return x * (2.0 ** tensor_like(other, x))



def frexp(input: Any) -> tuple:
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent`` and
    ``0.5 <= |mantissa| < 1``; the exponent is int32."""
    x, xp = input._data, input._xp()
    if x.dtype.kind != "f":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got "
                           f"{input.dtype}")
    m, e = backend.run_on(x, lambda: [xp.asarray(v) for v in xp.frexp(x)])
    return function.Tensor(m), function.Tensor(backend.run_on(e, e.astype, np.int32))

