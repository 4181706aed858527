"""Normalisation with batch statistics (batch norm, layer norm, group norm) as one primitive.

``y = (x - mean) / sqrt(var + eps) * weight + bias`` with ``mean``/``var`` (biased) taken

* ``mode="channel"``: per channel of ``x`` viewed as ``(N, C, L)`` (batch norm; weight ``(C,)``),
* ``mode="row"``: per row of ``x`` viewed as ``(M, K)`` (layer norm over the trailing ``K``
  elements; weight of ``K`` elements, or none for group norm).

The backward is the closed form

    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = dy * weight

a few passes over the data instead of the dozen nodes the composition would record. The
statistics are two-pass (the mean, then the variance of the centred values) and every reduction
accumulates in float64: a float32 sum over the ``N * H * W`` elements of a channel, taken in
order, loses the digits that ``x - mean`` and the backward's difference of means keep (the
mean of real activations is large against their spread). In channel mode the backward's means
are the parameter gradients' sums scaled by the weight, so two reductions serve all three
gradients. Asking for a graph of the backward (``create_graph=True``) switches to the same
formula written with Tensor ops.
"""
from __future__ import annotations

from typing import Any

from latte.autograd.function import Op
from latte.autograd.grad_mode import _state
from latte.backend import get_array_module


def _view_shape(shape: tuple, mode: str, k: int) -> tuple:
    if mode == "channel":
        return (shape[0], shape[1], -1)
    return (-1, k)


_BLOCK = 64  # elements per float32 partial sum: its rounding stays near one unit


def _row_sums(xp: Any, a: Any, b: Any = None) -> Any:
    """Sums along the last axis of the 2-D ``a`` (of ``a * b`` if ``b`` is given), in float64:
    float32 partial sums over blocks of ``_BLOCK`` contiguous elements (one fused einsum or
    dot, no temporary), added in float64. About as fast as one float32 einsum, and as accurate
    as a float64 one."""
    rows, n = a.shape
    main = n - n % _BLOCK
    total = 0.0
    for lo, hi, shape in ((0, main, (rows, main // _BLOCK, _BLOCK)),
                          (main, n, (rows, 1, n - main))):
        if hi == lo:
            continue
        pa = a[:, lo:hi].reshape(shape)
        if b is None:
            part = xp.einsum("rjb->rj", pa)
        else:
            part = _dot(xp, pa, b[:, lo:hi].reshape(shape))
        total = total + part.sum(axis=1, dtype=xp.float64)
    return total if rows and n else xp.zeros(rows, dtype=xp.float64)


def _dot(xp: Any, a: Any, b: Any) -> Any:
    vecdot = getattr(xp, "vecdot", None)  # NumPy >= 2: a BLAS-like dot; einsum's is sequential
    return vecdot(a, b) if vecdot is not None else xp.einsum("...i,...i->...", a, b)


def _column_sums(xp: Any, a: Any) -> Any:
    """Sums over the first axis of the 2-D ``a``, in float64: float32 partial sums over blocks
    of 32 rows, added in float64."""
    rows, n = a.shape
    main = rows - rows % 32
    total = xp.zeros(n, dtype=xp.float64)
    if main:
        total += xp.add.reduce(a[:main].reshape(main // 32, 32, n), axis=1).sum(
            axis=0, dtype=xp.float64)
    if rows > main:
        total += a[main:].sum(axis=0, dtype=xp.float64)
    return total


class _Layout:
    """Reductions (float64 results, float32 data read once) and broadcasts of one mode, over
    the view of ``x``: ``(N, C, L)`` per channel, or ``(M, K)`` per row."""

    def __init__(self, xp: Any, mode: str) -> None:
        self.xp, self.mode = xp, mode

    def stat_sum(self, a: Any, b: Any = None) -> Any:
        """Sum of ``a`` (or ``a * b``) per statistic."""
        if self.mode == "channel":
            n, c, length = a.shape
            rows = _row_sums(self.xp, a.reshape(n * c, length),
                             None if b is None else b.reshape(n * c, length))
            return rows.reshape(n, c).sum(axis=0)
        return _row_sums(self.xp, a, b)

    def param_sum(self, a: Any, b: Any = None) -> Any:
        """Sum of ``a`` (or ``a * b``) per parameter element."""
        if self.mode == "channel":
            return self.stat_sum(a, b)
        return _column_sums(self.xp, a if b is None else a * b)

    def stat_view(self, v: Any, dtype: Any) -> Any:
        v = v.astype(dtype, copy=False)
        return v.reshape(1, -1, 1) if self.mode == "channel" else v.reshape(-1, 1)

    def param_view(self, v: Any) -> Any:
        return v.reshape(1, -1, 1) if self.mode == "channel" else v.reshape(1, -1)


class Normalize(Op):
    """Outputs ``(y, mean, var)``; ``mean`` and biased ``var`` (one value per statistic) feed
    running averages and carry no gradient. ``weight``/``bias`` may be None; ``k`` is the row
    length in ``"row"`` mode."""

    non_differentiable_outputs = (1, 2)

    def forward(ctx, x, weight, bias, mode, k, eps):
        xp = get_array_module(x)
        lay = _Layout(xp, mode)
        xv = x.reshape(_view_shape(x.shape, mode, k))
        count = xv.size // (xv.shape[1] if mode == "channel" else xv.shape[0]) if xv.size else 1
        mean = lay.stat_sum(xv) / count
        xhat = xv - lay.stat_view(mean, x.dtype)
        var = lay.stat_sum(xhat, xhat) / count
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat *= lay.stat_view(invstd, x.dtype)
        if weight is not None:
            y = xhat * lay.param_view(weight)
            if bias is not None:
                y += lay.param_view(bias)
        elif bias is not None:
            y = xhat + lay.param_view(bias)
        else:
            y = xhat.copy()
        ctx.mode, ctx.k, ctx.eps, ctx.count = mode, k, eps, count
        ctx.xhat, ctx.invstd = xhat, invstd
        ctx.bias_shape = None if bias is None else bias.shape
        ctx.save_for_backward(x, weight)
        return y.reshape(x.shape), mean.astype(x.dtype), var.astype(x.dtype)

    def backward(ctx, grad, *unused):
        x, weight = ctx.saved_tensors
        if _state.enabled:
            return _normalize_backward_composed(ctx, x, weight, grad)
        from latte.tensor import Tensor
        xp = get_array_module(x._data)
        lay = _Layout(xp, ctx.mode)
        xhat, dtype = ctx.xhat, x._data.dtype
        g = grad._data.reshape(xhat.shape)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        channel = ctx.mode == "channel"
        w = None if weight is None else weight._data
        sum_g = sum_gx = None
        if need_w or (need_x and channel):
            sum_gx = lay.param_sum(g, xhat)
        if need_b or (need_x and channel):
            sum_g = lay.param_sum(g)
        grad_w = None if not need_w else Tensor(sum_gx.reshape(weight.shape).astype(dtype))
        grad_b = None if not need_b else Tensor(sum_g.reshape(ctx.bias_shape).astype(dtype))
        grad_x = None
        if need_x:
            # dx = scale * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), per statistic
            scale = ctx.invstd
            if channel:  # dxhat = g * w[c]: its means are the sums above times w / count
                if w is not None:
                    scale = scale * w.astype(xp.float64, copy=False)
                dxhat, mean_d, mean_dx = g, sum_g / ctx.count, sum_gx / ctx.count
            else:
                dxhat = g if w is None else g * lay.param_view(w)
                mean_d = lay.stat_sum(dxhat) / ctx.count
                mean_dx = lay.stat_sum(dxhat, xhat) / ctx.count
            out = xhat * lay.stat_view(mean_dx, dtype)
            xp.subtract(dxhat, out, out=out)
            out -= lay.stat_view(mean_d, dtype)
            out *= lay.stat_view(scale, dtype)
            grad_x = Tensor(out.reshape(x.shape))
        return grad_x, grad_w, grad_b, None, None, None


def _normalize_backward_composed(ctx: Any, x: Any, weight: Any, grad: Any) -> tuple:
    """The closed-form gradients from Tensor ops, for double backward."""
    channel = ctx.mode == "channel"
    view = _view_shape(tuple(x.shape), ctx.mode, ctx.k)
    xv, g = x.reshape(view), grad.reshape(view)
    stat_axes = (0, 2) if channel else (1,)
    param_axes = (0, 2) if channel else (0,)
    mean = xv.mean(stat_axes, keepdim=True)
    xc = xv - mean
    invstd = ((xc * xc).mean(stat_axes, keepdim=True) + ctx.eps).rsqrt()
    xhat = xc * invstd
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    grad_w = (g * xhat).sum(param_axes).reshape(weight.shape) if need_w else None
    grad_b = g.sum(param_axes).reshape(ctx.bias_shape) if need_b else None
    grad_x = None
    if need_x:
        w = None if weight is None else (weight.reshape(1, -1, 1) if channel
                                         else weight.reshape(1, -1))
        dxhat = g * w if w is not None else g
        grad_x = ((dxhat - dxhat.mean(stat_axes, keepdim=True)
                   - xhat * (dxhat * xhat).mean(stat_axes, keepdim=True)) * invstd
                  ).reshape(x.shape)
    return grad_x, grad_w, grad_b, None, None, None
