"""Running extrema and sums, scatter reductions, and counting/searching functions.

``cummax``/``cummin``/``logcumsumexp`` and ``scatter_reduce`` (prod, amax, amin) are
differentiable; ``searchsorted``, ``bucketize``, ``histc``, ``bincount``, ``isin`` and ``frexp``
give integers or counts and have no gradient.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from latte import backend
from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.index import _scatter_positions

__all__ = ["cummax", "cummin", "logcumsumexp", "searchsorted", "bucketize", "histc", "bincount",
           "isin", "frexp"]


class ScatterReduce(Op):
    """``scatter_reduce`` with ``reduce`` in prod/amax/amin (sum and mean are compositions).

    Gradients as PyTorch: amax/amin share it evenly among the values equal to the result; prod
    sends ``grad * result / value`` (undefined where a value is 0, as for ``prod`` of zeros).
    """

    def forward(ctx, a, dim, index, src, reduce, include_self):
        xp = get_array_module(a)
        src = src[tuple(slice(0, s) for s in index.shape)]
        where = _scatter_positions(xp, index, dim)
        out = a.copy()
        if not include_self:
            identity = {"prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
            if a.dtype.kind != "f" and reduce != "prod":
                info = np.iinfo(a.dtype)
                identity = info.min if reduce == "amax" else info.max
            out[where] = identity
        if reduce == "prod":
            _multiply_at(xp, out, where, src)
        else:  # CuPy has maximum.at / minimum.at (as cupyx.scatter_max / scatter_min)
            (xp.maximum if reduce == "amax" else xp.minimum).at(out, where, src)
        # positions nothing was scattered to keep their value even without include_self
        hit = xp.zeros(a.shape, dtype=bool)
        hit[where] = True
        if not include_self:
            out = xp.where(hit, out, a)
        ctx.save_for_backward(a, index, src, out)
        ctx.dim, ctx.reduce, ctx.include_self, ctx.src_shape = dim, reduce, include_self, \
            src.shape
        ctx.hit = hit
        return out

    def backward(ctx, grad):
        from latte.ops.index import _pad_to
        from latte.tensor import Tensor
        a, index, src, out = ctx.saved_tensors
        dim = ctx.dim
        # the value each src element went into, and the gradient there
        out_at = out.gather(dim, index)
        grad_at = grad.gather(dim, index)
        missed = Tensor(~ctx.hit)  # positions nothing was scattered to: out is a there
        if ctx.reduce == "prod":
            grad_a = grad if not ctx.include_self else (grad * out / a).where(~missed, grad)
            grad_a = grad_a.where(missed, 0.0) if not ctx.include_self else grad_a
            grad_src = grad_at * out_at / src
        else:
            a_is = (a == out) if ctx.include_self else missed
            src_is = src == out_at
            count = a_is.to(grad.dtype).scatter_add(dim, index, src_is.to(grad.dtype))
            grad_a = (grad / count).where(a_is, 0.0)
            grad_src = (grad_at / count.gather(dim, index)).where(src_is, 0.0)
        return grad_a, None, None, _pad_to(grad_src, ctx.src_shape), None, None


def _multiply_at(xp: Any, out: Any, where: tuple, src: Any) -> None:
    """``xp.multiply.at(out, where, src)``. CuPy has no ``multiply.at`` (no atomic product):
    on a GPU the product is ``sign * exp(sum log|src|)``, zero if any factor is, summed with
    ``add.at``; exact to rounding (integers are rounded back)."""
    if type(out) is np.ndarray:
        np.multiply.at(out, where, src)
        return
    shape = out.shape
    logs = xp.zeros(shape, dtype=np.float64)
    zeros = xp.zeros(shape, dtype=np.int64)
    negatives = xp.zeros(shape, dtype=np.int64)
    magnitude = xp.abs(src).astype(np.float64)
    xp.add.at(logs, where, xp.log(xp.where(magnitude == 0, 1.0, magnitude)))
    xp.add.at(zeros, where, (src == 0).astype(np.int64))
    xp.add.at(negatives, where, (src < 0).astype(np.int64))
    factor = xp.where(negatives % 2 == 1, -1.0, 1.0) * xp.exp(logs) * (zeros == 0)
    product = out * factor
    out[...] = xp.rint(product) if out.dtype.kind in "iu" else product


def _running(xp: Any, x: Any, axis: int, largest: bool) -> Any:
    """The running max (min) along ``axis``."""
    return _scan(xp, xp.maximum if largest else xp.minimum, x, axis)


def _scan(xp: Any, pick: Any, x: Any, axis: int) -> Any:
    """The inclusive scan of the associative ufunc ``pick`` along ``axis`` by doubling steps
    (Hillis-Steele): log2(n) whole-array ops with shifted copies, so it needs no
    ``ufunc.accumulate`` (CuPy's covers only some ufuncs)."""
    n = x.shape[axis]
    step = 1
    while step < n:
        head = [slice(None)] * x.ndim
        tail = [slice(None)] * x.ndim
        head[axis], tail[axis] = slice(step, None), slice(0, n - step)
        shifted = pick(x[tuple(head)], x[tuple(tail)])
        keep = [slice(None)] * x.ndim
        keep[axis] = slice(0, step)
        x = xp.concatenate([x[tuple(keep)], shifted], axis=axis)
        step *= 2
    return x


def _cum_extreme(input: Any, dim: int, largest: bool) -> Any:
    from latte._tensor_reduce import values_indices
    from latte.tensor import Tensor
    if input.ndim == 0:
        zero = backend.array_on(input._data, "zeros", (), dtype=np.int64)
        return values_indices(input.clone(), Tensor(zero))
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
    idx = Tensor(backend.run_on(x, indices))
    return values_indices(input.gather(d, idx), idx)


def cummax(input: Any, dim: int) -> Any:
    """``(values, indices)`` of the running maximum along ``dim``; values carry the gradient."""
    return _cum_extreme(input, dim, True)


def cummin(input: Any, dim: int) -> Any:
    """``(values, indices)`` of the running minimum along ``dim``."""
    return _cum_extreme(input, dim, False)


class LogCumSumExp(Op):
    """``log(cumsum(exp(x)))`` along ``dim`` by a scan of ``logaddexp``: exact for any spread of
    values. Backward as TensorFlow's: ``grad_i = sum_{j >= i} g_j exp(x_i - out_j)``, split by
    the sign of ``g`` and written with reversed logcumsumexps, so it never overflows and is
    itself differentiable."""

    quiet_fp = True  # NaN or -inf inputs give NaN/-inf as in torch, without NumPy's warnings

    def forward(ctx, a, dim):
        ctx.save_for_backward(a)
        ctx.dim = dim
        return _scan(get_array_module(a), get_array_module(a).logaddexp, a, dim)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        d = ctx.dim
        # the output again, as a node of its own: its dependence on ``a`` then carries into
        # second derivatives
        out = LogCumSumExp.apply(a, d)

        def reversed_lcse(t: Any) -> Any:
            return LogCumSumExp.apply(t.flip((d,)), d).flip((d,))
        positive = grad > 0
        negative = grad < 0
        # log|g| - out where g has that sign, -inf elsewhere (masked after the subtraction, so
        # that no -inf - -inf makes a NaN in this gradient or the next)
        log_pos = (grad.where(positive, 1.0).log() - out).where(positive, -math.inf)
        log_neg = ((-grad).where(negative, 1.0).log() - out).where(negative, -math.inf)
        return (reversed_lcse(log_pos) + a).exp() - (reversed_lcse(log_neg) + a).exp(), None


def logcumsumexp(input: Any, dim: int) -> Any:
    """``log(cumsum(exp(x)))`` along ``dim``, stable for any values."""
    x = input._floating()
    if x.ndim == 0:
        return x.clone()
    return LogCumSumExp.apply(x, x._dim(dim))


def searchsorted(sorted_sequence: Any, values: Any, *, out_int32: bool = False,
                 right: bool = False, side: Any = None, sorter: Any = None) -> Any:
    """Indices where ``values`` would be inserted to keep ``sorted_sequence`` (sorted along its
    last dim) sorted; ``right``/``side='right'`` puts equal values after."""
    from latte.tensor import Tensor
    if side is not None:
        right = side == "right"
    seq = sorted_sequence
    if sorter is not None:
        seq = seq.gather(-1, sorter)
    scalar = not isinstance(values, Tensor)
    vals = backend.array_on(seq._data, "asarray", values, dtype=seq._data.dtype) if scalar \
        else values._data
    s, xp = seq._data, seq._xp()
    dtype = np.int32 if out_int32 else np.int64

    def found() -> Any:
        if s.ndim == 1:
            return xp.searchsorted(s, vals, side="right" if right else "left").astype(dtype)
        if tuple(s.shape[:-1]) != tuple(vals.shape[:-1]):
            raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or "
                               f"the first N-1 dimensions of boundaries tensor and input value "
                               f"tensor must match, but we got boundaries tensor "
                               f"{list(s.shape)} and input value tensor {list(vals.shape)}")
        # row-wise: count the boundaries below each value (no per-row loop)
        below = (s[..., None, :] <= vals[..., None]) if right else \
            (s[..., None, :] < vals[..., None])
        return below.sum(-1).astype(dtype)
    return Tensor(backend.run_on(s, found))


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,
              right: bool = False) -> Any:
    """The bucket of each value for the 1-D sorted ``boundaries``: ``i`` with
    ``boundaries[i-1] < x <= boundaries[i]`` (``right=True``: ``<= x <``)."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input: Any, bins: int = 100, min: Any = 0, max: Any = 0) -> Any:
    """Counts of ``input`` in ``bins`` equal bins over ``[min, max]`` (the data's range when
    both are 0); values outside are ignored. Same floating dtype as the input."""
    from latte.tensor import Tensor
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
    return Tensor(backend.run_on(data, counts))


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Any:
    """Occurrences of each value of the non-negative 1-D integer ``input`` (or the sum of the
    ``weights`` there)."""
    from latte.tensor import Tensor
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
    return Tensor(out)


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """True where an element of ``elements`` is in ``test_elements`` (either may be a number)."""
    from latte.tensor import Tensor
    like = elements if isinstance(elements, Tensor) else test_elements
    e = elements._data if isinstance(elements, Tensor) else \
        backend.array_on(like._data, "asarray", elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else \
        backend.array_on(like._data, "asarray", test_elements)
    xp = get_array_module(e)
    return Tensor(backend.run_on(e, lambda: xp.asarray(
        xp.isin(e, t, assume_unique=assume_unique, invert=invert))))


def frexp(input: Any) -> tuple:
    """``(mantissa, exponent)`` with ``input = mantissa * 2 ** exponent`` and
    ``0.5 <= |mantissa| < 1``; the exponent is int32."""
    from latte.tensor import Tensor
    x, xp = input._data, input._xp()
    if x.dtype.kind != "f":
        raise RuntimeError(f"torch.frexp() only supports floating-point dtypes, got "
                           f"{input.dtype}")
    m, e = backend.run_on(x, lambda: [xp.asarray(v) for v in xp.frexp(x)])
    return Tensor(m), Tensor(backend.run_on(e, e.astype, np.int32))
