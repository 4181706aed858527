"""Normalisation with batch statistics (batch norm, layer norm, group norm) as one primitive.

``y = (x - mean) / sqrt(var + eps) * weight + bias`` with ``mean``/``var`` (biased) taken

* ``mode="channel"``: per channel of ``x`` viewed as ``(N, C, L)`` (batch norm; weight ``(C,)``),
* ``mode="row"``: per row of ``x`` viewed as ``(M, K)`` (layer norm over the trailing ``K``
  elements; weight of ``K`` elements, or none for group norm).

The backward is the closed form

    dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),   dxhat = dy * weight

a few passes over the data instead of the dozen nodes the composition would record; every
reduction is one ``einsum`` (a fused multiply-sum, no temporary, and much faster than NumPy's
strided ``sum`` over the batch and spatial axes of NCHW). Asking for a graph of the backward
(``create_graph=True``) switches to the same formula written with Tensor ops.
"""
from __future__ import annotations

from typing import Any

from latte.autograd import function
from latte.autograd.function import Op
from latte.autograd.grad_mode import _state
from latte.backend import get_array_module

# per mode: the 2-D/3-D view's letters, the statistic's letters, the parameter's letters
_SPECS = {"channel": ("ncl", "c", "c"), "row": ("mk", "m", "k")}


def _view_shape(shape: tuple, mode: str, k: int) -> tuple:
    if mode == "channel":
        return (shape[0], shape[1], -1)
    return (-1, k)


class _Layout:
    """Reductions and broadcasts of one mode, over the view of ``x``."""

    def __init__(self, xp: Any, mode: str) -> None:
        full, stat, param = _SPECS[mode]
        self.xp, self.full, self.stat, self.param, self.mode = xp, full, stat, param, mode

    def stat_sum(self, a: Any, b: Any = None) -> Any:
        if b is None:
            return self.xp.einsum(f"{self.full}->{self.stat}", a)
        return self.xp.einsum(f"{self.full},{self.full}->{self.stat}", a, b)

    def param_sum(self, a: Any, b: Any = None) -> Any:
        if b is None:
            return self.xp.einsum(f"{self.full}->{self.param}", a)
        return self.xp.einsum(f"{self.full},{self.full}->{self.param}", a, b)

    def stat_view(self, v: Any) -> Any:
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
        xhat = xv - lay.stat_view(mean)
        var = lay.stat_sum(xhat, xhat) / count
        invstd = 1.0 / xp.sqrt(var + eps)
        xhat *= lay.stat_view(invstd).astype(x.dtype, copy=False)
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
        xp = get_array_module(x._data)
        lay = _Layout(xp, ctx.mode)
        xhat = ctx.xhat
        g = grad._data.reshape(xhat.shape)
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        grad_w = grad_b = grad_x = None
        if need_w:
            grad_w = function.Tensor(lay.param_sum(g, xhat).reshape(weight.shape)
                            .astype(x._data.dtype, copy=False))
        if need_b:
            grad_b = function.Tensor(lay.param_sum(g).reshape(ctx.bias_shape)
                            .astype(x._data.dtype, copy=False))
        if need_x:
            dxhat = g * lay.param_view(weight._data) if weight is not None else g
            mean_d = lay.stat_sum(dxhat) / ctx.count
            mean_dx = lay.stat_sum(dxhat, xhat) / ctx.count
            out = xhat * lay.stat_view(mean_dx).astype(xhat.dtype, copy=False)
            xp.subtract(dxhat, out, out=out)
            out -= lay.stat_view(mean_d).astype(xhat.dtype, copy=False)
            out *= lay.stat_view(ctx.invstd).astype(xhat.dtype, copy=False)
            grad_x = function.Tensor(out.reshape(x.shape))
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
