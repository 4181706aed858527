"""The format of torch < 1.6: a magic number, protocol and system-info pickles, the object,
then the storages' keys and each storage's size and raw bytes."""
from __future__ import annotations

import struct
from typing import IO, Any

import numpy as np

from latte.serialization._pickle import _ascii, _unpickle, _Unpickler
from latte.serialization._storage import MapLocation, _LoadError, _restore, _Storage, _storage_dtype

__all__: list[str] = []

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # first pickle of a torch < 1.6 file
_LEGACY_PROTOCOL = 1001


def _load_legacy(f: IO[bytes], name: str, map_location: MapLocation, weights_only: bool) -> Any:
    """Read the format of torch < 1.6: four pickles, then each storage's size and bytes."""
    pending: dict[str, _Storage] = {}
    views: dict[str, _Storage] = {}

    def no_storage(pid: tuple) -> _Storage:
        raise _LoadError(f"unexpected storage in the header of {name}")

    def load_storage(pid: tuple) -> _Storage:
        if len(pid) != 6:
            raise _LoadError(f"unexpected storage id in checkpoint: {pid!r:.80}")
        _, storage_type, key, location, numel, view = pid
        key = str(_ascii(key))
        if key not in pending:
            if type(numel) is not int or numel < 0:
                raise _LoadError(f"invalid storage size {numel!r} in checkpoint")
            storage = _Storage(np.empty(numel, _storage_dtype(storage_type)), filled=False)
            pending[key] = _restore(storage, str(_ascii(location)), map_location)
        if view is None:
            return pending[key]
        view_key, offset, size = view  # a storage slice, from torch < 1.0
        view_key = str(_ascii(view_key))
        if view_key not in views:
            flat = pending[key].array
            views[view_key] = _Storage(flat[offset:offset + size], filled=False)
        return views[view_key]

    def header() -> Any:
        return _unpickle(_Unpickler(f, name, weights_only, no_storage), name)

    if header() != _LEGACY_MAGIC:
        raise RuntimeError(f"{name} is not a PyTorch checkpoint (invalid magic number)")
    if header() != _LEGACY_PROTOCOL:
        raise RuntimeError(f"{name}: unsupported legacy checkpoint protocol")
    sys_info = header()
    if not (isinstance(sys_info, dict) and sys_info.get("little_endian", True)):
        raise RuntimeError(f"{name} was saved on a big-endian machine, which Latte cannot read")
    result = _unpickle(_Unpickler(f, name, weights_only, load_storage), name)
    for key in map(str, map(_ascii, header())):
        if key not in pending:
            raise RuntimeError(f"{name} is corrupt: storage {key} was not declared")
        out = pending[key].array.view(np.uint8)
        head = f.read(8)
        if len(head) != 8 or struct.unpack("<q", head)[0] * pending[key].array.itemsize != out.size:
            raise RuntimeError(f"{name} is truncated or corrupt: bad size for storage {key}")
        if f.readinto(out) != out.size:
            raise RuntimeError(f"{name} is truncated: storage {key} is incomplete")
    return result
