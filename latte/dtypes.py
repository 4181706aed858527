"""Latte's dtypes (``latte.float32`` ...) and PyTorch's type-promotion rules on top of NumPy's."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "half", "float", "double",
    "uint8", "int8", "int16", "int32", "int64", "short", "int", "long", "bool",
    "get_default_dtype", "set_default_dtype", "to_numpy_dtype", "from_numpy_dtype",
    "layout", "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc",
    "jagged", "memory_format", "contiguous_format", "channels_last", "channels_last_3d",
    "preserve_format",
]


class dtype:
    """A tensor element type, printed and compared like ``torch.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    @property
    def is_complex(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"latte.{self.name}"

    def __reduce__(self) -> str:
        return self.name  # pickles as the module-level singleton of the same name


float16 = half = dtype("float16", np.float16)
float32 = float = dtype("float32", np.float32)
float64 = double = dtype("float64", np.float64)
uint8 = dtype("uint8", np.uint8)
int8 = dtype("int8", np.int8)
int16 = short = dtype("int16", np.int16)
int32 = int = dtype("int32", np.int32)
int64 = long = dtype("int64", np.int64)
bool = dtype("bool", np.bool_)

_BY_NUMPY = {d.np: d for d in (float16, float32, float64, uint8, int8, int16, int32, int64, bool)}
_default_dtype = float32


class _Descriptor:
    """A named singleton printed as ``latte.<name>`` and pickled as itself."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"latte.{self.name}"

    def __reduce__(self) -> str:
        return self.name


class layout(_Descriptor):
    """How a tensor's elements are stored: every Latte tensor is ``latte.strided`` (dense);
    the sparse layouts exist as names, for comparisons such as ``t.layout == torch.sparse_coo``."""

    __slots__ = ()


class memory_format(_Descriptor):
    """A ``memory_format=`` argument (``latte.channels_last`` ...): accepted; Latte keeps
    every tensor in its contiguous row-major order."""

    __slots__ = ()


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


def from_numpy_dtype(np_dtype: Any) -> dtype:
    """The latte dtype of a NumPy dtype; raises for types Latte does not support."""
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"Latte has no dtype for NumPy's {np.dtype(np_dtype)}") from None


def to_numpy_dtype(d: Any) -> np.dtype:
    """Accept a latte dtype, a NumPy dtype or a Python type and return the NumPy dtype."""
    if isinstance(d, dtype):
        return d.np
    if d is builtins.float:
        return np.dtype(np.float64)  # as PyTorch: the Python type float means double
    if d is builtins.int:
        return np.dtype(np.int64)
    if d is builtins.bool:
        return np.dtype(np.bool_)
    return from_numpy_dtype(d).np


def as_dtype(d: Any) -> dtype:
    """Accept a latte dtype, a NumPy dtype or a Python type and return the latte dtype."""
    return d if isinstance(d, dtype) else from_numpy_dtype(to_numpy_dtype(d))


def get_default_dtype() -> dtype:
    """The floating dtype that Python floats and ``latte.tensor([1.5])`` become (float32)."""
    return _default_dtype


def set_default_dtype(d: Any) -> None:
    """Set the default floating dtype (``latte.float32`` or ``latte.float64``)."""
    global _default_dtype
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype = d


def _category(np_dtype: np.dtype) -> builtins.int:
    """0 for bool, 1 for integers, 2 for floats: PyTorch promotes across categories."""
    return 0 if np_dtype.kind == "b" else (2 if np_dtype.kind == "f" else 1)


def result_type(a: np.dtype, b: np.dtype, a_dim: builtins.bool = True,
                b_dim: builtins.bool = True) -> np.dtype:
    """PyTorch's promotion of two tensor dtypes; a 0-d operand only decides a higher category.

    ``int64 + float32 -> float32`` (NumPy says float64) and ``float32[n] + float64[()] -> float32``.
    """
    if a == b:
        return a
    ca, cb = _category(a), _category(b)
    if a_dim != b_dim:
        # a 0-d tensor beside a dimensioned one only matters when it is of a higher category
        dimmed, zero_d = (a, b) if a_dim else (b, a)
        return dimmed if _category(zero_d) <= _category(dimmed) else zero_d
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)
