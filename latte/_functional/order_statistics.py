"""Statistics read from sorted data: ``quantile``, ``nanquantile``, ``nanmedian``, ``mode`` and
``msort``, composed of ``sort`` and ``gather`` so that values carry the gradient."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte import backend
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops.scan import _running
from latte.return_types import values_indices

__all__ = ["quantile", "nanquantile", "nanmedian", "mode", "msort"]

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _check_q(q: Any, input: Any, name: str) -> Any:
    """``q`` as a 1-D tensor on input's device (values checked where they can be read)."""
    if not isinstance(q, function.Tensor):
        if not 0 <= q <= 1:
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {q}")
        return function.Tensor(backend.array_on(input._data, "asarray", [q],
                                                dtype=input._data.dtype))
    if q.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    if q.dtype != input.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    backend.check_same_device([input, q])
    if type(q._data) is np.ndarray and q._data.size and not (
            (q._data >= 0).all() and (q._data <= 1).all()):
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
    return q.detach().reshape(-1)


def _quantile(input: Any, q: Any, dim: Any, keepdim: bool, interpolation: str,
              ignore_nan: bool, name: str) -> Any:
    if input._data.dtype not in (np.float32, np.float64):  # PyTorch's names both "quantile"
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if input.numel() == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    qs = _check_q(q, input, name)
    d = None if dim is None else input._dim(dim)
    if input.ndim == 0:  # one value: reduced over its only "dimension", nothing to keep
        d, keepdim = None, False
    x = input.reshape(-1) if d is None else input.movedim(d, -1)
    values = x.sort(-1).values  # NaNs last
    nan = x.isnan().any(-1, keepdim=True)
    if ignore_nan:
        last = ((~x.isnan()).sum(-1, keepdim=True) - 1).clamp_min(0)
    else:
        last = x.shape[-1] - 1
    batch = x.ndim - 1
    # ranks: (Q, *batch, 1), one per quantile and slice
    rank = (qs.reshape([-1] + [1] * (batch + 1)) * last).expand(
        [qs.shape[0], *values.shape[:-1], 1])
    if interpolation == "lower":
        low = high = rank.floor()
    elif interpolation == "higher":
        low = high = rank.ceil()
    elif interpolation == "nearest":
        low = high = rank.round()  # half to even, as PyTorch
    else:
        low, high = rank.floor(), rank.ceil()
    stacked = values.unsqueeze(0).expand([qs.shape[0], *values.shape])
    out = stacked.gather(-1, low.long())
    if interpolation in ("linear", "midpoint"):
        weight = rank - low if interpolation == "linear" else rank * 0 + 0.5
        out = out.lerp(stacked.gather(-1, high.long()), weight)
    if not ignore_nan:  # a NaN in a slice makes its quantiles NaN (nanquantile: only all-NaN)
        out = out.masked_fill(nan.expand(out.shape), math.nan)
    out = out.squeeze(-1)
    if keepdim:
        out = out.reshape([-1] + [1] * input.ndim) if d is None else out.unsqueeze(d + 1)
    return out.squeeze(0) if not isinstance(q, function.Tensor) or q.ndim == 0 else out


def quantile(input: Any, q: Any, dim: Any = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Any:
    """The ``q``-th quantiles of ``input`` (flattened, or along ``dim``): the value at rank
    ``q * (n - 1)`` of the sorted data, between neighbours by ``interpolation`` (``linear``,
    ``lower``, ``higher``, ``midpoint`` or ``nearest``). A slice with a NaN gives NaN. With a
    1-D ``q`` the quantiles are stacked in a new first dimension.

    Args:
        input (Tensor): floating.
        q (float or Tensor): in ``[0, 1]``; a 0-d or 1-D tensor of input's dtype.
        dim (int, optional): the dimension to reduce; all of them when None.
        keepdim (bool): keep the reduced dimension with size 1.
        interpolation (str): how to pick between the two data points around the rank.

    Example::

        >>> latte.quantile(latte.tensor([1.0, 2.0, 3.0, 4.0]), 0.5)
        tensor(2.5000)
        >>> latte.quantile(latte.tensor([1.0, 2.0, 3.0, 4.0]), 0.5, interpolation="lower")
        tensor(2.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input: Any, q: Any, dim: Any = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Any:
    """As :func:`quantile`, ignoring NaNs: the ranks count only the values that are not NaN
    (a slice of only NaNs gives NaN).

    Example::

        >>> latte.nanquantile(latte.tensor([1.0, float("nan"), 3.0]), 0.5)
        tensor(2.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


@named_node(lambda input, dim=None, *a, **k:
            "NanmedianBackward0" if dim is None else "NanmedianBackward1")
def nanmedian(input: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median of the values that are not NaN (NaN when all are); along ``dim``,
    the named tuple ``(values, indices)`` as :meth:`Tensor.median`.

    Example::

        >>> latte.nanmedian(latte.tensor([1.0, float("nan"), 3.0, 2.0]))
        tensor(2.)
    """
    if dim is None:
        flat = input.reshape(-1)
        values = flat.sort().values
        k = ((~flat.isnan()).sum(0, keepdim=True) - 1).clamp_min(0) // 2
        return values.gather(0, k).reshape(())
    d = input._dim(dim)
    if input.ndim == 0:
        return values_indices(input.clone(), input.new_zeros((), dtype=np.int64))
    if input.shape[d] == 0:
        raise IndexError(f"nanmedian(): Expected reduction dim {d} to have non-zero size.")
    x = input.movedim(d, -1)
    values, indices = x.sort(-1)
    k = ((~x.isnan()).sum(-1, keepdim=True) - 1).clamp_min(0) // 2
    v, i = values.gather(-1, k), indices.gather(-1, k)
    if keepdim:
        return values_indices(v.movedim(-1, d), i.movedim(-1, d))
    return values_indices(v.squeeze(-1), i.squeeze(-1))


def _mode_index(xp: Any, x: Any) -> Any:
    """Per slice of the last axis, the index of the last occurrence of the smallest of the
    most frequent values (PyTorch's choice), from run lengths of the sorted slice."""
    n = x.shape[-1]
    order = xp.argsort(x, axis=-1, kind="stable")
    s = xp.take_along_axis(x, order, axis=-1)
    position = xp.arange(n)
    start = xp.ones(s.shape, dtype=bool)
    start[..., 1:] = s[..., 1:] != s[..., :-1]
    end = xp.ones(s.shape, dtype=bool)
    end[..., :-1] = start[..., 1:]
    # each element's run: from the last run start at or before it to the first end after it
    first = _running(xp, xp.where(start, position, 0), x.ndim - 1, True)
    last = n - 1 - xp.flip(_running(xp, xp.flip(xp.where(end, n - 1 - position, 0), -1),
                                    x.ndim - 1, True), -1)
    count = last - first + 1
    pick = xp.argmax(count, axis=-1)[..., None]  # the first maximum: the smallest value
    value = xp.take_along_axis(s, pick, axis=-1)
    return xp.max(xp.where(x == value, position, -1), axis=-1, keepdims=True).astype(np.int64)


@named_node("ModeBackward0")
def mode(input: Any, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` and the index of its last occurrence, as the named
    tuple ``(values, indices)``; ties go to the smallest value, as PyTorch.

    Example::

        >>> latte.mode(latte.tensor([3, 1, 3, 1, 2]))
        values_indices(values=tensor(1), indices=tensor(3))
    """
    if input.ndim == 0:
        input._dim(dim)
        return values_indices(input.clone(), input.new_zeros((), dtype=np.int64))
    d = input._dim(dim)
    if input.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    x = input.movedim(d, -1)
    data = x._data
    index = function.Tensor(backend.run_on(data, _mode_index, input._xp(), data))
    v = x.gather(-1, index)
    if keepdim:
        return values_indices(v.movedim(-1, d), index.movedim(-1, d))
    return values_indices(v.squeeze(-1), index.squeeze(-1))


def msort(input: Any) -> Any:
    """``input`` sorted along its first dimension: ``sort(input, dim=0).values``.

    Example::

        >>> latte.msort(latte.tensor([[3, 1], [1, 2]]))
        tensor([[1, 1],
                [3, 2]])
    """
    return input.sort(dim=0).values
