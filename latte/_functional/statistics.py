"""Composed reductions and scans: ``var_mean``, ``nanmean``, ``cummax``, ``logcumsumexp``,
``histc``, ``bincount``, ``cov``, ``corrcoef``, ``aminmax``, ``histogram``."""
from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from latte import backend, return_types
from latte.autograd import function
from latte.autograd.function import named_node
from latte.backend import get_array_module
from latte.ops.scan import LogCumSumExp, _running
from latte.return_types import values_indices

__all__ = ["var_mean", "std_mean", "nanmean", "cummax", "cummin", "logcumsumexp", "histc",
           "bincount", "cov", "corrcoef", "aminmax", "histogram"]


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
    if not x.is_floating_point():
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {x.dtype.name}")
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
    if not input.is_floating_point():  # PyTorch has no integer kernel either
        raise NotImplementedError(f"histc is not implemented for {input.dtype.name} input")
    data, xp = input._data, input._xp()

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
    # it back to the host, as PyTorch's does; both refuse negative values with a ValueError
    try:
        out = backend.run_on(x, lambda: get_array_module(x).bincount(x, w, minlength))
    except ValueError as err:
        if "negative" not in str(err):
            raise
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.") from None
    if w is None:
        out = out.astype(np.int64)
    elif w.dtype.kind != "f":
        out = out.astype(np.float64)
    elif out.dtype != w.dtype and w.dtype == np.float32:
        out = out.astype(np.float32)
    return function.Tensor(out)



def _on_host(t: Any) -> bool:
    return type(t._data) is np.ndarray


def _check_weights(w: Any, name: str, num_obs: int, integral: bool) -> None:
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")
    if w.numel() != num_obs:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {num_obs}")
    kind = w._data.dtype.kind
    if integral and kind not in "iu":
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights "
                           f"with {w.dtype} dtype")
    if not integral and kind != "f":
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                           f"aweights with {w.dtype} dtype")
    if _on_host(w) and w._data.size and w._data.min() < 0:  # a value check: CPU only
        raise RuntimeError(f"cov(): {name} cannot be negative")


@named_node("SqueezeBackward0")
def cov(input: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Any:
    """The covariance matrix of the variables in the rows of ``input`` (observations in the
    columns), as ``numpy.cov``: ``correction`` is subtracted from the (weighted) number of
    observations, ``fweights`` are integer repeat counts and ``aweights`` importance weights of
    the observations. A single variable gives a 0-d result; integers give floats.

    Args:
        input (Tensor): ``(variables, observations)``, or 1-D for one variable.
        correction (int): 1 for the unbiased estimate, 0 for the maximum-likelihood one.
        fweights (Tensor, optional): ``(observations,)`` integer frequencies.
        aweights (Tensor, optional): ``(observations,)`` floating weights.

    Example::

        >>> latte.cov(latte.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {input.ndim} dimensions")
    if input._data.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input._floating()
    if x.ndim < 2:
        x = x.reshape(1, -1)
    num_obs = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights(fweights, "fweights", num_obs, True)
        w = fweights
    if aweights is not None:
        _check_weights(aweights, "aweights", num_obs, False)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = num_obs
        avg = x.mean(1)
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    if isinstance(norm, function.Tensor):
        norm = norm.clamp_min(0)  # a weighted count: read on no device, so no warning
    elif norm <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less "
                      "than the number of observations.", UserWarning, stacklevel=4)
        norm = 0
    centred = x - avg.unsqueeze(1)
    c = centred.mm((centred if w is None else centred * w).t())
    return (c / norm).squeeze()


def corrcoef(input: Any) -> Any:
    """Pearson's correlation coefficients of the variables in the rows of ``input``: ``cov``
    scaled by the standard deviations, clipped to ``[-1, 1]``.

    Example::

        >>> latte.corrcoef(latte.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.5]])).shape
        latte.Size([2, 2])
    """
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clamp(-1, 1)


@named_node("AminmaxBackward0")
def aminmax(input: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
    """The smallest and largest elements of ``input`` (along ``dim``) as the named tuple
    ``(min, max)``.

    Example::

        >>> latte.aminmax(latte.tensor([3, 1, 2]))
        aminmax(min=tensor(1), max=tensor(3))
    """
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        lo, hi = input.amin(), input.amax()
        if keepdim:
            lo, hi = lo.reshape([1] * input.ndim), hi.reshape([1] * input.ndim)
        return return_types.aminmax(lo, hi)
    if input.ndim and input.shape[input._dim(dim)] == 0:
        raise IndexError(f"aminmax(): Expected reduction dim {dim} to have non-zero size.")
    return return_types.aminmax(input.amin(dim, keepdim), input.amax(dim, keepdim))


def histogram(input: Any, bins: Any = 100, *, range: Any = None, weight: Any = None,
              density: bool = False) -> Any:
    """The histogram of ``input``'s values: ``bins`` equal bins over ``range`` (the data's
    ``(min, max)`` by default) or the bins between the sorted edges of the 1-D tensor ``bins``;
    values outside are ignored, the last bin includes its right edge. Each value counts 1, or
    its ``weight``; ``density`` scales the counts to integrate to 1. Returns the named tuple
    ``(hist, bin_edges)``, floating as the input.

    Example::

        >>> hist, edges = latte.histogram(latte.tensor([1.0, 2.0, 1.0]), bins=4, range=(0.0, 3.0))
        >>> hist
        tensor([0., 2., 1., 0.])
    """
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(f'"histogramdd" not implemented for \'{input.dtype}\'')
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided it should have the "
                           f"same shape as the input tensor, but got input with shape "
                           f"{list(input.shape)} and weight with shape {list(weight.shape)}")
    xp = input._xp()
    w = None if weight is None else weight._data
    given = isinstance(bins, function.Tensor)
    if given and (bins.ndim != 1 or bins.numel() < 1):
        raise RuntimeError("torch.histogram(): bins tensor should have one dimension and at "
                           "least 1 element")
    if given and bins.dtype != input.dtype:
        raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input with dtype {input.dtype} and bins with "
                           f"dtype {bins.dtype}")
    if not given and bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if range is not None and builtins.float(range[0]) > builtins.float(range[1]):
        raise ValueError(f"torch.histogram(): max must be larger than min, got {range}")

    def compute() -> tuple:
        x = data.reshape(-1)
        if given:
            edges = bins._data
            n = edges.shape[0] - 1
            # the bin of x: the last edge at or below it; the last edge closes the last bin
            at = xp.searchsorted(edges, x, side="right") - 1
            at = xp.where(x == edges[-1], n - 1, at)
            inside = (x >= edges[0]) & (x <= edges[-1])
        else:
            n = builtins.int(bins)
            if range is not None:
                lo, hi = builtins.float(range[0]), builtins.float(range[1])
            elif x.size:
                lo, hi = xp.min(x), xp.max(x)  # on the device: no host round trip
            else:
                lo, hi = 0.0, 1.0  # no data: PyTorch's bins span [0, 1]
            same = lo == hi  # a single value: the bins span [value - 0.5, value + 0.5]
            lo, hi = xp.where(same, lo - 0.5, lo), xp.where(same, hi + 0.5, hi)
            # linspace by hand: CuPy's takes no device arrays as its ends
            edges = (lo + (hi - lo) * (xp.arange(n + 1) / n)).astype(x.dtype)
            edges[-1] = hi
            at = xp.floor((x - lo) * n / (hi - lo)).astype(np.int64)
            inside = (x >= lo) & (x <= hi)
        at = xp.clip(at, 0, builtins.max(n - 1, 0))
        amount = inside.astype(x.dtype) if w is None else \
            xp.where(inside, w.reshape(-1), 0).astype(x.dtype)
        hist = xp.zeros(builtins.max(n, 0), dtype=x.dtype)
        if n > 0:
            xp.add.at(hist, at, amount)
        if density:
            widths = xp.diff(edges)
            hist = hist / (hist.sum() * widths)
        return hist, edges
    hist, edges = backend.run_on(data, compute)
    return return_types.histogram(function.Tensor(hist), function.Tensor(edges))
