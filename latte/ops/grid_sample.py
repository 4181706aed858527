"""Bilinear ``grid_sample`` as one primitive, and the source-coordinate rules it shares with the
nearest mode (``nn/functional/vision.py``).

Forward: the four corner pixels of every sampling point are rows of the channels-last input
``(N * H * W, C)``, so each corner is one row gather (``take``) and the output four weighted
row sums. Backward: ``grad_input`` adds every point's weighted gradient into its corners with
one ``bincount`` per channel (a scattered ``add.at`` is ~30x slower); ``grad_grid`` is, per
point, the derivative of the bilinear weights against the channel dot products of the gradient
with the corner values, times the padding rule's slope. The gathers are recomputed in the
backward, not saved. With ``create_graph=True`` the backward is the same formula written with
differentiable ops (``Gather``, ``ScatterAdd``), so gradients stay differentiable.
"""
from __future__ import annotations

from typing import Any

from latte.autograd import function
from latte.autograd.function import Op
from latte.autograd.grad_mode import _state
from latte.backend import get_array_module
from latte.ops.index import Gather, ScatterAdd


def _reflect(xp: Any, x: Any, twice_low: int, twice_high: int) -> tuple:
    """Reflect ``x`` into [low, high] (bounds given doubled); returns (value, slope ±1)."""
    if twice_low == twice_high:
        return xp.zeros_like(x), xp.zeros_like(x)
    low = x.dtype.type(twice_low / 2)
    span = x.dtype.type((twice_high - twice_low) / 2)
    shifted = x - low
    dist = xp.abs(shifted)
    slope = xp.where(shifted < 0, x.dtype.type(-1), x.dtype.type(1))
    extra = xp.fmod(dist, span)
    flips = xp.floor(dist / span)
    odd = xp.fmod(flips, 2) != 0
    value = xp.where(odd, span - extra + low, extra + low)
    return value, xp.where(odd, -slope, slope)


def _clip(xp: Any, x: Any, size: int) -> tuple:
    """Clamp to [0, size - 1]; the slope is 0 at and beyond the borders (as PyTorch's grad)."""
    inside = (x > 0) & (x < size - 1)
    return xp.clip(x, 0, size - 1), inside.astype(x.dtype)


def unnormalize(g: Any, size: int, align: bool) -> Any:
    """Pixel coordinate of normalised ``g`` (an array or a Tensor) along an axis of ``size``:
    -1 and 1 are the corner pixels' centres (``align``) or their outer edges."""
    if align:
        return (g + 1) * ((size - 1) / 2)
    return ((g + 1) * size - 1) / 2


def pad_coordinates(xp: Any, x: Any, size: int, padding: str, align: bool) -> Any:
    """Pixel coordinates ``x`` moved into the image by the padding rule (``'zeros'`` leaves
    them), as PyTorch's ``compute_coordinates``."""
    return _pad(xp, x, xp.ones_like(x), size, padding, align)[0]


def source(xp: Any, g: Any, size: int, padding: str, align: bool) -> tuple:
    """Pixel coordinate of normalised ``g`` along an axis of ``size``, and its slope d/dg."""
    scale = g.dtype.type((size - 1) / 2 if align else size / 2)
    x = unnormalize(g, size, align).astype(g.dtype, copy=False)
    return _pad(xp, x, xp.full_like(g, scale), size, padding, align)


def _pad(xp: Any, x: Any, slope: Any, size: int, padding: str, align: bool) -> tuple:
    """``x`` and its slope after the padding rule (the slope is 0 where ``x`` was clamped)."""
    if padding == "border":
        x, s = _clip(xp, x, size)
        slope = slope * s
    elif padding == "reflection":
        x, s = _reflect(xp, x, 0, 2 * (size - 1)) if align else _reflect(xp, x, -1, 2 * size - 1)
        slope = slope * s
        x, s = _clip(xp, x, size)
        slope = slope * s
    if padding != "zeros":  # a NaN (or reflected inf) point reads pixel 0, as PyTorch's CPU
        x = xp.where(xp.isnan(x), x.dtype.type(0), x)
    return x, slope


def flat_index(xp: Any, cx: Any, cy: Any, inside: Any, w: int) -> Any:
    """``cy * w + cx`` as int64 where ``inside``, else 0: points off the image, NaN or
    infinite included, read a valid pixel that their zero mask then discards."""
    zero = cx.dtype.type(0)
    return (xp.where(inside, cy, zero).astype(xp.int64) * w
            + xp.where(inside, cx, zero).astype(xp.int64))


class _Points:
    """The sampling points of ``grid`` (N, H_out, W_out, 2) on an (N, C, H, W) input, flattened
    to ``N * H_out * W_out``: coordinates ``ix``/``iy`` and slopes ``sx``/``sy``, offsets
    ``fx``/``fy`` from the north-west corner, and per corner (NW, NE, SW, SE) the row of the
    channels-last input and a mask that is 0 off the image."""

    def __init__(self, xp: Any, shape: tuple, grid: Any, padding: str, align: bool) -> None:
        n, _, h, w = shape
        g = grid.reshape(-1, 2)
        self.ix, self.sx = source(xp, g[:, 0], w, padding, align)
        self.iy, self.sy = source(xp, g[:, 1], h, padding, align)
        x0, y0 = xp.floor(self.ix), xp.floor(self.iy)
        self.fx, self.fy = self.ix - x0, self.iy - y0
        points = g.shape[0] // max(n, 1)
        image = (xp.arange(g.shape[0]) // max(points, 1)) * (h * w)  # each point's sample
        self.rows, self.masks = [], []
        for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            cx, cy = x0 + dx, y0 + dy
            inside = (cx >= 0) & (cx <= w - 1) & (cy >= 0) & (cy <= h - 1)
            pos = flat_index(xp, cx, cy, inside, w)
            self.rows.append(pos + image)
            self.masks.append(inside.astype(g.dtype))

    def weights(self) -> list:
        """The bilinear weight of each corner, zero off the image."""
        fx, fy = self.fx, self.fy
        return [(1 - fx) * (1 - fy) * self.masks[0], fx * (1 - fy) * self.masks[1],
                (1 - fx) * fy * self.masks[2], fx * fy * self.masks[3]]


def _channels_last(xp: Any, x: Any) -> Any:
    """(N, C, H, W) as the matrix (N * H * W, C) of pixel rows."""
    n, c, h, w = x.shape
    return xp.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(n * h * w, c)


class GridSample(Op):
    """Bilinear sampling of ``x`` (N, C, H, W) at ``grid`` (N, H_out, W_out, 2) with a padding
    rule (``'zeros'``, ``'border'``, ``'reflection'``); differentiable in both."""

    node_name = "GridSampler2DBackward0"

    def forward(ctx, x, grid, padding, align):
        xp = get_array_module(x)
        ctx.padding, ctx.align = padding, align
        ctx.save_for_backward(x, grid)
        n, c = x.shape[:2]
        ho, wo = grid.shape[1:3]
        pts = _Points(xp, x.shape, grid, padding, align)
        pixels = _channels_last(xp, x)
        out = None
        for rows, weight in zip(pts.rows, pts.weights()):
            term = xp.take(pixels, rows, axis=0)
            term *= weight[:, None]
            out = term if out is None else xp.add(out, term, out=out)
        # contiguous NCHW, as PyTorch's (code written for it may call .view on the result)
        return xp.ascontiguousarray(out.reshape(n, ho, wo, c).transpose(0, 3, 1, 2))

    def backward(ctx, grad):
        x, grid = ctx.saved_tensors
        if _state.enabled:
            return _backward_composed(ctx, x, grid, grad)
        xp = get_array_module(x._data)
        x, grid, g = x._data, grid._data, grad._data
        n, c, h, w = x.shape
        need_x, need_grid = ctx.needs_input_grad[:2]
        pts = _Points(xp, x.shape, grid, ctx.padding, ctx.align)
        grad_x = grad_grid = None
        if need_x:
            rows = xp.concatenate(pts.rows)
            weights = xp.concatenate(pts.weights())
            dx = xp.empty((n, c, h * w), dtype=x.dtype)
            for ch in range(c):  # one bincount per channel: no index array C times as long
                contrib = weights * xp.tile(g[:, ch].reshape(-1), 4)
                dx[:, ch] = xp.bincount(rows, weights=contrib, minlength=n * h * w).reshape(n, -1)
            grad_x = function.Tensor(dx.reshape(x.shape))
        if need_grid:
            pixels = _channels_last(xp, x)
            go = _channels_last(xp, g)
            # s_k = sum over channels of grad * corner k's value, masked off the image
            s = [xp.einsum("pc,pc->p", go, xp.take(pixels, rows, axis=0)) * m
                 for rows, m in zip(pts.rows, pts.masks)]
            fx, fy = pts.fx, pts.fy
            dix = (1 - fy) * (s[1] - s[0]) + fy * (s[3] - s[2])
            diy = (1 - fx) * (s[2] - s[0]) + fx * (s[3] - s[1])
            out = xp.stack([dix * pts.sx, diy * pts.sy], axis=-1)
            grad_grid = function.Tensor(out.reshape(grid.shape).astype(grid.dtype, copy=False))
        return grad_x, grad_grid, None, None


def _backward_composed(ctx: Any, x: Any, grid: Any, grad: Any) -> tuple:
    """The same gradients from differentiable ops, for double backward: the bilinear weights
    are functions of ``grid`` through ``(g - g.detach()) * slope + coordinate``, whose value is
    the raw coordinate and whose derivative is the padding rule's slope."""
    Tensor = function.Tensor
    xp = get_array_module(x._data)
    n, c, h, w = x.shape
    pts = _Points(xp, tuple(x.shape), grid._data, ctx.padding, ctx.align)
    g = grid.reshape(-1, 2)
    gx, gy = g[:, 0], g[:, 1]
    fx = ((gx - gx.detach()) * Tensor(pts.sx) + Tensor(pts.fx)).reshape(n, 1, -1)
    fy = ((gy - gy.detach()) * Tensor(pts.sy) + Tensor(pts.fy)).reshape(n, 1, -1)
    masks = [Tensor(m.reshape(n, 1, -1)) for m in pts.masks]
    # corner rows as indices into each sample's (C, H * W) plane
    index = [xp.ascontiguousarray(xp.broadcast_to((r % (h * w)).reshape(n, 1, -1),
                                                  (n, c, r.size // max(n, 1))))
             for r in pts.rows]
    go = grad.reshape(n, c, -1)
    need_x, need_grid = ctx.needs_input_grad[:2]
    grad_x = grad_grid = None
    if need_x:
        weights = [(1 - fx) * (1 - fy) * masks[0], fx * (1 - fy) * masks[1],
                   (1 - fx) * fy * masks[2], fx * fy * masks[3]]
        grad_x = x.new_zeros((n, c, h * w))
        for idx, wt in zip(index, weights):
            grad_x = ScatterAdd.apply(grad_x, 2, idx, go * wt)
        grad_x = grad_x.reshape(x.shape)
    if need_grid:
        flat = x.reshape(n, c, h * w)
        s = [(go * Gather.apply(flat, 2, idx) * m).sum(1) for idx, m in zip(index, masks)]
        fx, fy = fx.reshape(n, -1), fy.reshape(n, -1)
        dix = ((1 - fy) * (s[1] - s[0]) + fy * (s[3] - s[2])) * Tensor(pts.sx.reshape(n, -1))
        diy = ((1 - fx) * (s[2] - s[0]) + fx * (s[3] - s[1])) * Tensor(pts.sy.reshape(n, -1))
        unit = xp.eye(2, dtype=grid._data.dtype)
        grad_grid = (dix.reshape(-1, 1) * Tensor(unit[0]) + diy.reshape(-1, 1) *
                     Tensor(unit[1])).reshape(grid.shape)
    return grad_x, grad_grid, None, None
