"""Questions about dtypes: ``finfo``/``iinfo`` (the limits of a type), ``promote_types``,
``result_type`` and ``can_cast`` (PyTorch's promotion rules, from ``latte.dtypes``), and
``is_storage``/``typename``."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import dtypes
from latte._storage import UntypedStorage

__all__ = ["finfo", "iinfo", "promote_types", "result_type", "can_cast", "is_storage",
           "typename"]

_Number = (builtins.bool, builtins.int, builtins.float, np.number, np.bool_)


def _checked_dtype(d: Any, who: str) -> dtypes.dtype:
    if not isinstance(d, dtypes.dtype):
        raise TypeError(f"{who}(): argument 'type' (position 1) must be latte.dtype, not "
                        f"{type(d).__name__}")
    return d


class finfo:
    """The numerical limits of a floating dtype, as ``torch.finfo``.

    Attributes: ``bits``, ``eps`` (the gap between 1 and the next number), ``max``, ``min``,
    ``tiny`` and ``smallest_normal`` (the smallest positive normal number), ``resolution``
    (``10 ** -precision`` in decimal digits) and ``dtype`` (the name, e.g. ``'float32'``).
    Without an argument it describes the default dtype.

    Example::

        >>> latte.finfo(latte.float32).eps
        1.1920928955078125e-07
        >>> latte.finfo(latte.float16).max
        65504.0
    """

    bits: builtins.int
    eps: builtins.float
    max: builtins.float
    min: builtins.float
    tiny: builtins.float
    smallest_normal: builtins.float
    resolution: builtins.float
    dtype: str

    def __init__(self, type: Any = None) -> None:
        d = dtypes.get_default_dtype() if type is None else _checked_dtype(type, "finfo")
        if not d.is_floating_point:
            raise TypeError("latte.finfo() requires a floating point input type. Use "
                            f"latte.iinfo to handle {d!r}")
        info = np.finfo(d.np)
        self.bits = builtins.int(info.bits)
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(info.precision)
        self.dtype = d.name

    def __eq__(self, other: object) -> builtins.bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> builtins.int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """The limits of an integer dtype, as ``torch.iinfo``: ``bits``, ``max``, ``min`` and
    ``dtype`` (the name, e.g. ``'int32'``).

    Example::

        >>> latte.iinfo(latte.uint8).max
        255
        >>> latte.iinfo(latte.int32).min
        -2147483648
    """

    bits: builtins.int
    max: builtins.int
    min: builtins.int
    dtype: str

    def __init__(self, type: Any) -> None:
        d = _checked_dtype(type, "iinfo")
        if d is dtypes.bool:
            raise TypeError("latte.bool is not supported by latte.iinfo")
        if d.is_floating_point:
            raise TypeError("latte.iinfo() requires an integer input type. Use latte.finfo "
                            f"to handle {d!r}")
        info = np.iinfo(d.np)
        self.bits, self.max, self.min = builtins.int(info.bits), builtins.int(info.max), \
            builtins.int(info.min)
        self.dtype = d.name

    def __eq__(self, other: object) -> builtins.bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> builtins.int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


def promote_types(type1: Any, type2: Any) -> dtypes.dtype:
    """The smallest dtype that both ``type1`` and ``type2`` cast to without losing their kind
    (``int64`` and ``float16`` give ``float16``, ``uint8`` and ``int8`` give ``int16``).

    Example::

        >>> latte.promote_types(latte.int32, latte.float32)
        latte.float32
        >>> latte.promote_types(latte.uint8, latte.int8)
        latte.int16
    """
    a, b = _checked_dtype(type1, "promote_types"), _checked_dtype(type2, "promote_types")
    return dtypes.from_numpy_dtype(dtypes.result_type(a.np, b.np))


def _operand(x: Any) -> tuple[np.dtype, builtins.int]:
    """``(dtype, priority)``: dimensioned tensors 2, 0-d tensors 1, Python numbers 0."""
    if isinstance(getattr(x, "dtype", None), dtypes.dtype) and hasattr(x, "dim"):
        return x.dtype.np, 2 if x.dim() > 0 else 1
    if isinstance(x, (builtins.bool, np.bool_)):
        return np.dtype(np.bool_), 0
    if isinstance(x, (builtins.int, np.integer)):
        return np.dtype(np.int64), 0
    if isinstance(x, (builtins.float, np.floating)):
        return dtypes.get_default_dtype().np, 0
    raise TypeError(f"result_type() received an invalid combination of arguments: expected "
                    f"(Tensor or Number, Tensor or Number), got a {type(x).__name__}")


def result_type(tensor1: Any, tensor2: Any) -> dtypes.dtype:
    """The dtype an arithmetic op on ``tensor1`` and ``tensor2`` (tensors or numbers) returns.

    Dimensioned tensors decide first; a 0-d tensor or a Python number only counts when it is of
    a higher category (bool < integer < floating), and a Python float then stands for the
    default dtype.

    Example::

        >>> latte.result_type(latte.tensor([1, 2]), 1.5)
        latte.float32
        >>> latte.result_type(latte.tensor([1], dtype=latte.int8), latte.tensor(1000))
        latte.int8
    """
    (a, pa), (b, pb) = _operand(tensor1), _operand(tensor2)
    if pa == pb:
        return dtypes.from_numpy_dtype(dtypes.result_type(a, b))
    high, low = (a, b) if pa > pb else (b, a)
    return dtypes.from_numpy_dtype(dtypes.result_type(high, low, True, False))


def can_cast(from_: Any, to: Any) -> builtins.bool:
    """Whether PyTorch's casting rules allow ``from_`` to become ``to`` in an op with ``out=``
    or in place: any cast but one to a lower category (float to integer, number to bool).

    Example::

        >>> latte.can_cast(latte.float64, latte.float16), latte.can_cast(latte.float32, latte.int32)
        (True, False)
    """
    a, b = _checked_dtype(from_, "can_cast"), _checked_dtype(to, "can_cast")
    return dtypes._category(a.np) <= dtypes._category(b.np)


def is_storage(obj: Any) -> builtins.bool:
    """Whether ``obj`` is a storage (what ``tensor.untyped_storage()`` returns), not a tensor.

    Example::

        >>> t = latte.tensor([1.0])
        >>> latte.is_storage(t.untyped_storage()), latte.is_storage(t)
        (True, False)
    """
    return isinstance(obj, UntypedStorage)


def typename(obj: Any, /) -> str:
    """The qualified name of ``obj``'s type: ``tensor.type()`` for a tensor
    (``'latte.FloatTensor'``), else ``module.QualName`` (plain ``int`` for builtins).

    Example::

        >>> latte.typename(latte.tensor([1, 2])), latte.typename(3)
        ('latte.LongTensor', 'int')
    """
    if isinstance(getattr(obj, "dtype", None), dtypes.dtype) and hasattr(obj, "type"):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        module, qualname = obj.__class__.__module__ or "", obj.__class__.__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"
