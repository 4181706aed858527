"""Composed reductions and scans: ``var_mean``, ``nanmean``, ``cummax``, ``logcumsumexp``,
``histc``, ``bincount``."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import backend
from latte.autograd import function
from latte.autograd.function import named_node
from latte.backend import get_array_module
from latte.ops.scan import LogCumSumExp, _running
from latte.return_types import values_indices

__all__ = ["var_mean", "std_mean", "nanmean", "cummax", "cummin", "logcumsumexp", "histc",
           "bincount"]


@named_node("VarMeanBackward0")
def var_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """``(var, mean)`` over ``dim`` in one call."""
    return (input.var(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


@named_node("StdMeanBackward0")
def std_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """``(std, mean)`` over ``dim`` in one call."""
    return (input.std(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def nanmean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Mean over ``dim`` ignoring NaNs (NaN where a slice holds only NaNs)."""
    x = input if dtype is None else input.to(dtype)
    keep = ~x.isnan()
    count = keep.sum(dim, keepdim).to(x.dtype)
    return x.where(keep, 0.0).sum(dim, keepdim) / count



def _cum_extreme(input: Any, dim: int, largest: bool) -> Any:
    if input.ndim == 0:
        zero = backend.array_on(input._data, "zeros", (), dtype=np.int64)
        return values_indices(input.clone(), function.Tensor(zero))
    d = input._dim(dim)
    x, xp = input._data, input._xp()

    def indices() -> Any:
        running = _running(xp, x, d, largest)
        shape = [1] * x.ndim
        shape[d] = x.shape[d]
        position = xp.arange(x.shape[d]).reshape(shape)
        # where an element is the running extreme (new or tied), its position; the running
        # max of those positions is the index of the latest one, PyTorch's choice on ties
        at = xp.where(x == running, position, 0)
        if x.dtype.kind == "f":  # a NaN becomes the extreme from there on, as in PyTorch
            nan = xp.isnan(x)
            at = xp.where(nan, position, at)
            first_nan = _running(xp, xp.where(nan, position, -1), d, True)
            return xp.where(first_nan >= 0, first_nan,
                            _running(xp, at, d, True)).astype(np.int64)
        return _running(xp, at, d, True).astype(np.int64)
    idx = function.Tensor(backend.run_on(x, indices))
    return values_indices(input.gather(d, idx), idx)


@named_node("CummaxBackward0")
def cummax(input: Any, dim: int) -> Any:
    """``(values, indices)`` of the running maximum along ``dim``; values carry the gradient."""
    return _cum_extreme(input, dim, True)


@named_node("CumminBackward0")
def cummin(input: Any, dim: int) -> Any:
    """``(values, indices)`` of the running minimum along ``dim``."""
    return _cum_extreme(input, dim, False)


@named_node("LogcumsumexpBackward0")
def logcumsumexp(input: Any, dim: int) -> Any:
    """``log(cumsum(exp(x)))`` along ``dim``, stable for any values."""
    x = input._floating()
    if x.ndim == 0:
        return x.clone()
    return LogCumSumExp.apply(x, x._dim(dim))


def histc(input: Any, bins: int = 100, min: Any = 0, max: Any = 0) -> Any:
    """Counts of ``input`` in ``bins`` equal bins over ``[min, max]`` (the data's range when
    both are 0); values outside are ignored. Same floating dtype as the input."""
    data, xp = input._floating()._data, input._xp()

    def counts() -> Any:
        x = data.reshape(-1)
        lo, hi = builtins.float(min), builtins.float(max)
        if lo == hi and x.size:
            lo, hi = xp.min(x), xp.max(x)  # on the device: no host round trip
        elif lo > hi:
            raise RuntimeError(f"torch.histc: max must be larger than min ({min} > {max})")
        same = lo == hi
        lo, hi = xp.where(same, lo - 1, lo), xp.where(same, hi + 1, hi)
        inside = (x >= lo) & (x <= hi)
        where = xp.floor((x - lo) * bins / (hi - lo)).astype(np.int64)
        where = xp.clip(where, 0, bins - 1)  # x == max goes to the last bin
        out = xp.zeros(bins, dtype=x.dtype)
        xp.add.at(out, where, inside.astype(x.dtype))
        return out
    return function.Tensor(backend.run_on(data, counts))


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Any:
    """Occurrences of each value of the non-negative 1-D integer ``input`` (or the sum of the
    ``weights`` there)."""
    if input.ndim != 1 or input._data.dtype.kind not in "iub":
        raise RuntimeError(f"bincount only supports 1-d non-negative integral inputs, got shape "
                           f"{tuple(input.shape)} and dtype {input.dtype}")
    x = input._data
    w = None if weights is None else weights._data
    # the output length is the largest value: a data-dependent size, so CuPy's bincount reads
    # it back to the host, as PyTorch's does
    out = backend.run_on(x, lambda: get_array_module(x).bincount(x, w, minlength))
    if w is None:
        out = out.astype(np.int64)
    elif w.dtype.kind != "f":
        out = out.astype(np.float64)
    elif out.dtype != w.dtype and w.dtype == np.float32:
        out = out.astype(np.float32)
    return function.Tensor(out)

