"""Tensors over memory that already exists or laid out as asked: ``asarray`` (sharing a NumPy
array's or tensor's memory where it can), ``frombuffer`` (any Python buffer), ``empty_strided``
and ``empty_permuted`` (a chosen stride order)."""
from __future__ import annotations

import builtins
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from latte import backend, dtypes
from latte._size import size_arg
from latte.autograd import function
from latte.creation import _placed, tensor

if TYPE_CHECKING:
    from latte.tensor import Tensor

__all__ = ["asarray", "frombuffer", "empty_strided", "empty_permuted"]

_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte",
                "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "bool": "Bool"}


def _alias_error(have: Any, want: Any) -> ValueError:
    return ValueError(f"can't alias tensor with dtype '{_TORCH_NAMES[have.name]}' into dtype "
                      f"'{_TORCH_NAMES[want.name]}'.")


def _finish(out: Tensor, requires_grad: builtins.bool | None) -> Tensor:
    return out.requires_grad_(True) if requires_grad else out


def asarray(obj: Any, *, dtype: Any = None, device: Any = None,
            copy: builtins.bool | None = None, requires_grad: builtins.bool | None = False
            ) -> Tensor:
    """``obj`` (a tensor, NumPy array, number or nested sequence) as a tensor, sharing
    its memory where dtype and device allow.

    ``copy=None`` shares when it can and copies otherwise; ``copy=True`` always copies;
    ``copy=False`` never does, and raises ``ValueError`` where sharing is impossible (another
    dtype, or a Python sequence). A tensor with nothing to change comes back as itself.

    Example::

        >>> a = np.zeros(3)
        >>> t = latte.asarray(a)
        >>> a[0] = 5.0
        >>> t
        tensor([5., 0., 0.], dtype=latte.float64)
    """
    want = None if dtype is None else dtypes.as_dtype(dtype)
    if isinstance(obj, function.Tensor):
        same_dtype = want is None or want == obj.dtype
        target = obj.device if device is None else backend.parse_device(device)
        if copy is False and not same_dtype:
            raise _alias_error(obj.dtype, want)
        if copy is False and target != obj.device:
            raise ValueError(f"can't alias tensor from device {obj.device} to {target}.")
        if copy or not same_dtype or target != obj.device:
            out = obj.to(device=target, dtype=want, copy=True)
        else:
            out = obj
        return _finish(out, requires_grad)
    if not isinstance(obj, np.ndarray) and (hasattr(obj, "__array_interface__") or
                                            hasattr(obj, "__array__")):
        obj = np.asarray(obj)
    if isinstance(obj, np.ndarray):
        have = dtypes.from_numpy_dtype(obj.dtype)
        if copy is False and want is not None and want != have:
            raise _alias_error(have, want)
        array = obj.astype((want or have).np, copy=builtins.bool(copy))
        return _finish(_placed(function.Tensor(array), device), requires_grad)
    if copy is False:
        raise ValueError("can't alias arbitrary sequence into a tensor.")
    return _finish(tensor(obj, dtype=want, device=device), requires_grad)


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0,
               requires_grad: builtins.bool = False) -> Tensor:
    """A 1-D tensor over the bytes of ``buffer`` (any object with Python's buffer protocol),
    without a copy: writes to one show in the other.

    Args:
        buffer: a ``bytearray``, ``memoryview``, ``array.array``, ``mmap`` ...
        dtype: the element type the bytes are read as.
        count (int): how many elements to read (-1: up to the end).
        offset (int): how many bytes to skip first.

    Example::

        >>> latte.frombuffer(bytearray(b"\\x01\\x00\\x02\\x00"), dtype=latte.int16)
        tensor([1, 2], dtype=latte.int16)
    """
    d = dtypes.as_dtype(dtype)
    view = memoryview(buffer)
    length = view.nbytes
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if not 0 <= offset < length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0 and (length - offset) % d.itemsize:
        raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} "
                         f"bytes) must be a multiple of element size ({d.itemsize})")
    if count > 0 and count * d.itemsize > length - offset:
        raise ValueError(f"requested buffer length ({count} * {d.itemsize} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({length} bytes)")
    if view.readonly:
        warnings.warn("The given buffer is not writable, and Latte does not support "
                      "non-writable tensors: the tensor's memory is read-only.", UserWarning,
                      stacklevel=2)
    array = np.frombuffer(view, dtype=d.np, count=count, offset=offset)
    return _finish(function.Tensor(array), requires_grad)


def _strided(shape: tuple, stride: tuple, np_dtype: np.dtype) -> np.ndarray:
    extent = 1 + builtins.sum((n - 1) * s for n, s in zip(shape, stride)) if all(shape) else 0
    base = np.empty(extent, dtype=np_dtype)
    return np.lib.stride_tricks.as_strided(base, shape,
                                           tuple(s * np_dtype.itemsize for s in stride))


def empty_strided(size: Any, stride: Any, *, dtype: Any = None, layout: Any = None,
                  device: Any = None, requires_grad: builtins.bool = False,
                  pin_memory: builtins.bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` whose elements are ``stride`` elements apart per
    dim (``t.stride() == stride``).

    Example::

        >>> latte.empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
    """
    shape, strides = size_arg((size,)), tuple(stride)
    if len(shape) != len(strides):
        raise RuntimeError(f"mismatch in length of strides and shape: size {list(shape)} and "
                           f"stride {list(strides)}")
    d = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    out = _placed(function.Tensor(_strided(shape, strides, d.np)), device)
    return _finish(out, requires_grad)


def empty_permuted(size: Any, physical_layout: Any, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, requires_grad: builtins.bool = False,
                   pin_memory: builtins.bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` stored with its dims in the order
    ``physical_layout`` (outermost first): ``empty_permuted((N, C, H, W), (0, 2, 3, 1))`` is
    channels-last.

    Example::

        >>> latte.empty_permuted((2, 3, 4), (0, 2, 1)).stride()
        (12, 1, 3)
    """
    shape, order = size_arg((size,)), tuple(physical_layout)
    if sorted(order) != list(range(len(shape))):
        raise RuntimeError(f"empty_permuted: physical_layout {list(order)} is not a "
                           f"permutation of the {len(shape)} dims of size {list(shape)}")
    d = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    physical = np.empty([shape[i] for i in order], dtype=d.np)
    out = _placed(function.Tensor(physical.transpose(np.argsort(order))), device)
    return _finish(out, requires_grad)
