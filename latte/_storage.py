"""Minimal ``Tensor.storage()`` / ``untyped_storage()``: size, nbytes and data_ptr of the
memory a tensor (and its views) lives in; enough for scripts that check sharing or sizes.
Also the memory shared between processes behind ``Tensor.share_memory_()``."""
from __future__ import annotations

import mmap
import os
import weakref
from typing import Any

import numpy as np

__all__ = ["UntypedStorage", "TypedStorage", "SharedMapping", "array_in", "map_shared",
           "share_array", "shared_location"]


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


# --- memory shared between processes ----------------------------------------------------
# A shared tensor's array lives in pages mapped from an anonymous file (memfd on Linux, an
# unlinked temporary file elsewhere). Nothing is named in /dev/shm, so nothing can leak: the
# pages are freed when the last process closes its descriptor and mapping. The descriptor is
# kept open beside the mapping so that it can be sent to other processes (SCM_RIGHTS).
class SharedMapping(mmap.mmap):
    """Pages shared between processes, with the descriptor of the file they come from."""

    fd: int
    key: tuple[int, int]


_mappings: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _anonymous_file(nbytes: int) -> int:
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("latte-shared", os.MFD_CLOEXEC)
    else:
        import tempfile  # only where the OS has no memfd (not Linux): kept out of import latte
        fd, path = tempfile.mkstemp(prefix="latte-shared-")
        os.unlink(path)
    os.ftruncate(fd, nbytes)
    return fd


def map_shared(fd: int, nbytes: int) -> SharedMapping:
    """Map the file ``fd`` (which the mapping then owns and closes); a file already mapped in
    this process gives the same mapping, so tensors sent twice share one memory."""
    stat = os.fstat(fd)
    key = (stat.st_dev, stat.st_ino)
    known = _mappings.get(key)
    if known is not None:
        os.close(fd)
        return known
    mapping = SharedMapping(fd, max(nbytes, 1))
    mapping.fd, mapping.key = fd, key
    weakref.finalize(mapping, os.close, fd)
    _mappings[key] = mapping
    return mapping


def share_array(array: np.ndarray) -> np.ndarray:
    """A copy of ``array`` (C-contiguous) in memory other processes can map."""
    mapping = map_shared(_anonymous_file(max(array.nbytes, 1)), array.nbytes)
    out = np.ndarray(array.shape, array.dtype, buffer=mapping)
    out[...] = array
    return out


def shared_location(array: Any) -> tuple[SharedMapping, int] | None:
    """The shared mapping an array lies in and its byte offset there, or ``None``."""
    root = array
    while isinstance(root, np.ndarray):
        root = root.base
    if not isinstance(root, SharedMapping):
        return None
    start = np.frombuffer(root, np.uint8, count=1).__array_interface__["data"][0]
    return root, array.__array_interface__["data"][0] - start


def array_in(mapping: SharedMapping, offset: int, dtype: Any, shape: tuple,
             strides: tuple) -> np.ndarray:
    """The array at ``offset`` of a shared mapping, with the given layout (no copy)."""
    return np.ndarray(shape, dtype, buffer=mapping, offset=offset, strides=strides)
