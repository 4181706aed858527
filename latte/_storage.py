"""Minimal ``Tensor.storage()`` / ``untyped_storage()``: size, nbytes and data_ptr of the
memory a tensor (and its views) lives in; enough for scripts that check sharing or sizes."""
from __future__ import annotations

from typing import Any

__all__ = ["UntypedStorage", "TypedStorage"]


def _base(array: Any) -> Any:
    # views of one array report one storage, as PyTorch's views share one storage
    while getattr(array, "base", None) is not None and hasattr(array.base, "nbytes"):
        array = array.base
    return array


def _ptr(array: Any) -> int:
    if hasattr(array, "__array_interface__"):
        return array.__array_interface__["data"][0]
    return int(array.data.ptr)  # CuPy


class UntypedStorage:
    """The bytes behind a tensor: ``nbytes()``, ``size()`` (bytes), ``data_ptr()``."""

    def __init__(self, array: Any) -> None:
        self._array = _base(array)

    def nbytes(self) -> int:
        return int(self._array.nbytes)

    def size(self) -> int:
        return self.nbytes()

    def __len__(self) -> int:
        return self.size()

    def data_ptr(self) -> int:
        return _ptr(self._array)

    def element_size(self) -> int:
        return 1


class TypedStorage(UntypedStorage):
    """As :class:`UntypedStorage`, with ``size()`` in elements of the tensor's dtype."""

    def size(self) -> int:
        return int(self._array.size)

    def element_size(self) -> int:
        return int(self._array.itemsize)
