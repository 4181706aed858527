"""Tensors to and from storages: the rebuild functions a checkpoint's pickle calls (checked
against the storage they view) and the reduction ``save`` writes for each tensor."""
from __future__ import annotations

import codecs
import math
from collections import OrderedDict
from typing import Any

import numpy as np

from latte import backend
from latte.nn.parameter import Parameter
from latte.serialization._storage import _STORAGE_OF_DTYPE, _LoadError, _Storage
from latte.tensor import Tensor

__all__: list[str] = []


def _as_ints(value: Any, what: str) -> tuple[int, ...]:
    """Check that a size or stride from a file is a tuple of non-negative ints."""
    if not isinstance(value, tuple) or not all(type(v) is int and v >= 0 for v in value):
        raise _LoadError(f"invalid tensor {what} in checkpoint: {value!r}")
    return value


def _tensor_view(storage: Any, offset: Any, size: Any, stride: Any) -> np.ndarray:
    """The array that ``storage[offset:]`` viewed with ``size`` and ``stride`` (in elements) holds.

    Contiguous views share the storage's memory, as torch's loaded tensors do; others are copied
    into a fresh contiguous array (except while a legacy file's data is still to be read).
    """
    if not isinstance(storage, _Storage):
        raise _LoadError(f"tensor rebuilt from {type(storage).__name__}, not a storage")
    size, stride = _as_ints(size, "size"), _as_ints(stride, "stride")
    if type(offset) is not int or offset < 0 or len(size) != len(stride):
        raise _LoadError(f"invalid tensor geometry in checkpoint: offset {offset!r}, "
                         f"size {size}, stride {stride}")
    flat = storage.array
    numel = math.prod(size)
    if numel == 0:
        return np.empty(size, dtype=flat.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        # a corrupt or malicious file must not make NumPy read past the storage
        raise _LoadError(f"tensor of size {size}, stride {stride} and offset {offset} "
                         f"reaches past its storage of {flat.size} elements")
    view = np.lib.stride_tricks.as_strided(
        flat[offset:], shape=size, strides=[s * flat.itemsize for s in stride])
    if view.flags.c_contiguous:
        return flat[offset:offset + numel].reshape(size)
    return view if not storage.filled else view.copy()


def _rebuild_tensor_v2(storage: Any, storage_offset: Any, size: Any, stride: Any,
                       requires_grad: Any = False, backward_hooks: Any = None,
                       metadata: Any = None) -> Tensor:
    """``torch._utils._rebuild_tensor_v2``: the call a pickled tensor makes (hooks are dropped)."""
    array = _tensor_view(storage, storage_offset, size, stride)
    if getattr(storage, "location", backend.cpu).type != "cpu":
        array = backend.to_device(array, storage.location)
    return Tensor(array, requires_grad=bool(requires_grad))


def _rebuild_tensor(storage: Any, storage_offset: Any, size: Any, stride: Any) -> Tensor:
    """``torch._utils._rebuild_tensor``, written by torch < 1.0."""
    return _rebuild_tensor_v2(storage, storage_offset, size, stride)


def _rebuild_parameter(data: Any, requires_grad: Any, backward_hooks: Any,
                       state: Any = None) -> Tensor:
    """``torch._utils._rebuild_parameter``: a saved ``nn.Parameter`` loads as one."""
    if not isinstance(data, Tensor):
        raise _LoadError(f"parameter rebuilt from {type(data).__name__}, not a tensor")
    return Parameter(data, requires_grad=bool(requires_grad))


def _encode(text: Any, encoding: Any = "latin1") -> bytes:
    """``_codecs.encode``, which protocol 2 uses for bytes; limited to Latin-1 text."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _LoadError(f"unexpected _codecs.encode({text!r:.40}, {encoding!r}) in checkpoint")
    return codecs.encode(text, "latin1")


def _reduce_tensor(t: Tensor) -> tuple:
    """A tensor as ``_rebuild_tensor_v2(storage, 0, size, stride, requires_grad, hooks)``."""
    place = t.device
    host = backend.to_device(t._data, backend.cpu)
    array = np.asarray(host, order="C")  # ascontiguousarray would make 0-d arrays 1-d
    if array.dtype not in _STORAGE_OF_DTYPE:
        raise TypeError(f"latte.save cannot store a tensor of dtype {array.dtype}")
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    stride, step = [], 1
    for n in reversed(array.shape):  # torch's contiguous strides (a 0 size counts as 1)
        stride.append(step)
        step *= max(n, 1)
    return _rebuild_tensor_v2, (_Storage(array.reshape(-1), location=place), 0,
                                tuple(array.shape),
                                tuple(reversed(stride)), bool(t.requires_grad), OrderedDict())
