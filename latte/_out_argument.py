"""PyTorch's ``out=`` argument: the result written into a tensor the caller gives.

The rules are PyTorch's: the result is copied into ``out`` (converted to its dtype, which must
be able to hold the result's kind: floats do not go into an integer tensor), ``out`` is resized
when its shape differs (with a warning unless it was empty), and no argument may require grad
while grad mode is on, since a written-into tensor has no history to differentiate.
"""
from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from latte.autograd import function
from latte.autograd.grad_mode import _state

__all__ = ["with_out", "cast_error", "torch_dtype_name"]

_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte",
                "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool"}


def torch_dtype_name(d: Any) -> str:
    """The name PyTorch's messages give a dtype: ``'Float'`` for float32, ``'Long'``..."""
    return _TORCH_NAMES.get(np.dtype(d).name, np.dtype(d).name)


def cast_error(result: Any, out: Any) -> RuntimeError:
    """PyTorch's error for a result that the written-into tensor's dtype cannot hold."""
    return RuntimeError(f"result type {torch_dtype_name(result)} can't be cast to the desired "
                        f"output type {torch_dtype_name(out)}")


def _requires_grad(values: Any) -> bool:
    for v in values:
        if isinstance(v, function.Tensor) and v.requires_grad:
            return True
        if isinstance(v, (list, tuple)) and _requires_grad(v):
            return True
    return False


def _write(result: Any, out: Any) -> Any:
    if not isinstance(out, function.Tensor):
        raise TypeError(f"out= expects a Tensor, got {type(out).__name__}")
    if not np.can_cast(result._data.dtype, out._data.dtype, "same_kind"):
        raise cast_error(result._data.dtype, out._data.dtype)
    if tuple(out.shape) != tuple(result.shape):
        if out.numel():
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(result.shape)}. This behavior is deprecated, and in a future "
                          f"PyTorch release outputs will not be resized unless they have zero "
                          f"elements. You can explicitly reuse an out tensor t by resizing it, "
                          f"inplace, to zero elements with t.resize_(0).", UserWarning,
                          stacklevel=4)
        out.resize_(tuple(result.shape))
    return out.copy_(result)


def with_out(fn: Callable, name: str | None = None, signature_of: Callable | None = None,
             factory: bool = False) -> Callable:
    """``fn`` taking a keyword ``out`` (a tensor, or a tuple of them for several results);
    the wrapper shows the signature of ``signature_of`` (default ``fn``) with ``out`` added.
    ``factory``: ``fn`` makes a new tensor (``zeros``, ``arange``...), which then takes ``out``'s
    dtype and device unless they are given."""
    name = name or fn.__name__

    @functools.wraps(fn)
    def wrapper(*args: Any, out: Any = None, **kwargs: Any) -> Any:
        if out is None:
            return fn(*args, **kwargs)
        if factory and isinstance(out, function.Tensor):
            if kwargs.get("dtype") is None:
                kwargs["dtype"] = out.dtype
            if kwargs.get("device") is None:
                kwargs["device"] = out.device
        if _state.enabled and _requires_grad((*args, *kwargs.values(), out)):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                               f"automatic differentiation, but one of the arguments requires "
                               f"grad.")
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{name}(): out= expects a tuple of {len(result)} tensors")
            written = [_write(r, o) for r, o in zip(result, out)]
            return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
        return _write(result, out)

    signature = _signature(signature_of or fn)
    if signature is not None:
        wrapper.__signature__ = signature
    return wrapper


def _signature(fn: Callable) -> inspect.Signature | None:
    """``fn``'s signature with a keyword-only ``out=None`` (and ``input`` for ``self``)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if params and params[0].name == "self":
        params[0] = params[0].replace(name="input")
    if any(p.name == "out" for p in params):
        return signature.replace(parameters=params)
    out = inspect.Parameter("out", inspect.Parameter.KEYWORD_ONLY, default=None)
    position = next((i for i, p in enumerate(params) if p.kind == p.VAR_KEYWORD), len(params))
    return signature.replace(parameters=params[:position] + [out] + params[position:])
