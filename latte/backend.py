"""The array-module seam: every array operation reaches NumPy or CuPy through here.

Ops never ``import numpy`` to compute; they call :func:`get_array_module` on their inputs so the
same code runs on whichever library holds the arrays. A tensor's device is simply the device of
its array: a NumPy array lives on the CPU, a CuPy array on a GPU. The GPU library is found lazily
(``import latte`` never imports CuPy) the first time something asks for ``'cuda'``.

Tests install a stand-in GPU with :func:`set_cuda_backend`: a NumPy-backed library whose arrays
refuse implicit conversion to NumPy, as CuPy's do, so device plumbing is tested without a GPU.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy

__all__ = ["device", "cpu", "parse_device", "get_array_module", "device_of", "to_device",
           "is_device_array", "cuda_backend", "set_cuda_backend", "check_same_device",
           "ArrayBackend", "module_for", "device_guard", "array_on", "run_on",
           "set_default_device", "get_default_device"]


class device:
    """Where a tensor's memory lives, ``device('cpu')``, ``device('cuda:0')``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise ValueError(f"invalid device string {type + ':' + idx!r}")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise ValueError(f"unknown device type {type!r}; Latte knows 'cpu' and 'cuda'")
        self.type = type
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


cpu = device("cpu")


class ArrayBackend(Protocol):
    """What Latte needs from a GPU array library (CuPy, or the tests' stand-in)."""

    name: str
    xp: Any            # the NumPy-like module: zeros, exp, matmul, ...
    array_type: type   # the library's array class

    def device_index(self, array: Any) -> int: ...
    def to_host(self, array: Any) -> numpy.ndarray: ...
    def from_host(self, array: numpy.ndarray, index: int) -> Any: ...
    def copy_to(self, array: Any, index: int) -> Any: ...
    def device_count(self) -> int: ...
    def current_device(self) -> int: ...
    def set_device(self, index: int) -> None: ...
    def synchronize(self, index: int) -> None: ...
    def device_name(self, index: int) -> str: ...
    def manual_seed(self, seed: int) -> None: ...
    def generator(self, index: int) -> Any: ...


_default = cpu                      # where factories put tensors when no device is given
_cuda: ArrayBackend | None = None   # the GPU library once found (or installed by tests)
_cuda_probed = False
_cuda_problem = ""                  # why no GPU library could be used, for the error message

def cuda_backend() -> ArrayBackend | None:
    """The GPU array library, probing for CuPy once; None where there is no usable GPU."""
    global _cuda, _cuda_probed, _cuda_problem
    if not _cuda_probed:
        _cuda_probed = True
        from latte._cupy_backend import probe  # the GPU path loads only when asked for
        _cuda, _cuda_problem = probe()
    return _cuda


def set_cuda_backend(new: ArrayBackend | None) -> ArrayBackend | None:
    """Install ``new`` as the 'cuda' library (tests install a stand-in); returns the previous."""
    global _cuda, _cuda_probed
    previous, _cuda, _cuda_probed = _cuda, new, True
    return previous


def parse_device(spec: Any) -> device:
    """Turn ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ``1``, a ``device`` or ``None`` into a device
    with an index for GPUs; asking for a GPU where there is none raises a clear error."""
    if spec is None:
        return _default
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec = device("cuda", spec)
    dev = spec if isinstance(spec, device) else device(spec)
    if dev.type == "cpu":
        return cpu
    gpu = cuda_backend()
    if gpu is None:
        raise RuntimeError(f"{dev} was asked for, but {_cuda_problem}. "
                           "Guard GPU code with latte.cuda.is_available().")
    index = gpu.current_device() if dev.index is None else dev.index
    count = gpu.device_count()
    if not 0 <= index < count:
        raise RuntimeError(f"invalid device ordinal: {dev} was asked for, but there "
                           f"{'is' if count == 1 else 'are'} only {count} GPU(s)")
    return device("cuda", index)


def is_device_array(array: Any) -> bool:
    """True for an array of the GPU library (CuPy's ``ndarray``, or the stand-in's)."""
    return _cuda is not None and type(array) is _cuda.array_type


def get_array_module(*arrays: Any) -> Any:
    """The array library (``numpy`` or ``cupy``) that owns ``arrays``."""
    if _cuda is not None:
        kind = _cuda.array_type
        for a in arrays:
            if type(a) is kind:
                return _cuda.xp
    return numpy


def device_of(array: Any) -> device:
    """The device an array lives on."""
    if _cuda is not None and type(array) is _cuda.array_type:
        return device("cuda", _cuda.device_index(array))
    return cpu


def to_device(array: Any, dev: device) -> Any:
    """``array`` on ``dev`` (a parsed device): itself when already there, else a copy."""
    on_gpu = _cuda is not None and type(array) is _cuda.array_type
    if dev.type == "cpu":
        return _cuda.to_host(array) if on_gpu else array
    if not on_gpu:
        return _cuda.from_host(numpy.asarray(array), dev.index)
    if _cuda.device_index(array) == dev.index:
        return array
    return _cuda.copy_to(array, dev.index)


def check_same_device(tensors: Any) -> list | None:
    """Raise naming both devices when ``tensors`` (Tensors and others) mix devices.

    A 0-d CPU tensor may join GPU tensors, as in PyTorch (it acts as a number): the returned list
    holds, per argument, the array to use (moved to the GPU) or None where nothing changes.
    """
    first = None
    for t in tensors:
        data = getattr(t, "_data", None)
        if data is not None and type(data) is not numpy.ndarray:
            first = device_of(data)
            break
    if first is None:
        return None
    moved: list = []
    for t in tensors:
        data = getattr(t, "_data", None)
        if data is None:
            moved.append(None)
            continue
        here = device_of(data)
        if here == first:
            moved.append(None)
        elif here.type == "cpu" and data.ndim == 0:
            moved.append(to_device(data, first))
        else:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {first} and {here}!")
    return moved


class device_guard:
    """``with device_guard(dev):`` arrays created inside land on ``dev``, as under
    ``torch.cuda.device``: CuPy allocates on the *current* GPU, which may be another one.
    A no-op for the CPU and for the current GPU."""

    __slots__ = ("_index", "_previous")

    def __init__(self, dev: device) -> None:
        self._index = dev.index if dev.type == "cuda" else None
        self._previous = None

    def __enter__(self) -> device_guard:
        if self._index is not None:
            current = _cuda.current_device()
            if current != self._index:
                self._previous = current
                _cuda.set_device(self._index)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._previous is not None:
            _cuda.set_device(self._previous)
            self._previous = None


def array_on(like: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``xp.<name>(*args, **kwargs)`` with ``like``'s library, made on ``like``'s device (CuPy
    makes new arrays, ``zeros_like`` included, on the current GPU, not on its input's)."""
    if type(like) is numpy.ndarray:
        return getattr(numpy, name)(*args, **kwargs)
    with device_guard(device_of(like)):
        return getattr(_cuda.xp, name)(*args, **kwargs)


def run_on(like: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with ``like``'s GPU current: array work done outside an op (an
    op's forward already runs so), since CuPy's kernels run on the current GPU only."""
    if type(like) is numpy.ndarray:
        return fn(*args, **kwargs)
    with device_guard(device_of(like)):
        return fn(*args, **kwargs)


def module_for(dev: device) -> Any:
    """The array library of a parsed device."""
    return numpy if dev.type == "cpu" else _cuda.xp


def set_default_device(spec: Any) -> None:
    """Where ``latte.zeros(...)``, ``latte.tensor(...)`` and the other factories put tensors
    when no ``device=`` is given (``None`` restores the CPU), as ``torch.set_default_device``."""
    global _default
    _default = cpu if spec is None else parse_device(spec)


def get_default_device() -> device:
    """The device factories use when no ``device=`` is given."""
    return _default
