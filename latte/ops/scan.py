"""Scans and scatter reductions with a backward: ``logcumsumexp`` (a ``logaddexp`` scan) and
``scatter_reduce`` for prod/amax/amin; also the array scans the compositions in
``latte/_functional/statistics.py`` use (running extrema)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.index import _pad_to, _scatter_positions

__all__ = ["ScatterReduce", "LogCumSumExp"]


class ScatterReduce(Op):
    """``scatter_reduce`` with ``reduce`` in prod/amax/amin (sum and mean are compositions).

    Gradients as PyTorch: amax/amin share it evenly among the values equal to the result; prod
    sends ``grad * result / value`` (undefined where a value is 0, as for ``prod`` of zeros).
    """
    node_name = "ScatterReduceBackward0"  # PyTorch's name of the node

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
        ctx.save_for_backward(a, index, src, out, hit)
        ctx.dim, ctx.reduce, ctx.include_self, ctx.src_shape = dim, reduce, include_self, \
            src.shape
        return out

    def backward(ctx, grad):
        a, index, src, out, hit = ctx.saved_tensors
        dim = ctx.dim
        # the value each src element went into, and the gradient there
        out_at = out.gather(dim, index)
        grad_at = grad.gather(dim, index)
        missed = ~hit  # positions nothing was scattered to: out is a there
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








class LogCumSumExp(Op):
    """``log(cumsum(exp(x)))`` along ``dim`` by a scan of ``logaddexp``: exact for any spread of
    values. Backward as TensorFlow's: ``grad_i = sum_{j >= i} g_j exp(x_i - out_j)``, split by
    the sign of ``g`` and written with reversed logcumsumexps, so it never overflows and is
    itself differentiable."""
    node_name = "LogcumsumexpBackward0"  # PyTorch's name of the node

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














