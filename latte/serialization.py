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
"""
from __future__ import annotations

import codecs
import io
import math
import os
import pickle
import pickletools
import stat
import struct
import sys
import uuid
import zipfile
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import IO, Any, Union

import numpy as np

from latte import backend, dtypes
from latte.backend import device
from latte.tensor import Size, Tensor

__all__ = ["save", "load"]

FileLike = Union[str, os.PathLike, IO[bytes]]
MapLocation = Union[None, str, device, dict, Callable]

_ALIGNMENT = 64  # torch aligns every record's data to 64 bytes (inline_container.cc)
_CHUNK = 1 << 24  # bytes copied at a time out of a zip record
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # first pickle of a torch < 1.6 file
_LEGACY_PROTOCOL = 1001


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

# torch dtypes that Latte has (GLOBAL 'torch float32' ...), under torch's names and aliases
_DTYPE_NAMES = ["float32", "float", "float64", "double", "float16", "half", "int64", "long",
                "int32", "int", "int16", "short", "int8", "uint8", "bool"]
# prefixes of the other torch dtypes, so that loading one explains itself
_OTHER_DTYPES = ("bfloat", "complex", "cfloat", "cdouble", "chalf", "float8", "uint", "int",
                 "bits", "qint", "quint")


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


class _RefusedGlobal(pickle.UnpicklingError):
    """A checkpoint that asks to build a Python object other than weights and containers."""


# --- rebuilding tensors (the functions data.pkl calls) ----------------------------------------
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
    from latte.nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise _LoadError(f"parameter rebuilt from {type(data).__name__}, not a tensor")
    return Parameter(data, requires_grad=bool(requires_grad))


def _encode(text: Any, encoding: Any = "latin1") -> bytes:
    """``_codecs.encode``, which protocol 2 uses for bytes; limited to Latin-1 text."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise _LoadError(f"unexpected _codecs.encode({text!r:.40}, {encoding!r}) in checkpoint")
    return codecs.encode(text, "latin1")


# Every global a checkpoint may name, and what it becomes: the allowlist of the unpickler, and
# what `save` checks its own output against. Keys are spelled as protocol 2 writes them.
_SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("collections", "Counter"): Counter,
    ("__builtin__", "set"): set,
    ("builtins", "set"): set,
    ("__builtin__", "complex"): complex,
    ("builtins", "complex"): complex,
    ("__builtin__", "bytearray"): bytearray,
    ("builtins", "bytearray"): bytearray,
    ("_codecs", "encode"): _encode,
    ("torch", "Size"): Size,
    ("torch", "device"): device,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "UntypedStorage"): _UNTYPED,
    ("torch.storage", "UntypedStorage"): _UNTYPED,
    **{("torch", s.name): s for s in _STORAGE_TYPES},
    **{("torch.cuda", s.name): s for s in _STORAGE_TYPES},  # legacy files from a GPU
    **{("torch", n): getattr(dtypes, n) for n in _DTYPE_NAMES},
}

# Latte objects that `save` pickles under torch's names
_TORCH_NAMES: dict[tuple[str, str], tuple[str, str]] = {
    (__name__, "_rebuild_tensor_v2"): ("torch._utils", "_rebuild_tensor_v2"),
    (__name__, "_rebuild_parameter"): ("torch._utils", "_rebuild_parameter"),
    (Size.__module__, "Size"): ("torch", "Size"),
    ("latte.backend", "device"): ("torch", "device"),
    **{(__name__, "_" + s.name): ("torch", s.name) for s in _STORAGE_TYPES},
    **{("latte.dtypes", n): ("torch", n) for n in _DTYPE_NAMES},
}


# --- load ---------------------------------------------------------------------------------
class _Unpickler(pickle.Unpickler):
    """An unpickler that builds only what ``_SAFE_GLOBALS`` lists and reads storages on demand."""

    def __init__(self, file: IO[bytes], name: str, weights_only: bool,
                 load_storage: Callable[[tuple], _Storage]) -> None:
        super().__init__(file, encoding="utf-8")
        self._name = name
        self._weights_only = weights_only
        self._load_storage = load_storage

    def find_class(self, module: str, name: str) -> Any:
        found = _SAFE_GLOBALS.get((module, name))
        if found is not None:
            return found
        if not self._weights_only:  # the caller trusts the file: any class, as torch.load
            if module == "torch" or module.startswith("torch."):
                module = "latte" + module[len("torch"):]  # a torch class: Latte's twin
            return super().find_class(module, name)
        if module == "torch" and (name.endswith("Storage") or name.startswith(_OTHER_DTYPES)):
            raise _LoadError(
                f"it holds torch.{name}, a type Latte does not have. Latte has tensors of "
                "float16/32/64, int8/16/32/64, uint8 and bool (NumPy has no bfloat16); convert "
                "the tensors in PyTorch first, e.g. tensor.float(), and save again.")
        raise _RefusedGlobal(
            f"{self._name}: refused to load the global '{module}.{name}'. With weights_only=True "
            "(the default) Latte loads only weights: tensors, numbers, strings, None and dicts, "
            "lists and tuples of them, because unpickling other objects can run arbitrary code. "
            "If the file holds a whole model (torch.save(model)), save and load its "
            "state_dict() instead, or, only if you trust the file, pass weights_only=False.")

    def persistent_load(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or not pid or _ascii(pid[0]) != "storage":
            raise _LoadError(f"unexpected persistent id in checkpoint: {pid!r:.80}")
        return self._load_storage(pid)


def _ascii(value: Any) -> Any:
    """Keys and locations written by Python 2 unpickle as bytes."""
    return value.decode("ascii") if isinstance(value, bytes) else value


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


def _load_zip(f: IO[bytes], name: str, map_location: MapLocation, weights_only: bool) -> Any:
    """Read the zip format of ``torch.save`` (torch >= 1.6) and ``latte.save``."""
    try:
        archive = zipfile.ZipFile(f)
        records = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise RuntimeError(f"{name} is not a readable checkpoint: the zip archive is truncated "
                           f"or corrupt ({e})") from e
    if not records or "/" not in records[0]:
        raise RuntimeError(f"{name} is a zip archive but not a PyTorch checkpoint (no archive "
                           "folder holding data.pkl)")
    prefix = records[0].split("/", 1)[0] + "/"  # as torch: the first record's folder
    if prefix + "constants.pkl" in records:
        raise RuntimeError(f"{name} is a TorchScript archive (torch.jit.save); Latte loads "
                           "checkpoints written by torch.save, e.g. of a state_dict()")
    if prefix + "data.pkl" not in records:
        raise RuntimeError(f"{name} is a zip archive but not a PyTorch checkpoint: it has no "
                           f"{prefix}data.pkl")
    swap = False
    if prefix + "byteorder" in records:
        order = _read_small(archive, prefix + "byteorder", name).decode("ascii", "replace")
        if order not in ("little", "big"):
            raise RuntimeError(f"{name}: unknown byte order {order!r}")
        swap = order != sys.byteorder
    loaded: dict[str, _Storage] = {}

    def load_storage(pid: tuple) -> _Storage:
        if len(pid) != 5:
            raise _LoadError(f"unexpected storage id in checkpoint: {pid!r:.80}")
        _, storage_type, key, location, numel = pid
        key = str(_ascii(key))
        if key not in loaded:  # tensors sharing a storage read it once
            array = _read_record(archive, f"{prefix}data/{key}", _storage_dtype(storage_type),
                                 numel)
            if swap:
                array.byteswap(inplace=True)
            loaded[key] = _restore(_Storage(array), str(_ascii(location)), map_location)
        return loaded[key]

    pickled = io.BytesIO(_read_small(archive, prefix + "data.pkl", name))
    return _unpickle(_Unpickler(pickled, name, weights_only, load_storage), name)


def _read_small(archive: zipfile.ZipFile, record: str, name: str) -> bytes:
    """Read a whole record, naming the file if it is damaged."""
    try:
        return archive.read(record)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise RuntimeError(f"{name} is truncated or corrupt: cannot read {record} ({e})") from e


def _read_record(archive: zipfile.ZipFile, record: str, dtype: np.dtype, numel: Any) -> np.ndarray:
    """Read a storage record into a fresh writable array, in chunks to avoid a second copy."""
    if type(numel) is not int or numel < 0:
        raise _LoadError(f"invalid storage size {numel!r} in checkpoint")
    try:
        info = archive.getinfo(record)
    except KeyError:
        raise _LoadError(f"storage record {record} is missing") from None
    array = np.empty(numel, dtype=dtype)
    out = array.view(np.uint8)
    if info.file_size != out.size:
        raise _LoadError(f"storage record {record} holds {info.file_size} bytes, expected "
                         f"{out.size}")
    try:
        with archive.open(info) as src:
            pos = 0
            while chunk := src.read(_CHUNK):  # reading to the end also checks the CRC
                out[pos:pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
                pos += len(chunk)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise _LoadError(f"storage record {record} is truncated or corrupt ({e})") from e
    return array


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


def _unpickle(unpickler: _Unpickler, name: str) -> Any:
    """Run the unpickler, turning the many ways a corrupt pickle fails into one clear error."""
    try:
        return unpickler.load()
    except _RefusedGlobal:
        raise
    except _LoadError as e:
        raise RuntimeError(f"{name}: {e}") from e.__cause__
    except Exception as e:  # a damaged pickle fails with any of EOFError, KeyError, TypeError...
        raise RuntimeError(f"{name} is corrupt: its pickled data cannot be read "
                           f"({type(e).__name__}: {e})") from e


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


# --- save ---------------------------------------------------------------------------------
class _Pickler(pickle.Pickler):
    """Pickle tensors and parameters as torch does; other objects by plain pickling."""

    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file, protocol=2)
        self.storages: list[_Storage] = []
        self._keys: dict[int, str] = {}

    def persistent_id(self, obj: Any) -> tuple | None:
        if not isinstance(obj, _Storage):
            return None
        key = self._keys.get(id(obj))
        if key is None:
            key = self._keys[id(obj)] = str(len(self.storages))
            self.storages.append(obj)
        return ("storage", _STORAGE_OF_DTYPE[obj.array.dtype], key, str(obj.location),
                obj.array.size)

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Tensor):
            if type(obj).__name__ == "Parameter":  # a whole model's parameters stay parameters
                return _rebuild_parameter, (obj.detach(), obj.requires_grad, OrderedDict())
            return _reduce_tensor(obj)
        if isinstance(obj, Size):
            return Size, (tuple(obj),)
        if isinstance(obj, device):
            return device, (str(obj),)
        return NotImplemented  # anything else pickles as Python pickles it


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


def _retarget_globals(data: bytes) -> bytes:
    """Rename Latte's globals in a pickle to torch's (other globals, a whole model's classes,
    stay: such a file loads only with ``weights_only=False``, as torch's own)."""
    parts, done, pending = [], 0, None
    for op, arg, pos in pickletools.genops(data):
        if pending is not None:  # the GLOBAL op before this one ends here
            parts += [data[done:pending[0]], b"c%s\n%s\n" % pending[1]]
            done, pending = pos, None
        if op.name != "GLOBAL":
            continue
        module, name = arg.split(" ", 1)
        target = _TORCH_NAMES.get((module, name), (module, name))
        if target != (module, name):
            pending = (pos, (target[0].encode(), target[1].encode()))
    parts.append(data[done:])
    return b"".join(parts)


class _CountingWriter:
    """Forward writes to a stream and count them; having no ``seek`` makes zipfile write each
    record with a data descriptor after it, the layout of the miniz writer inside torch."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._pos = 0

    def write(self, data: Any) -> int:
        self._stream.write(data)
        n = memoryview(data).nbytes
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        if callable(getattr(self._stream, "flush", None)):
            self._stream.flush()


def _write_record(zf: zipfile.ZipFile, out: _CountingWriter, name: str, data: Any) -> None:
    """Add one stored record whose data starts on a 64-byte boundary, padded as torch pads."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.file_size = memoryview(data).nbytes
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT  # zipfile then adds a 20-byte extra
    start = out.tell() + 30 + len(name.encode()) + 4 + (20 if zip64 else 0)
    pad = -start % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as dst:
        dst.write(data)
    info.extra = b""  # the padding belongs in the local header only, as torch writes it


def _write_archive(stream: IO[bytes], archive: str, data_pkl: bytes,
                   storages: list[_Storage]) -> None:
    """Write the zip records in torch's order."""
    out = _CountingWriter(stream)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        records: list[tuple[str, Any]] = [
            ("data.pkl", data_pkl), (".format_version", b"1"),
            (".storage_alignment", str(_ALIGNMENT).encode()), ("byteorder", b"little")]
        records += [(f"data/{i}", s.array.view(np.uint8)) for i, s in enumerate(storages)]
        records += [("version", b"3\n"),
                    (".data/serialization_id", b"%040d" % (uuid.uuid4().int % 10**40))]
        for name, data in records:
            _write_record(zf, out, f"{archive}/{name}", data)
    out.flush()


def _archive_name(path: str) -> str:
    """torch's folder name inside the zip: the file name without its last extension."""
    base = path.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem if stem and path.isascii() else "archive"  # torch streams non-ASCII paths


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

        >>> latte.save(model.state_dict(), "model.pt")
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
