"""A stand-in GPU for tests: NumPy underneath, but a different device, as strict as CuPy.

Its arrays (:class:`StandinArray`) wrap a NumPy array and refuse implicit conversion to NumPy
(``__array__`` raises, as CuPy's does), refuse to mix with NumPy arrays in one operation, and keep
a device index. NumPy functions called on them dispatch through ``__array_ufunc__`` and
``__array_function__`` to the stand-in, as they do for CuPy. So a missing ``.to(device)``, a
device mix-up or a hidden host round-trip fails a test on a machine with no GPU.

Every explicit copy between host and device is counted in :attr:`StandinBackend.transfers`.
"""
from __future__ import annotations

import types
import weakref
from typing import Any

import numpy as np

_CONVERSION_ERROR = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` "
                     "to construct a NumPy array explicitly.")
# attributes that would hand NumPy the host buffer behind the stand-in's back
# (``view`` stays: CuPy has ``a.view(dtype)``, and its result is wrapped like any other)
_HIDDEN = frozenset({"data", "ctypes", "tobytes", "tofile", "dump", "dumps",
                     "__array_interface__", "__array_struct__", "__buffer__"})
# functions CuPy answers from array metadata, launching no kernel on the current device
_NO_KERNEL = frozenset({"may_share_memory", "shares_memory", "shape", "ndim", "size",
                        "result_type"})
# functions of the module that copy host data onto the device, as cupy.asarray does
_FROM_HOST = frozenset({"asarray", "array", "asanyarray", "ascontiguousarray"})


class StandinBackend:
    """The :class:`latte.backend.ArrayBackend` of the stand-in GPU (two devices)."""

    name = "stand-in"

    def __init__(self, count: int = 2) -> None:
        self.xp = StandinModule(np, self)
        self.array_type = StandinArray
        self.count = count
        self.current = 0
        self.transfers = {"to_host": 0, "from_host": 0}
        # CuPy's kernels refuse arrays of a GPU other than the current one (without peer
        # access; with it, results land on the current GPU): tests turn this on to catch
        # work on cuda:1 that runs outside a device guard
        self.strict_current = False
        self._generators: dict[int, Any] = {}
        self._seed = 0
        self._live: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self._memory: dict | None = None  # device -> [allocated, peak], once asked for

    # --- ArrayBackend --------------------------------------------------------------------
    def device_index(self, array: StandinArray) -> int:
        return array._dev

    def to_host(self, array: StandinArray) -> np.ndarray:
        self.transfers["to_host"] += 1
        return array._a.copy()

    def from_host(self, array: np.ndarray, index: int) -> StandinArray:
        self.transfers["from_host"] += 1
        return self.wrap(np.array(array, copy=True), index)

    def copy_to(self, array: StandinArray, index: int) -> StandinArray:
        return self.wrap(array._a.copy(), index)

    def device_count(self) -> int:
        return self.count

    def current_device(self) -> int:
        return self.current

    def set_device(self, index: int) -> None:
        self.current = index

    def synchronize(self, index: int) -> None:
        pass

    def device_name(self, index: int) -> str:
        return f"Latte stand-in GPU {index}"

    def manual_seed(self, seed: int) -> None:
        self._seed = int(seed)
        self._generators.clear()

    def generator(self, index: int) -> Any:
        if index not in self._generators:
            self._generators[index] = StandinGenerator(self, index, self._seed + index)
        return self._generators[index]

    # --- memory, as CuPy's pool counts it: bytes of the arrays that own their memory ----------
    def _count(self, array: np.ndarray, index: int) -> None:
        if array.base is not None or self._memory is None:
            return
        counts = self._memory.setdefault(index, [0, 0])
        counts[0] += array.nbytes
        counts[1] = max(counts[1], counts[0])
        weakref.finalize(array, self._uncount, index, array.nbytes)

    def _uncount(self, index: int, nbytes: int) -> None:
        self._memory[index][0] -= nbytes

    def _track(self) -> dict:
        if self._memory is None:
            self._memory = {}
            owners = {id(w._a): (w._a, w._dev) for w in list(self._live.values())}
            for array, index in owners.values():
                self._count(array, index)
        return self._memory

    def memory_stats(self, index: int) -> dict:
        allocated, peak = self._track().get(index, [0, 0])
        return {"allocated": allocated, "allocated_peak": peak, "reserved": allocated}

    def reset_peak(self, index: int) -> None:
        counts = self._track().setdefault(index, [0, 0])
        counts[1] = counts[0]

    # --- wrapping --------------------------------------------------------------------------
    def wrap(self, value: Any, index: int) -> Any:
        """NumPy results as stand-in arrays on device ``index`` (scalars become 0-d, as CuPy)."""
        if isinstance(value, np.ndarray):
            found = self._live.get(id(value))
            if found is not None and found._a is value:
                return found  # one wrapper per array: `.base` identities hold, as in NumPy
            out = StandinArray(value, index, self)
            self._live[id(value)] = out
            self._count(value, index)
            return out
        if isinstance(value, np.generic):
            return StandinArray(np.asarray(value), index, self)
        if isinstance(value, tuple):
            return tuple(self.wrap(v, index) for v in value)
        if isinstance(value, list):
            return [self.wrap(v, index) for v in value]
        return value


class StandinGenerator:
    """A device random generator (CuPy's ``default_rng`` stand-in): draws land on the device."""

    def __init__(self, backend: StandinBackend, index: int, seed: int) -> None:
        self._backend, self._index = backend, index
        self._rng = np.random.default_rng(seed)

    def __getattr__(self, name: str) -> Any:
        draw = getattr(self._rng, name)

        def on_device(*args: Any, **kwargs: Any) -> Any:
            # parameters may be device arrays (CuPy's generator takes them): unwrap them
            args, kwargs = _unwrap(args, []), _unwrap(kwargs, [])
            return self._backend.wrap(draw(*args, **kwargs), self._index)
        return on_device


def _unwrap(value: Any, found: list) -> Any:
    """Replace stand-in arrays by their NumPy arrays (noting their devices); reject NumPy."""
    if isinstance(value, StandinArray):
        found.append(value._dev)
        return value._a
    if isinstance(value, np.ndarray):
        raise TypeError(f"Unsupported type {type(value)}: a NumPy array was mixed with "
                        f"stand-in GPU arrays (move it to the device first)")
    if isinstance(value, (tuple, list)):
        return type(value)(_unwrap(v, found) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, found) for k, v in value.items()}
    return value


def _device_of(found: list, backend: StandinBackend) -> int:
    if not found:
        return backend.current
    if any(d != found[0] for d in found):
        raise ValueError(f"arrays on different stand-in devices {sorted(set(found))}")
    if backend.strict_current and found[0] != backend.current:
        raise ValueError(f"Array device must be same as the current device: array device = "
                         f"{found[0]} while current = {backend.current}")
    return found[0]


def _call(backend: StandinBackend, fn: Any, args: tuple, kwargs: dict,
          found: list | None = None) -> Any:
    found = [] if found is None else found
    args, kwargs = _unwrap(args, found), _unwrap(kwargs, found)
    return backend.wrap(fn(*args, **kwargs), _device_of(found, backend))


class StandinArray:
    """An array on the stand-in GPU: NumPy inside, but no implicit way back to NumPy."""

    __slots__ = ("_a", "_dev", "_backend", "__weakref__")
    __array_priority__ = 100  # NumPy scalars and arrays defer their operators to us

    def __init__(self, array: np.ndarray, index: int, backend: StandinBackend) -> None:
        self._a, self._dev, self._backend = array, index, backend

    # --- the CuPy-like explicit ways to the host ------------------------------------------
    def get(self) -> np.ndarray:
        return self._backend.to_host(self)

    def item(self) -> Any:
        self._backend.transfers["to_host"] += 1
        return self._a.item()

    def tolist(self) -> Any:
        self._backend.transfers["to_host"] += 1
        return self._a.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._a.dtype.kind not in "iub":
            raise TypeError("only integer arrays can be used as an index")
        return int(self.item())

    def __bool__(self) -> bool:
        return bool(self.item())

    def __array__(self, *args: Any, **kwargs: Any) -> np.ndarray:
        raise TypeError(_CONVERSION_ERROR)

    # --- dispatch of NumPy's functions and ufuncs ----------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.get("out")
        result = _call(self._backend, getattr(ufunc, method), inputs, kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return result

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        if func.__name__ in _NO_KERNEL:  # answered from metadata: any current device will do
            return func(*_unwrap(args, []), **_unwrap(kwargs, []))
        return _call(self._backend, func, args, kwargs)

    # --- attributes and methods forward to the NumPy array, results wrapped ----------------
    def __getattr__(self, name: str) -> Any:
        if name in _HIDDEN or name.startswith("__"):
            raise AttributeError(f"stand-in GPU arrays have no attribute {name!r}")
        value = getattr(self._a, name)
        if callable(value):
            # a method's result is on its array's device (x.astype(...) on cuda:1 stays there)
            return lambda *args, **kwargs: _call(self._backend, value, args, kwargs,
                                                 [self._dev])
        return self._backend.wrap(value, self._dev)

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self._a)))

    def __getitem__(self, key: Any) -> Any:
        return _call(self._backend, self._a.__getitem__, (key,), {}, [self._dev])

    def __setitem__(self, key: Any, value: Any) -> None:
        found: list = [self._dev]
        self._a[_unwrap(key, found)] = _unwrap(value, found)
        _device_of(found, self._backend)

    def __repr__(self) -> str:
        return f"StandinArray({self._a!r}, device={self._dev})"

    def __reduce__(self) -> tuple:
        return (_rebuild, (self._a.copy(), self._dev))

    __hash__ = None  # type: ignore[assignment]  # elementwise __eq__, like NumPy


def _rebuild(array: np.ndarray, index: int) -> StandinArray:
    from latte import backend
    return backend.cuda_backend().wrap(array, index)


def _binary(name: str) -> Any:
    def op(self: StandinArray, other: Any) -> Any:
        return _call(self._backend, getattr(self._a, name), (other,), {}, [self._dev])
    op.__name__ = name
    return op


def _inplace(name: str) -> Any:
    def op(self: StandinArray, other: Any) -> StandinArray:
        found: list = [self._dev]
        getattr(self._a, name)(_unwrap(other, found))
        _device_of(found, self._backend)
        return self
    op.__name__ = name
    return op


def _unary(name: str) -> Any:
    def op(self: StandinArray) -> Any:
        return _call(self._backend, getattr(self._a, name), (), {}, [self._dev])
    op.__name__ = name
    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor", "lshift", "rshift"):
    setattr(StandinArray, f"__{_name}__", _binary(f"__{_name}__"))
    setattr(StandinArray, f"__r{_name}__", _binary(f"__r{_name}__"))
    setattr(StandinArray, f"__i{_name}__", _inplace(f"__i{_name}__"))
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(StandinArray, f"__{_name}__", _binary(f"__{_name}__"))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(StandinArray, f"__{_name}__", _unary(f"__{_name}__"))


class _UfuncProxy:
    """``xp.add`` and friends: calls and ``.at``/``.reduce``/... land on the stand-in."""

    def __init__(self, ufunc: np.ufunc, backend: StandinBackend) -> None:
        self._ufunc, self._backend = ufunc, backend

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._method("__call__", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._ufunc, name)
        if not callable(value):
            return value
        return lambda *args, **kwargs: self._method(name, args, kwargs)

    def _method(self, name: str, args: tuple, kwargs: dict) -> Any:
        out = kwargs.get("out")
        result = _call(self._backend, getattr(self._ufunc, name), args, kwargs)
        if out is not None:
            return out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return result


class StandinModule:
    """The stand-in's ``cupy``: NumPy's namespace with every result placed on the device."""

    def __init__(self, module: types.ModuleType, backend: StandinBackend) -> None:
        self._module, self._backend = module, backend

    @property
    def ndarray(self) -> type:
        return StandinArray

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        backend = self._backend
        if isinstance(value, np.ufunc):
            return _UfuncProxy(value, backend)
        if isinstance(value, types.ModuleType):
            return StandinModule(value, backend)
        if isinstance(value, type) or not callable(value):
            return value  # dtypes, classes and constants are shared with NumPy
        if name in _FROM_HOST:
            return lambda obj, *args, **kwargs: _from_host(backend, value, obj, args, kwargs)
        return lambda *args, **kwargs: _call(backend, value, args, kwargs)


def _from_host(backend: StandinBackend, fn: Any, obj: Any, args: tuple, kwargs: dict) -> Any:
    """``xp.asarray(x)``: a stand-in array stays; host data is copied over (and counted)."""
    if isinstance(obj, StandinArray):
        return _call(backend, fn, (obj, *args), kwargs)
    if isinstance(obj, np.ndarray) or (isinstance(obj, (list, tuple)) and
                                       any(isinstance(v, np.ndarray) for v in obj)):
        backend.transfers["from_host"] += 1
    return backend.wrap(np.array(fn(obj, *args, **kwargs), copy=True), backend.current)


def cpu_and_device_results(build: Any, where: str, gpu: StandinBackend) -> tuple:
    """``(expected, got)``: ``build(make)`` with CPU tensors, then with tensors on ``where``
    (skipped without a second GPU), each as a tuple; the device run must make no copy to the
    host and run under a guard that makes its GPU current."""
    import pytest

    import latte
    if where == "cuda:1" and gpu.device_count() < 2:
        pytest.skip("needs a second GPU")
    expected = build(latte.tensor)
    gpu.strict_current = True
    before = dict(gpu.transfers)
    got = build(lambda a: latte.tensor(a).to(where))
    assert gpu.transfers["to_host"] == before["to_host"], "hidden copy to the host"
    return tuple(expected if isinstance(expected, tuple) else (expected,)), tuple(
        got if isinstance(got, tuple) else (got,))
