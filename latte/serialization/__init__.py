"""``latte.save`` and ``latte.load``: checkpoints in PyTorch's own file format, without PyTorch.

``save`` writes what ``torch.save`` writes: a zip archive (stored, records aligned to 64 bytes)
holding ``data.pkl``, the object pickled with protocol 2 in which each tensor is a call to
``torch._utils._rebuild_tensor_v2`` on a storage given as a persistent id, and one raw
little-endian record per storage under ``data/``. ``torch.load(f, weights_only=True)`` reads it.

``load`` reads files from ``torch.save`` (the zip format and the legacy format of torch < 1.6) or
``latte.save``. By default (``weights_only=True``, as in torch >= 2.6) its unpickler only builds
tensors, numbers, strings, ``None`` and containers of them (the globals that
``torch.load(weights_only=True)`` allows), so a checkpoint never runs code. A whole pickled model
saved with ``save(model, f)`` loads only with ``weights_only=False``, for files you trust.

The pieces: ``_storage`` (storage types, map_location), ``_rebuild`` (tensors from and to
storages), ``_pickle`` (the allowlist, unpickler and pickler), ``_zip`` and ``_legacy`` (the
two file formats); this module holds the public functions.
"""
from __future__ import annotations

import io
import os
import stat
import uuid
from typing import IO, Any, Union

from latte.serialization._legacy import _load_legacy
from latte.serialization._pickle import _Pickler, _retarget_globals
from latte.serialization._storage import MapLocation
from latte.serialization._zip import _archive_name, _load_zip, _write_archive

__all__ = ["save", "load"]

FileLike = Union[str, os.PathLike, IO[bytes]]


def load(f: FileLike, map_location: MapLocation = None, *, weights_only: bool | None = True
         ) -> Any:
    """Load an object saved by ``latte.save`` or ``torch.save``; tensors come back as Latte's.

    ``f`` is a path or a binary file object. ``map_location`` is ``None``, ``'cpu'``, a device,
    a dict from saved location to device, or ``fn(storage, location)``, as in ``torch.load``;
    GPU storages land on the GPU when there is one, else on the CPU. With ``weights_only=True``
    (the default) only weights are loaded (tensors, numbers, strings, ``None``, dicts, lists,
    tuples, sets): any other pickled object is refused with ``pickle.UnpicklingError``, so
    loading never runs code. ``weights_only=False`` loads any pickled object (a whole model saved
    with ``save(model, f)``): unpickling can run code, so use it only for files you trust.
    Tensors that share a storage in the file share memory when they are contiguous.

    Example::

        >>> latte.save({"w": latte.ones(2)}, "ckpt.pt")
        >>> latte.load("ckpt.pt", map_location="cpu")["w"]
        tensor([1., 1.])
    """
    weights_only = weights_only is not False
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fsdecode(f)
        with open(path, "rb") as fh:  # FileNotFoundError names the path
            return _load_file(fh, path, map_location, weights_only)
    if not callable(getattr(f, "read", None)):
        raise TypeError(f"latte.load expects a path or a binary file object, got {type(f)}")
    name = str(getattr(f, "name", None) or f"<{type(f).__name__}>")
    if not (callable(getattr(f, "seekable", None)) and f.seekable()):
        f = io.BytesIO(f.read())  # zip reading needs to seek
    return _load_file(f, name, map_location, weights_only)


def _load_file(f: IO[bytes], name: str, map_location: MapLocation, weights_only: bool) -> Any:
    """Tell the format from the first bytes and read it."""
    start = f.tell()
    head = f.read(4)
    f.seek(start)
    if head == b"PK\x03\x04":
        return _load_zip(f, name, map_location, weights_only)
    if head[:2] == b"\x80\x02":
        return _load_legacy(f, name, map_location, weights_only)
    f.seek(start + 257)
    if f.read(5) == b"ustar":
        raise RuntimeError(f"{name} is in the tar format of torch < 0.4, which Latte cannot "
                           "read; load it with torch and save it again")
    what = "empty" if not head else "neither a zip archive nor a legacy pickle"
    raise RuntimeError(f"{name} is not a PyTorch or Latte checkpoint: the file is {what}")


def save(obj: Any, f: FileLike) -> None:
    """Save ``obj`` (typically a ``state_dict``) in PyTorch's checkpoint format.

    ``f`` is a path (any extension: ``.pt``, ``.pth``, ``.tar`` ...) or a binary file object.
    ``torch.load(f, weights_only=True)`` and :func:`latte.load` read the result when it holds
    weights (tensors, numbers, strings and containers of them). Any other picklable object, a
    whole model for instance, is saved too, as ``torch.save`` does; loading it back takes
    ``latte.load(f, weights_only=False)``. A path is
    written atomically: a temporary file in the same folder replaces it when complete. Each
    tensor is stored as its own contiguous storage (views of one array are not shared).

    Example::

        >>> latte.save(model.state_dict(), "model.pt")  # doctest: +SKIP
    """
    buf = io.BytesIO()
    pickler = _Pickler(buf)
    pickler.dump(obj)
    data_pkl = _retarget_globals(buf.getvalue())
    if not isinstance(f, (str, bytes, os.PathLike)):
        if not callable(getattr(f, "write", None)):
            raise TypeError(f"latte.save expects a path or a binary file object, got {type(f)}")
        _write_archive(f, "archive", data_pkl, pickler.storages)
        return
    path = os.fsdecode(f)
    target = os.path.realpath(path)  # write through a symlink, as opening the path would
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path}: folder {folder} does not exist")
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, _archive_name(path), data_pkl, pickler.storages)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):  # keep the permissions of the file being replaced
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
