"""Tensor factories: ``tensor``, ``zeros``, ``arange``, ``rand``... with PyTorch's dtype rules."""
from __future__ import annotations

import builtins
import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from latte import backend, dtypes, random
from latte._out_argument import with_out
from latte._size import Size, size_arg
from latte.autograd import function

if TYPE_CHECKING:
    from latte.tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "arange", "linspace", "logspace", "eye",
           "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial",
           "poisson", "rand_like", "randn_like", "randint_like", "scalar_tensor", "range"]


def _infer_numpy(data: Any, exact: builtins.bool = False) -> np.ndarray:
    """Build an array from nested Python data: floats -> default dtype, ints -> int64.
    ``exact``: keep Python floats in float64 (a dtype follows: no rounding through float32)."""
    if isinstance(data, function.Tensor):
        return data._data.copy()
    if isinstance(data, np.ndarray):
        return data.copy()
    if isinstance(data, (list, tuple)) and any(isinstance(x, function.Tensor) for x in _flat(data)):
        data = _unwrap(data)
    array = np.array(data)
    if array.dtype.kind == "f" and not _has_numpy_float(data) and not exact:
        array = array.astype(dtypes.get_default_dtype().np)
    elif array.dtype.kind in "iu" and not isinstance(data, np.generic):
        array = array.astype(np.int64) if not _has_numpy_int(data) else array
    elif array.dtype.kind == "O":
        raise TypeError(f"could not build a tensor from {type(data).__name__} data: "
                        f"{str(data)[:80]}")
    elif array.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    return array


def _flat(data: Any) -> list:
    out, stack = [], [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        else:
            out.append(item)
    return out


def _unwrap(data: Any) -> Any:
    if isinstance(data, function.Tensor):
        return backend.to_device(data._data, backend.cpu)
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    return data


def _has_numpy_float(data: Any) -> builtins.bool:
    return isinstance(data, np.floating)


def _has_numpy_int(data: Any) -> builtins.bool:
    return isinstance(data, np.integer)


def tensor(data: Any, *, dtype: Any = None, device: Any = None,
           requires_grad: builtins.bool = False, pin_memory: builtins.bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors).

    Example: ``latte.tensor([[1., 2.]], requires_grad=True)``.
    """
    if device is None and isinstance(data, function.Tensor):
        device = data.device
    array = _infer_numpy(data, exact=dtype is not None)
    if dtype is not None:
        array = array.astype(dtypes.to_numpy_dtype(dtype), copy=False)
    else:
        dtypes.from_numpy_dtype(array.dtype)  # refuses types Latte does not support
    out = _placed(function.Tensor(array), device)
    if requires_grad:
        out.requires_grad_(True)
    return out


def scalar_tensor(value: Any, *, dtype: Any = None, device: Any = None) -> Tensor:
    """A 0-d tensor holding ``value``, float32 (the default float dtype) unless ``dtype`` is
    given.

    Example::

        >>> latte.scalar_tensor(3)
        tensor(3.)
    """
    return tensor(float(value) if dtype is None else value, dtype=dtype, device=device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but sharing memory with a NumPy array or tensor when no copy is needed."""
    if isinstance(data, function.Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray):
        np_dtype = data.dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
        return _placed(function.Tensor(data.astype(np_dtype, copy=False)), device)
    return tensor(data, dtype=dtype, device=device)


def _placed(out: Tensor, device: Any) -> Tensor:
    """``out`` (made on the CPU) on ``device``, or on the default device when None."""
    target = backend.parse_device(device)
    if target.type != "cpu" or type(out._data) is not np.ndarray:
        out._data = backend.to_device(out._data, target)
    return out


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``: writes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.from_numpy_dtype(array.dtype)
    return function.Tensor(array)


def _sizes(size: tuple, kwargs: dict) -> tuple:
    """The shape given positionally or as ``size=`` (PyTorch accepts both)."""
    if kwargs:
        unknown = set(kwargs) - {"size", "names", "pin_memory", "memory_format"}
        if unknown:
            raise TypeError(f"unexpected keyword argument(s) {sorted(unknown)}")
        if "size" in kwargs:
            if size:
                raise TypeError("size given both positionally and as size=")
            size = (kwargs["size"],)
    shape = size_arg(size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(shape)}: {list(shape)}")
    return shape


def _make(maker: Any, size: tuple, dtype: Any, requires_grad: builtins.bool, device: Any,
          default: Any = None) -> Tensor:
    dev = backend.parse_device(device)
    np_dtype = dtypes.to_numpy_dtype(dtype) if dtype is not None else (
        default if default is not None else dtypes.get_default_dtype().np)
    with backend.device_guard(dev):
        out = function.Tensor(getattr(backend.module_for(dev), maker.__name__)(size_arg(size),
                                                                       dtype=np_dtype))
    if requires_grad:
        out.requires_grad_(True)
    return out


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False,
          out: Any = None, layout: Any = None, **kwargs: Any) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``."""
    return _make(np.zeros, _sizes(size, kwargs), dtype, requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False,
         out: Any = None, layout: Any = None, **kwargs: Any) -> Tensor:
    """A tensor of ones: ``ones(2, 3)``."""
    return _make(np.ones, _sizes(size, kwargs), dtype, requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False,
          out: Any = None, layout: Any = None, memory_format: Any = None,
          pin_memory: builtins.bool = False, **kwargs: Any) -> Tensor:
    """An uninitialised tensor (its values are whatever memory held): ``empty(2, 3)``."""
    return _make(np.empty, _sizes(size, kwargs), dtype, requires_grad, device)


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    if dtype is None:
        dtype = _value_dtype(fill_value)
    out = _make(np.empty, (size,) if not isinstance(size, int) else (size,), dtype, False, device)
    backend.run_on(out._data, out._data.fill, fill_value)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _value_dtype(value: Any) -> Any:
    if isinstance(value, (builtins.bool, np.bool_)):
        return dtypes.bool
    if isinstance(value, (builtins.int, np.integer)):
        return dtypes.int64
    return dtypes.get_default_dtype()


def _like(t: Tensor, dtype: Any) -> Any:
    return t.dtype if dtype is None else dtype


def _like_device(t: Tensor, device: Any) -> Any:
    return t.device if device is None else device


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False, memory_format: Any = None) -> Tensor:
    """A tensor of zeros with the shape of ``input`` and, unless given, its dtype and device.

    Example::

        >>> latte.zeros_like(latte.tensor([[1, 2, 3]]))
        tensor([[0, 0, 0]])
    """
    return zeros(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad,
                 device=_like_device(input, device))


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False, memory_format: Any = None) -> Tensor:
    """A tensor of ones with the shape of ``input`` and, unless given, its dtype and device.
    """
    return ones(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad,
                device=_like_device(input, device))


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None,
               requires_grad: builtins.bool = False, memory_format: Any = None) -> Tensor:
    """An uninitialised tensor with the shape of ``input`` and, unless given, its dtype and
    device.
    """
    return empty(input.shape, dtype=_like(input, dtype), requires_grad=requires_grad,
                 device=_like_device(input, device))


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: builtins.bool = False, memory_format: Any = None) -> Tensor:
    """A tensor filled with ``fill_value``, with the shape of ``input`` and, unless given, its
    dtype and device.
    """
    return full(input.shape, fill_value, dtype=_like(input, dtype), requires_grad=requires_grad,
                device=_like_device(input, device))


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a float is given.

    Example: ``arange(5)``, ``arange(1, 2, 0.25)``, ``arange(5, 0, -1)``.
    """
    if end is None:
        start, end = 0, start
    values = [getattr(v, "item", lambda v=v: v)() for v in (start, end, step)]
    if values[2] == 0:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign "
                           f"(start={values[0]}, end={values[1]}, step={values[2]})")
    if dtype is None:
        is_float = any(isinstance(v, (builtins.float, np.floating)) for v in values)
        dtype = dtypes.get_default_dtype() if is_float else dtypes.int64
    start, end, step = values
    count = builtins.max(0, math.ceil((end - start) / step))
    array = (start + np.arange(count, dtype=np.float64) * step) \
        if dtypes.to_numpy_dtype(dtype).kind == "f" else np.arange(start, end, step)
    out = _placed(function.Tensor(array.astype(dtypes.to_numpy_dtype(dtype))), device)
    return out.requires_grad_(True) if requires_grad else out


@with_out
def range(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None,
          layout: Any = None, device: Any = None, requires_grad: builtins.bool = False
          ) -> Tensor:
    """Values from ``start`` to ``end`` *inclusive* by ``step``, in the default dtype unless
    ``dtype`` is given. Deprecated, as in PyTorch: use ``arange`` (``end`` exclusive).

    Example::

        >>> latte.range(1, 4)  # doctest: +SKIP
        tensor([1., 2., 3., 4.])
    """
    warnings.warn("latte.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "latte.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=3)
    if end is None:
        raise TypeError('range() missing 1 required positional arguments: "end"')
    start, end, step = (getattr(v, "item", lambda v=v: v)() for v in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    d = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    count = math.floor((end - start) / step) + 1
    array = start + np.arange(count, dtype=np.float64) * step
    out = _placed(function.Tensor(array.astype(d.np)), device)
    return out.requires_grad_(True) if requires_grad else out


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: builtins.bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    array = np.linspace(float(start), float(end), int(steps))
    out = _placed(function.Tensor(array.astype(dtypes.to_numpy_dtype(dtype) if dtype is not None
                                      else dtypes.get_default_dtype().np)), device)
    return out.requires_grad_(True) if requires_grad else out


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """``steps`` values ``base ** e`` for exponents ``e`` evenly spaced from ``start`` to
    ``end``.

    Example::

        >>> latte.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    exponents = linspace(start, end, steps, dtype=dtypes.float64, device="cpu")._data
    out = _placed(function.Tensor((base ** exponents).astype(
        dtypes.to_numpy_dtype(dtype) if dtype is not None
        else dtypes.get_default_dtype().np)), device)
    return out.requires_grad_(True) if requires_grad else out


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: builtins.bool = False) -> Tensor:
    """The identity matrix (``n x m``)."""
    np_dtype = dtypes.to_numpy_dtype(dtype) if dtype is not None else \
        dtypes.get_default_dtype().np
    dev = backend.parse_device(device)
    with backend.device_guard(dev):
        out = function.Tensor(backend.module_for(dev).eye(n, m, dtype=np_dtype))
    return out.requires_grad_(True) if requires_grad else out


def _random(values: np.ndarray, dtype: Any, requires_grad: builtins.bool,
            device: Any = None) -> Tensor:
    # drawn on the host from the seeded generator, so a seed gives the same values on any device
    out = _placed(function.Tensor(values.astype(random._float_dtype(dtype), copy=False)), device)
    return out.requires_grad_(True) if requires_grad else out


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
         requires_grad: builtins.bool = False, **kwargs: Any) -> Tensor:
    """Uniform samples in [0, 1): ``rand(2, 3)``."""
    np_dtype = random._float_dtype(dtype)
    values = random._rng(generator).random(_sizes(size, kwargs),
                                           dtype=np_dtype if np_dtype.itemsize >= 4 else None)
    return _random(values, dtype, requires_grad, device)


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None,
          requires_grad: builtins.bool = False, **kwargs: Any) -> Tensor:
    """Standard normal samples: ``randn(2, 3)``."""
    np_dtype = random._float_dtype(dtype)
    values = random._rng(generator).standard_normal(
        _sizes(size, kwargs), dtype=np_dtype if np_dtype.itemsize >= 4 else None)
    return _random(values, dtype, requires_grad, device)


def randint(low: int, high: Any = None, size: Any = None, *, generator: Any = None,
            dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Integers uniform in ``[low, high)``: ``randint(10, (3,))`` or ``randint(2, 10, (3,))``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing required argument 'size'")
    values = random._integers(low, high, size_arg((size,)), generator)
    np_dtype = dtypes.to_numpy_dtype(dtype) if dtype is not None else np.int64
    return _placed(function.Tensor(values.astype(np_dtype)), device)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: builtins.bool = False) -> Tensor:
    """A random permutation of the integers ``0`` to ``n - 1``."""
    np_dtype = dtypes.to_numpy_dtype(dtype) if dtype is not None else np.int64
    order = random._rng(generator).permutation(int(n)).astype(np_dtype)
    return _placed(function.Tensor(order), device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Normal samples; ``mean``/``std`` may be tensors (broadcast) or numbers with ``size``."""
    if device is None:
        device = next((t.device for t in (mean, std) if isinstance(t, function.Tensor)), None)
    m, s = (backend.to_device(t._data, backend.cpu) if isinstance(t, function.Tensor) else t
            for t in (mean, std))
    shape = size_arg((size,)) if size is not None else np.broadcast_shapes(np.shape(m),
                                                                            np.shape(s))
    values = random._rng(generator).normal(m, s, size=shape)
    if dtype is None and isinstance(mean, function.Tensor):
        dtype = mean.dtype
    elif dtype is None and isinstance(std, function.Tensor):
        dtype = std.dtype
    return _random(np.asarray(values), dtype, requires_grad, device)


def bernoulli(input: Tensor, p: Any = None, *, generator: Any = None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or the number ``p``), in input's dtype."""
    host = backend.to_device(input._data, backend.cpu)
    probs = host if p is None else np.full(host.shape, p)
    draws = random._rng(generator).random(host.shape) < probs
    return _placed(function.Tensor(draws.astype(host.dtype)), input.device)


def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Samples of Poisson distributions with rates ``input``, in input's (floating) dtype.

    Args:
        input (Tensor): the non-negative rates.
        generator (latte.Generator, optional): the random stream to draw from.

    Example::

        >>> latte.poisson(latte.zeros(3))
        tensor([0., 0., 0.])
    """
    host = backend.to_device(input._data, backend.cpu)
    if host.size and not (host >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    draws = random._rng(generator).poisson(host.astype(np.float64))
    return _placed(function.Tensor(draws.astype(host.dtype)), input.device)


def multinomial(input: Tensor, num_samples: int, replacement: builtins.bool = False, *,
                generator: Any = None) -> Tensor:
    """Sample indices from the rows of ``input`` (non-negative weights)."""
    rng = random._rng(generator)
    weights = np.atleast_2d(backend.to_device(input._data, backend.cpu).astype(np.float64))
    rows = []
    for w in weights:
        if w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        rows.append(rng.choice(len(w), size=num_samples, replace=replacement, p=w / w.sum()))
    out = np.asarray(rows, dtype=np.int64)
    return _placed(function.Tensor(out if input.ndim == 2 else out[0]), input.device)


def rand_like(input: Tensor, *, dtype: Any = None, generator: Any = None, device: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    """Uniform ``[0, 1)`` samples with the shape of ``input`` and, unless given, its dtype and
    device.
    """
    return rand(input.shape, dtype=_like(input, dtype), generator=generator,
                requires_grad=requires_grad, device=_like_device(input, device))


def randn_like(input: Tensor, *, dtype: Any = None, generator: Any = None, device: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    """Standard normal samples with the shape of ``input`` and, unless given, its dtype and
    device.
    """
    return randn(input.shape, dtype=_like(input, dtype), generator=generator,
                 requires_grad=requires_grad, device=_like_device(input, device))


def randint_like(input: Tensor, low: int, high: Any = None, *, dtype: Any = None,
                 generator: Any = None, device: Any = None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)`` with the shape of ``input`` (one bound
    given: ``[0, low)``).
    """
    return randint(low, high, tuple(input.shape), dtype=_like(input, dtype), generator=generator,
                   device=_like_device(input, device))


# the factories take PyTorch's out= (the result's dtype and device then default to out's)
for _name in ("zeros", "ones", "empty", "full", "arange", "linspace", "logspace", "eye", "rand",
              "randn", "randint", "randperm", "normal", "bernoulli", "multinomial"):
    globals()[_name] = with_out(globals()[_name], _name, factory=True)


class _LegacyTensorType(type):
    """Metaclass of ``latte.FloatTensor`` and kin: calling one builds a tensor of its dtype,
    ``isinstance`` checks a tensor's dtype."""

    _dtype: dtypes.dtype

    def __instancecheck__(cls, obj: Any) -> builtins.bool:
        return isinstance(obj, function.Tensor) and obj.dtype == cls._dtype

    def __call__(cls, *args: Any) -> Tensor:
        if args and all(isinstance(a, builtins.int) for a in args):
            return zeros(*args, dtype=cls._dtype)  # PyTorch leaves them uninitialised
        if len(args) == 1 and isinstance(args[0], (tuple, Size)):  # a Size or a tuple of sizes
            return zeros(*args[0], dtype=cls._dtype)
        return tensor(args[0] if args else [], dtype=cls._dtype)


def _legacy_tensor_type(name: str, dtype: dtypes.dtype) -> type:
    doc = (f"``torch.{name}``: the legacy constructor and type of {dtype} tensors.\n\n"
           f"``{name}(2, 3)`` is a ``(2, 3)`` tensor, ``{name}([1, 2])`` a copy of the data, and "
           f"``isinstance(t, latte.{name})`` is ``t.dtype == {dtype}``.")
    return _LegacyTensorType(name, (), {"_dtype": dtype, "__doc__": doc, "__slots__": ()})


FloatTensor = _legacy_tensor_type("FloatTensor", dtypes.float32)
DoubleTensor = _legacy_tensor_type("DoubleTensor", dtypes.float64)
HalfTensor = _legacy_tensor_type("HalfTensor", dtypes.float16)
LongTensor = _legacy_tensor_type("LongTensor", dtypes.int64)
IntTensor = _legacy_tensor_type("IntTensor", dtypes.int32)
ShortTensor = _legacy_tensor_type("ShortTensor", dtypes.int16)
CharTensor = _legacy_tensor_type("CharTensor", dtypes.int8)
ByteTensor = _legacy_tensor_type("ByteTensor", dtypes.uint8)
BoolTensor = _legacy_tensor_type("BoolTensor", dtypes.bool)
__all__ += ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
            "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]
