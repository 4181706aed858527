"""The pickles inside a checkpoint: the allowlist of globals, the unpickler that builds only
those (and reads storages on demand), and the pickler whose output names torch's globals."""
from __future__ import annotations

import pickle
import pickletools
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import IO, Any

from latte import dtypes
from latte.backend import device
from latte.nn.parameter import Parameter
from latte.serialization._rebuild import (
    _encode,
    _rebuild_parameter,
    _rebuild_tensor,
    _rebuild_tensor_v2,
    _reduce_tensor,
)
from latte.serialization._sparse import _get_layout, _rebuild_sparse_tensor, _reduce_sparse
from latte.serialization._storage import (
    _STORAGE_OF_DTYPE,
    _STORAGE_TYPES,
    _UNTYPED,
    _LoadError,
    _Storage,
    _StorageType,
)
from latte.tensor import Size, Tensor

__all__: list[str] = []


# torch dtypes that Latte has (GLOBAL 'torch float32' ...), under torch's names and aliases
_DTYPE_NAMES = ["float32", "float", "float64", "double", "float16", "half", "int64", "long",
                "int32", "int", "int16", "short", "int8", "uint8", "bool"]
# prefixes of the other torch dtypes, so that loading one explains itself
_OTHER_DTYPES = ("bfloat", "complex", "cfloat", "cdouble", "chalf", "float8", "uint", "int",
                 "bits", "qint", "quint")


class _RefusedGlobal(pickle.UnpicklingError):
    """A checkpoint that asks to build a Python object other than weights and containers."""


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
    ("torch._utils", "_rebuild_sparse_tensor"): _rebuild_sparse_tensor,
    ("torch.serialization", "_get_layout"): _get_layout,
    ("torch", "UntypedStorage"): _UNTYPED,
    ("torch.storage", "UntypedStorage"): _UNTYPED,
    **{("torch", s.name): s for s in _STORAGE_TYPES},
    **{("torch.cuda", s.name): s for s in _STORAGE_TYPES},  # legacy files from a GPU
    **{("torch", n): getattr(dtypes, n) for n in _DTYPE_NAMES},
}

# Latte objects that `save` pickles under torch's names
_TORCH_NAMES: dict[tuple[str, str], tuple[str, str]] = {
    (_rebuild_tensor_v2.__module__, "_rebuild_tensor_v2"): ("torch._utils", "_rebuild_tensor_v2"),
    (_rebuild_parameter.__module__, "_rebuild_parameter"): ("torch._utils", "_rebuild_parameter"),
    (Size.__module__, "Size"): ("torch", "Size"),
    (_rebuild_sparse_tensor.__module__, "_rebuild_sparse_tensor"):
        ("torch._utils", "_rebuild_sparse_tensor"),
    (_get_layout.__module__, "_get_layout"): ("torch.serialization", "_get_layout"),
    ("latte.backend", "device"): ("torch", "device"),
    **{(_StorageType.__module__, "_" + s.name): ("torch", s.name) for s in _STORAGE_TYPES},
    **{("latte.dtypes", n): ("torch", n) for n in _DTYPE_NAMES},
}


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
            if obj.is_sparse:
                return _reduce_sparse(obj)
            if type(obj) is Parameter:  # a whole model's parameters stay parameters
                return _rebuild_parameter, (obj.detach(), obj.requires_grad, OrderedDict())
            return _reduce_tensor(obj)
        if isinstance(obj, Size):
            return Size, (tuple(obj),)
        if isinstance(obj, device):
            return device, (str(obj),)
        if isinstance(obj, dtypes.layout):
            return _get_layout, (f"torch.{obj.name}",)
        return NotImplemented  # anything else pickles as Python pickles it


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
