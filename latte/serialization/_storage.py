"""Storages as checkpoints hold them: torch's storage types (one per dtype), the flat array a
file's tensors view, and its placement on a device (``map_location``)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

import numpy as np

from latte import backend
from latte.backend import device

__all__: list[str] = []

MapLocation = Union[None, str, device, dict, Callable]


class _StorageType:
    """A torch storage class such as ``torch.FloatStorage``: names the dtype of a storage."""

    def __init__(self, name: str, np_dtype: Any) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)

    def __reduce__(self) -> str:
        # pickled as the module global ``_<name>``, which save renames to ``torch.<name>``
        return "_" + self.name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


_STORAGE_TYPES = [
    _StorageType("FloatStorage", np.float32),
    _StorageType("DoubleStorage", np.float64),
    _StorageType("HalfStorage", np.float16),
    _StorageType("LongStorage", np.int64),
    _StorageType("IntStorage", np.int32),
    _StorageType("ShortStorage", np.int16),
    _StorageType("CharStorage", np.int8),
    _StorageType("ByteStorage", np.uint8),
    _StorageType("BoolStorage", np.bool_),
]
# module globals, so that pickle can name them when saving (then renamed to torch's names)
globals().update({"_" + s.name: s for s in _STORAGE_TYPES})
_STORAGE_OF_DTYPE = {s.np: s for s in _STORAGE_TYPES}
_UNTYPED = _StorageType("UntypedStorage", np.uint8)  # bytes; torch saves it for bare storages


class _Storage:
    """A flat array of one dtype, as a checkpoint stores it; tensors are views into it."""

    def __init__(self, array: np.ndarray, filled: bool = True,
                 location: device = backend.cpu) -> None:
        self.array = array  # always on the host: tensors move to ``location`` when rebuilt
        self.filled = filled  # False while a legacy file's data is still to be read
        self.location = location

    @property
    def device(self) -> device:
        return self.location

    def cpu(self) -> _Storage:
        return _Storage(self.array, self.filled)

    def cuda(self, device: Any = None, *args: Any, **kwargs: Any) -> _Storage:
        return _Storage(self.array, self.filled,
                        backend.parse_device("cuda" if device is None else device))

    def __len__(self) -> int:
        return int(self.array.size)


class _LoadError(RuntimeError):
    """A checkpoint that cannot be loaded, with the reason already worded for the user."""


def _storage_dtype(storage_type: Any) -> np.dtype:
    if not isinstance(storage_type, _StorageType):
        raise _LoadError(f"storage of unknown type {storage_type!r} in checkpoint")
    return storage_type.np


def _restore(storage: _Storage, location: str, map_location: MapLocation) -> _Storage:
    """Apply ``map_location`` as ``torch.load`` does. A GPU location with no GPU here loads on
    the CPU when the caller named no location (a GPU checkpoint opens anywhere)."""
    target: Any = location
    if isinstance(map_location, dict):
        target = map_location.get(location, location)
    elif callable(map_location):
        try:
            result = map_location(storage, location)
        except Exception as e:  # keep a failing user function from reading as a corrupt file
            raise _LoadError(f"map_location(storage, {location!r}) raised "
                             f"{type(e).__name__}: {e}") from e
        if isinstance(result, _Storage):
            return result
        if result is not None:
            raise _LoadError(f"map_location returned {type(result).__name__}; it should return "
                             "the storage it was given (or None)")
    elif map_location is not None:
        target = map_location
    target = str(target)
    if target == "cpu" or target.startswith("cpu:"):
        return storage
    if target.startswith("cuda"):
        if backend.cuda_backend() is not None:
            return storage.cuda(target)
        if target == location and not isinstance(map_location, (str, device)):
            return storage  # the checkpoint's own GPU, not one the caller asked for
        raise _LoadError(
            f"Attempting to deserialize object on a CUDA device ({target}) but there is no GPU "
            "available (latte.cuda.is_available() is False). Use "
            "latte.load(..., map_location='cpu') to map your storages to the CPU.")
    raise _LoadError(f"cannot restore a storage on device {target!r}: Latte has only the CPU; "
                     "use map_location='cpu'")
