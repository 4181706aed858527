"""Test helpers, as ``torch.testing``: ``assert_close`` (values within dtype-aware tolerances,
with PyTorch's failure messages) and ``make_tensor`` (random test inputs of any dtype)."""
from __future__ import annotations

import builtins
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

import latte
from latte import backend, dtypes
from latte.autograd import function

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# (rtol, atol) per dtype, PyTorch's defaults; integers and bool compare exactly
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


class _Failure(Exception):
    """A mismatch found deep inside nested inputs: the error type, message and item path."""

    def __init__(self, kind: type, message: str, path: tuple = ()) -> None:
        super().__init__(message)
        self.kind, self.message, self.path = kind, message, path

    def error(self, msg: str | Callable[[str], str] | None) -> Exception:
        if isinstance(msg, str):
            return self.kind(msg)
        text = self.message
        if self.path:
            text += "\n\nThe failure occurred for item " + "".join(f"[{k!r}]" for k in self.path)
        return self.kind(msg(text) if callable(msg) else text)


def _tolerances(*names: str) -> tuple[float, float]:
    pairs = [_TOLERANCES.get(n, (0.0, 0.0)) for n in names]
    return builtins.max(p[0] for p in pairs), builtins.max(p[1] for p in pairs)


def _mismatch_message(identifier: str, extra: str | None, abs_diff: Any, abs_idx: Any,
                      rel_diff: Any, rel_idx: Any, rtol: float, atol: float) -> str:
    """PyTorch's ``_make_mismatch_msg``: 'equal' when both tolerances are 0, else 'close'."""
    equality = rtol == 0 and atol == 0
    lines = [f"{identifier} are not {'equal' if equality else 'close'}!", ""]
    if extra:
        lines.append(extra)
    for kind, diff, idx, tol in (("absolute", abs_diff, abs_idx, atol),
                                 ("relative", rel_diff, rel_idx, rtol)):
        line = f"{kind.title()} difference: {diff}" if idx is None else \
            f"Greatest {kind} difference: {diff} at index {idx}"
        lines.append(line if equality else f"{line} (up to {tol} allowed)")
    return "\n".join(lines)


def _scalar_message(actual: Any, expected: Any, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = math.inf if expected == 0 else abs_diff / abs(expected)
    return _mismatch_message("Scalars", f"Expected {expected} but got {actual}.", abs_diff,
                             None, rel_diff, None, rtol, atol)


def _is_number(x: Any) -> builtins.bool:
    return isinstance(x, (builtins.int, builtins.float, np.number)) and \
        not isinstance(x, (builtins.bool, np.bool_))


def _compare_numbers(actual: Any, expected: Any, rtol: float | None, atol: float | None,
                     equal_nan: builtins.bool, check_dtype: builtins.bool) -> None:
    if check_dtype and type(actual) is not type(expected):
        raise _Failure(AssertionError, f"The (d)types do not match: {type(actual)} != "
                                       f"{type(expected)}.")
    if rtol is None:
        names = ["float64" if isinstance(x, (builtins.float, np.floating)) else "int64"
                 for x in (actual, expected)]
        rtol, atol = _tolerances(*names)
    if actual == expected:
        return
    if equal_nan and math.isnan(actual) and math.isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if math.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _Failure(AssertionError, _scalar_message(actual, expected, rtol, atol))


def _unravel(flat: builtins.int, shape: tuple) -> tuple:
    return tuple(builtins.int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _compare_tensors(actual: Any, expected: Any, rtol: float | None, atol: float | None,
                     equal_nan: builtins.bool, check_device: builtins.bool,
                     check_dtype: builtins.bool, check_layout: builtins.bool,
                     check_stride: builtins.bool) -> None:
    def attribute(name: str, a: Any, b: Any) -> None:
        raise _Failure(AssertionError, f"The values for attribute '{name}' do not match: "
                                       f"{a} != {b}.")
    if actual.shape != expected.shape:
        attribute("shape", actual.shape, expected.shape)
    if check_device and actual.device != expected.device:
        attribute("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        attribute("dtype", actual.dtype, expected.dtype)
    if check_layout and actual.layout != expected.layout:
        attribute("layout", actual.layout, expected.layout)
    if check_stride and actual.stride() != expected.stride():
        attribute("stride()", actual.stride(), expected.stride())
    if rtol is None:
        rtol, atol = _tolerances(actual.dtype.name, expected.dtype.name)
    # comparing is a test's explicit trip to the host, in the promoted dtype
    common = latte.promote_types(actual.dtype, expected.dtype).np
    a = np.asarray(backend.to_device(actual.detach()._data, backend.cpu)).astype(common)
    b = np.asarray(backend.to_device(expected.detach()._data, backend.cpu)).astype(common)
    with np.errstate(invalid="ignore", over="ignore"):
        matches = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan) \
            if common.kind == "f" else a == b
    if matches.all():
        return
    if a.ndim == 0:
        raise _Failure(AssertionError, _scalar_message(a.item(), b.item(), rtol, atol))
    total, mismatched = matches.size, builtins.int(matches.size - matches.sum())
    extra = f"Mismatched elements: {mismatched} / {total} ({mismatched / total:.1%})"
    if common.kind != "f":
        a, b = a.astype(np.int64), b.astype(np.int64)
    flat = matches.reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        abs_diff = np.abs(a.reshape(-1) - b.reshape(-1))
        abs_diff[flat] = 0
        # an integer quotient is true division, in the default dtype as PyTorch's
        quotient = dtypes.get_default_dtype().np if common.kind != "f" else common
        rel_diff = abs_diff.astype(quotient) / np.abs(b.reshape(-1)).astype(quotient)
    rel_diff[flat] = 0
    ia, ir = builtins.int(np.argmax(abs_diff)), builtins.int(np.argmax(rel_diff))
    if common.kind == "f":  # PyTorch's max also stops at the first NaN
        nan_a, nan_r = np.isnan(abs_diff), np.isnan(rel_diff)
        ia = builtins.int(np.argmax(nan_a)) if nan_a.any() else ia
        ir = builtins.int(np.argmax(nan_r)) if nan_r.any() else ir
    raise _Failure(AssertionError, _mismatch_message(
        "Tensor-likes", extra, abs_diff[ia].item(), _unravel(ia, a.shape),
        builtins.float(rel_diff[ir]), _unravel(ir, a.shape), rtol, atol))


def _compare(actual: Any, expected: Any, path: tuple, options: dict) -> None:
    try:
        _compare_pair(actual, expected, path, options)
    except _Failure as failure:
        if not failure.path and path:
            failure.path = path
        raise


def _compare_pair(actual: Any, expected: Any, path: tuple, options: dict) -> None:
    tensor_like = (function.Tensor, np.ndarray)
    if isinstance(actual, tensor_like) and isinstance(expected, tensor_like):
        if type(actual) is not type(expected) and not (
                isinstance(actual, function.Tensor) and isinstance(expected, function.Tensor)):
            _unsupported(actual, expected)
        if isinstance(actual, np.ndarray):
            actual, expected = latte.as_tensor(actual), latte.as_tensor(expected)
        _compare_tensors(actual, expected, options["rtol"], options["atol"],
                         options["equal_nan"], options["check_device"], options["check_dtype"],
                         options["check_layout"], options["check_stride"])
        return
    if isinstance(actual, (builtins.bool, np.bool_)) and \
            isinstance(expected, (builtins.bool, np.bool_)):
        if builtins.bool(actual) != builtins.bool(expected):
            raise _Failure(AssertionError, f"Booleans mismatch: {actual} is not {expected}")
        return
    if _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, options["rtol"], options["atol"],
                         options["equal_nan"], options["check_dtype"])
        return
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(AssertionError, f"The length of the sequences mismatch: "
                                           f"{len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, (*path, i), options)
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        missing = sorted(set(expected) - set(actual), key=repr)
        extra = sorted(set(actual) - set(expected), key=repr)
        if missing or extra:
            raise _Failure(AssertionError, f"The keys of the mappings do not match:\n"
                                           f"Missing keys in the actual mapping: {missing}\n"
                                           f"Additional keys in the actual mapping: {extra}")
        for key in actual:
            _compare(actual[key], expected[key], (*path, key), options)
        return
    _unsupported(actual, expected)


def _is_sequence(x: Any) -> builtins.bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _unsupported(actual: Any, expected: Any) -> None:
    raise _Failure(TypeError, f"No comparison pair was able to handle inputs of type "
                              f"{type(actual)} and {type(expected)}.")


def assert_close(actual: Any, expected: Any, *, allow_subclasses: builtins.bool = True,
                 rtol: float | None = None, atol: float | None = None,
                 equal_nan: builtins.bool = False, check_device: builtins.bool = True,
                 check_dtype: builtins.bool = True, check_layout: builtins.bool = True,
                 check_stride: builtins.bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise.

    Tensors must also agree in shape, device, dtype and layout (each check can be turned off;
    ``check_stride`` compares strides too). Numbers, and sequences and mappings of tensors and
    numbers, are compared item by item, and the message names the failing item. Without
    ``rtol``/``atol`` (give both or neither) the tolerances are PyTorch's for the dtype:
    float16 ``1e-3``/``1e-5``, float32 ``1.3e-6``/``1e-5``, float64 ``1e-7``/``1e-7``, exact
    for integers and bool.

    Args:
        actual: the value a test computed.
        expected: the reference value.
        rtol, atol (float, optional): relative and absolute tolerance.
        equal_nan (bool): NaN equals NaN.
        msg (str or callable, optional): the message to raise instead, or a function from the
            generated message to the one raised.

    Example::

        >>> latte.testing.assert_close(latte.tensor([1.0, 2.0]), latte.tensor([1.0, 2.0 + 1e-7]))
        >>> latte.testing.assert_close(latte.tensor([1.0]), latte.tensor([1.5]))
        Traceback (most recent call last):
        ...
        AssertionError: Tensor-likes are not close!
        <BLANKLINE>
        Mismatched elements: 1 / 1 (100.0%)
        Greatest absolute difference: 0.5 at index (0,) (up to 1e-05 allowed)
        Greatest relative difference: 0.3333333432674408 at index (0,) (up to 1.3e-06 allowed)
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    options = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan,
               "check_device": check_device, "check_dtype": check_dtype,
               "check_layout": check_layout, "check_stride": check_stride}
    try:
        _compare(actual, expected, (), options)
    except _Failure as failure:
        raise failure.error(msg) from None


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: builtins.bool = True,
                    msg: str = "") -> None:
    """Deprecated form of :func:`assert_close`: non-tensor ``expected`` is converted to
    ``actual``'s dtype, dtypes are not checked and NaNs compare equal by default.

    Example::

        >>> latte.testing.assert_allclose(latte.tensor([1.0]), [1.0])
    """
    warnings.warn("`latte.testing.assert_allclose()` is deprecated (as in PyTorch 1.12) and "
                  "will be removed. Please use `latte.testing.assert_close()` "
                  "instead.", FutureWarning, stacklevel=2)
    if not isinstance(actual, function.Tensor):
        actual = latte.tensor(actual)
    if not isinstance(expected, function.Tensor):
        expected = latte.tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        rtol, atol = _tolerances(actual.dtype.name, expected.dtype.name)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_device=True, check_dtype=False, check_stride=False, msg=msg or None)


def _bounds(d: dtypes.dtype, low: float | None, high: float | None) -> tuple[Any, Any]:
    """PyTorch's ``_modify_low_high``: defaults, checks, and clamping to the dtype's range."""
    if d.is_floating_point:
        info = latte.finfo(d)
        lowest, highest, default_low, default_high = info.min, info.max, -9, 9
    else:
        info = latte.iinfo(d)
        lowest, highest = info.min, info.max + 1
        default_low, default_high = (0 if d is dtypes.uint8 else -9), 10
    low = default_low if low is None else low
    high = default_high if high is None else high
    if any(isinstance(v, builtins.float) and math.isnan(v) for v in (low, high)):
        raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
    if low == high and d.is_floating_point:
        warnings.warn("Passing `low==high` to `make_tensor` for floating dtypes is deprecated "
                      "and will be removed in the future. Use `latte.full(...)` instead.",
                      FutureWarning, stacklevel=3)
    elif low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    elif high < lowest or low >= highest:
        raise ValueError(f"The value interval specified by `low` and `high` is [{low}, "
                         f"{high}), but {d} only supports [{lowest}, {highest})")
    low, high = builtins.min(builtins.max(low, lowest), highest), \
        builtins.min(builtins.max(high, lowest), highest)
    if not d.is_floating_point:
        return math.ceil(low), math.ceil(high)
    return low, high


def make_tensor(*shape: Any, dtype: Any, device: Any, low: float | None = None,
                high: float | None = None, requires_grad: builtins.bool = False,
                noncontiguous: builtins.bool = False, exclude_zero: builtins.bool = False,
                memory_format: Any = None) -> latte.Tensor:
    """A tensor of ``shape`` filled with random values of ``dtype``, for tests.

    Floats are uniform in ``[low, high)`` (default ``[-9, 9)``), integers in ``[low, high)``
    (default ``[-9, 10)``, ``[0, 10)`` for uint8), bools 0 or 1. ``low``/``high`` are clamped to
    the dtype's range. ``noncontiguous`` returns a strided view of a larger tensor (same
    values); ``exclude_zero`` replaces zeros by 1 (integers) or the smallest normal (floats).

    Example::

        >>> t = latte.testing.make_tensor(2, 3, dtype=latte.int64, device="cpu", low=0, high=4)
        >>> t.shape, bool(((t >= 0) & (t < 4)).all())
        (latte.Size([2, 3]), True)
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, latte.Size)):
        shape = tuple(shape[0])
    d = dtypes.as_dtype(dtype)
    if requires_grad and not d.is_floating_point:
        raise ValueError(f"make_tensor: requires_grad must be False for integral dtype {d}")
    if d is dtypes.bool:
        result = latte.randint(0, 2, shape, dtype=latte.bool)
    elif d.is_floating_point:
        low, high = _bounds(d, low, high)
        result = latte.empty(shape, dtype=d).uniform_(low, high)
    else:
        low, high = _bounds(d, low, high)
        result = latte.randint(low, high, shape, dtype=d)
    if exclude_zero:
        fill = latte.finfo(d).tiny if d.is_floating_point else 1
        result = latte.where(result == 0, latte.tensor(fill, dtype=d), result)
    if noncontiguous and result.numel() > 1:
        result = result.repeat_interleave(2, dim=-1)[..., ::2]
    result = result.to(device)
    if requires_grad:
        result.requires_grad_(True)
    return result
