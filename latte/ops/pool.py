"""Pooling primitives on channels-last arrays, one strided slice per kernel tap.

A window reduction over a (kh, kw) kernel visits the input through kh*kw strided views of the
padded NHWC array (see ``latte.ops.conv.tap_slices``), so the only Python loop is over kernel
taps, never pixels or batch. Max pooling keeps neither its input nor its windows: forward finds,
tap by tap, where each window's first maximum sits (PyTorch's choice on ties) and saves only
that tap's index, one byte per output value; backward writes the gradient through the same
views with masked products instead of ``add.at``. Outputs are NHWC arrays shown as NCHW views,
like the convolutions'. Average pooling saves nothing but its geometry.

Each backward is itself an op (route, spread, scatter) whose adjoint is the forward's companion
(pick, average, gather), so gradients of gradients work as for every other primitive.
"""
from __future__ import annotations

import math
from typing import Any

from latte._threads import run_spans
from latte.autograd.function import Op
from latte.backend import get_array_module, is_device_array
from latte.ops import buffer_pool
from latte.ops.conv import nhwc_padded, tap_slices

__all__ = ["MaxPool2d", "MaxPoolRoute", "MaxPoolPick", "AvgPool2d", "AvgPoolSpread",
           "AdaptiveMaxPool2d", "IndexScatter", "adaptive_ranges", "avg_divisor"]

_SPAN_WORK = 1 << 18  # tap visits below which a thread's span costs more than it saves
# output elements per block: its masks and temporaries stay in the cache, and the calls per
# block are few against its arithmetic (2x2 on 256x64x32x32: 32 K elements 53.7 ms, 256 K 43.3)
_BLOCK_ITEMS = 1 << 18


def _image_blocks(lo: int, hi: int, per_image: int, whole: bool = False) -> Any:
    """``(b0, b1)`` ranges of whole images of ``[lo, hi)``, about ``_BLOCK_ITEMS`` output
    elements each, so that a sweep's passes over a block run in cache (``whole``: one range,
    for a GPU, where every pass is one kernel launch)."""
    step = hi - lo if whole else max(1, _BLOCK_ITEMS // max(per_image, 1))
    return ((b0, min(b0 + step, hi)) for b0 in range(lo, hi, step))


def _window_extra(size: int, kernel: int, stride: int, pad: int, dilation: int, out: int) -> int:
    """Rows past the padded input that the last (ceil-mode) window reaches, to pad with fill."""
    return max(0, stride * (out - 1) + dilation * (kernel - 1) + 1 - (size + 2 * pad))


def _padded(x: Any, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
            out_hw: tuple, fill: float) -> Any:
    """``x`` as (N, H', W', C) with its padding; without padding a view in x's own layout.

    Per-tap slices and elementwise passes run as fast on an NCHW array seen through an NHWC
    view, so an unpadded input is never copied (the temporaries then follow its layout).
    """
    ph, pw = padding
    extra = tuple(_window_extra(x.shape[2 + d], kernel[d], stride[d], padding[d],
                                dilation[d], out_hw[d]) for d in range(2))
    if not (ph or pw or any(extra)):
        return x.transpose(0, 2, 3, 1)
    return nhwc_padded(x, (ph, ph, pw, pw), fill, extra)


def _zeros(xp: Any, shape: tuple, dtype: Any, channels_first: bool) -> Any:
    """Zeros of (N, H, W, C) ``shape``, laid out channels-last or (as a view) channels-first."""
    return buffer_pool.zeros(xp, shape, dtype, (0, 3, 1, 2) if channels_first else None)


def _empty(xp: Any, shape: tuple, dtype: Any, channels_first: bool) -> Any:
    """As ``_zeros``, uninitialised: for a result every element of which is written."""
    return buffer_pool.empty(xp, shape, dtype, (0, 3, 1, 2) if channels_first else None)


def _lowest(xp: Any, dtype: Any) -> Any:
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


def _overlapping(kernel: tuple, stride: tuple, dilation: tuple) -> bool:
    """Whether two windows can share an input element (then gradients must be added)."""
    return any(s < d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))


def _first_max_masks(a: Any, out: Any, kernel: tuple, stride: tuple, dilation: tuple,
                     out_hw: tuple) -> Any:
    """Yield ``(tap, mask, again)``: where tap ``t`` holds its window's first maximum.

    Found again from the input and the output, so the forward pass stores no argmax. A NaN
    maximum equals nothing: a second sweep (``again``) then matches the first NaN. One mask
    buffer is reused for every tap.
    """
    xp = get_array_module(a)
    # a GPU can't ask "any NaN window?" without a host sync: it matches NaNs in the one sweep
    # (a window holds a NaN only where its maximum is NaN, so that finds the first NaN)
    one_sweep = is_device_array(a)
    mask = xp.empty_like(out, dtype=bool)
    taken = xp.zeros_like(out, dtype=bool)
    taps = [tap_slices(t // kernel[1], t % kernel[1], stride, dilation, out_hw)
            for t in range(kernel[0] * kernel[1])]
    for t, index in enumerate(taps):
        xp.equal(a[index], out, out=mask)
        if one_sweep:
            xp.logical_or(mask, xp.isnan(a[index]), out=mask)
        xp.greater(mask, taken, out=mask)  # and not already taken by an earlier tap
        xp.logical_or(taken, mask, out=taken)
        yield t, mask, False
    if not one_sweep and not taken.all():  # NaN windows: no tap equals NaN
        for t, index in enumerate(taps):
            xp.isnan(a[index], out=mask)
            xp.greater(mask, taken, out=mask)
            xp.logical_or(taken, mask, out=taken)
            yield t, mask, True


def _window_max(x: Any, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
                out_hw: tuple) -> tuple:
    """The padded channels-last input and its (N, Ho, Wo, C) window maxima."""
    xp = get_array_module(x)
    a = _padded(x, kernel, stride, padding, dilation, out_hw, _lowest(xp, x.dtype))
    out = a[tap_slices(0, 0, stride, dilation, out_hw)].copy(order="K")
    for t in range(1, kernel[0] * kernel[1]):
        xp.maximum(out, a[tap_slices(t // kernel[1], t % kernel[1], stride, dilation, out_hw)],
                   out=out)  # maximum() propagates NaN
    return a, out


def _argmax_taps(a: Any, out: Any, kernel: tuple, stride: tuple, dilation: tuple,
                 out_hw: tuple) -> Any:
    """(N, Ho, Wo, C) index of the kernel tap holding each window's first maximum ``out``, in
    the smallest unsigned type that holds ``kh * kw`` (one byte for every usual kernel)."""
    xp = get_array_module(a)
    dtype = xp.uint8 if kernel[0] * kernel[1] <= 256 else xp.int32
    arg = xp.zeros(out.shape, dtype)
    term = xp.empty_like(arg)
    for t, mask, _ in _first_max_masks(a, out, kernel, stride, dilation, out_hw):
        if t:  # the masks are disjoint: adding t where each holds sets the index (a masked
            # copyto is ~50x slower on the CPU, and arg[mask] = t would sync a GPU)
            xp.multiply(mask, dtype(t), out=term)
            arg += term
    return arg


def _max_argmax(x: Any, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
                out_hw: tuple) -> tuple:
    """The padded channels-last input, its (N, Ho, Wo, C) window maxima and their taps.

    On the CPU one sweep: where tap ``t`` beats the running maximum, ``t`` is larger than any
    index so far, so ``arg = maximum(arg, t * beats)``; spans of the batch sweep on the threads
    of ``latte._threads``. A NaN beats nothing: windows holding one (rare; their maximum is
    NaN) take the careful path that finds the first NaN.
    """
    if is_device_array(x):  # no host sync for "any NaN?": the masks' one sweep handles NaN
        a, out = _window_max(x, kernel, stride, padding, dilation, out_hw)
        return a, out, _argmax_taps(a, out, kernel, stride, dilation, out_hw)
    xp = get_array_module(x)
    a = _padded(x, kernel, stride, padding, dilation, out_hw, _lowest(xp, x.dtype))
    first = a[tap_slices(0, 0, stride, dilation, out_hw)]
    out = buffer_pool.empty_like(first)  # the input's layout, as a copy of it would have
    dtype = xp.uint8 if kernel[0] * kernel[1] <= 256 else xp.int32
    arg = buffer_pool.zeros(xp, out.shape, dtype)

    nan_seen: list = []

    def sweep(lo: int, hi: int) -> None:
        for b0, b1 in _image_blocks(lo, hi, out[:1].size):
            span, best, taps = a[b0:b1], out[b0:b1], arg[b0:b1]
            xp.copyto(best, first[b0:b1])
            beats = xp.empty(best.shape, bool)
            term = xp.empty_like(taps)
            for t in range(1, kernel[0] * kernel[1]):
                v = span[tap_slices(t // kernel[1], t % kernel[1], stride, dilation, out_hw)]
                xp.greater(v, best, out=beats)  # strictly: the first of equal maxima stays
                xp.maximum(best, v, out=best)  # maximum() propagates NaN
                xp.multiply(beats, dtype(t), out=term)
                xp.maximum(taps, term, out=taps)
            if best.dtype.kind == "f" and xp.isnan(best).any():
                nan_seen.append(True)

    work_per_image = max(1, out[:1].size * kernel[0] * kernel[1])
    run_spans(sweep, out.shape[0], min_span=-(-_SPAN_WORK // work_per_image))
    if nan_seen:
        arg = _argmax_taps(a, out, kernel, stride, dilation, out_hw)
    return a, out, arg


class MaxPool2d(Op):
    """Max over windows of x (N, C, H, W); with ``with_indices`` also the flat argmax in H*W.

    Keeps for backward only the compact tap index of each maximum (one byte per output value),
    not the input: the gradient is routed by it without looking at the windows again.
    """

    non_differentiable_outputs = (1,)

    def forward(ctx, x, kernel, stride, padding, dilation, out_hw, with_indices):
        xp = get_array_module(x)
        a, out, arg = _max_argmax(x, kernel, stride, padding, dilation, out_hw)
        ctx.geometry = (kernel, stride, padding, dilation, out_hw, a.shape, x.shape,
                        not a.flags.c_contiguous)
        ctx.save_for_backward(arg)
        y = out.transpose(0, 3, 1, 2)
        if not with_indices:
            return y
        return y, _flat_indices(xp, arg, kernel, stride, padding, dilation, x.shape)

    def backward(ctx, grad, *_):
        (arg,) = ctx.saved_tensors
        return MaxPoolRoute.apply(grad, arg, ctx.geometry), None, None, None, None, None, None


class MaxPoolRoute(Op):
    """Max pooling's input gradient: ``g`` (N, C, Ho, Wo) sent to each window's maximum, at tap
    ``arg`` (N, Ho, Wo, C) of its window; linear in ``g``, with ``MaxPoolPick`` as its adjoint."""

    def forward(ctx, g, arg, geometry):
        kernel, stride, padding, dilation, out_hw, padded_shape, shape, channels_first = geometry
        ctx.geometry = geometry
        ctx.save_for_backward(arg)
        xp = get_array_module(g)
        g = g.transpose(0, 2, 3, 1)
        overlapping = _overlapping(kernel, stride, dilation)
        tiled = not overlapping and all(  # the windows cover the input exactly, once each
            k == s and o * s == size
            for k, s, o, size in zip(kernel, stride, out_hw, padded_shape[1:3]))
        dx = (_empty if tiled else _zeros)(xp, padded_shape, g.dtype, channels_first)
        taps = [tap_slices(t // kernel[1], t % kernel[1], stride, dilation, out_hw)
                for t in range(kernel[0] * kernel[1])]

        def route(lo: int, hi: int) -> None:
            for b0, b1 in _image_blocks(lo, hi, arg[:1].size, on_device):
                part, gb, target = arg[b0:b1], g[b0:b1], dx[b0:b1]
                mask = xp.empty(part.shape, bool)
                routed = xp.empty(part.shape, g.dtype) if overlapping else None
                for t, tap in enumerate(taps):
                    xp.equal(part, t, out=mask)
                    if overlapping:
                        xp.multiply(gb, mask, out=routed)
                        target[tap] += routed
                    else:  # disjoint windows: each tap's view is written exactly once
                        xp.multiply(gb, mask, out=target[tap])

        on_device = is_device_array(g)
        if on_device:
            route(0, arg.shape[0])
        else:
            run_spans(route, arg.shape[0],
                      min_span=-(-_SPAN_WORK // max(1, arg[:1].size * len(taps))))
        ph, pw = padding
        return dx[:, ph:ph + shape[2], pw:pw + shape[3]].transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        return MaxPoolPick.apply(grad, arg, ctx.geometry), None, None


class MaxPoolPick(Op):
    """Adjoint of ``MaxPoolRoute``: the value of ``v`` (shaped like the pooled input) at each
    window's maximum, tap ``arg`` of its window, as (N, C, Ho, Wo)."""

    def forward(ctx, v, arg, geometry):
        kernel, stride, padding, dilation, out_hw = geometry[:5]
        ctx.geometry = geometry
        ctx.save_for_backward(arg)
        xp = get_array_module(v)
        values = _padded(v, kernel, stride, padding, dilation, out_hw, 0)
        picked = xp.zeros(arg.shape, v.dtype)
        mask = xp.empty(arg.shape, bool)
        term = xp.empty_like(picked)
        for t in range(kernel[0] * kernel[1]):
            xp.equal(arg, t, out=mask)
            xp.multiply(values[tap_slices(t // kernel[1], t % kernel[1], stride, dilation,
                                          out_hw)], mask, out=term)
            picked += term
        return picked.transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        (arg,) = ctx.saved_tensors
        return MaxPoolRoute.apply(grad, arg, ctx.geometry), None, None


def _flat_indices(xp: Any, arg: Any, kernel: tuple, stride: tuple, padding: tuple,
                  dilation: tuple, shape: tuple) -> Any:
    """PyTorch's pooling indices: ``h * W + w`` of each maximum in its input plane, NCHW."""
    n, ho, wo, c = arg.shape
    i, j = xp.divmod(arg.astype(xp.int64), kernel[1])
    h = (xp.arange(ho) * stride[0] - padding[0])[:, None, None] + i * dilation[0]
    w = (xp.arange(wo) * stride[1] - padding[1])[:, None] + j * dilation[1]
    return xp.ascontiguousarray((h * shape[3] + w).transpose(0, 3, 1, 2))


def avg_divisor(xp: Any, size: tuple, kernel: tuple, stride: tuple, padding: tuple,
                out_hw: tuple, count_include_pad: bool, dtype: Any) -> Any:
    """(*out, 1) window sizes as PyTorch counts them (padding inside, ceil overhang not), for
    windows of any number of dims (``out_hw`` is (Ho, Wo) in 2-D)."""
    total = xp.ones((1,) * len(kernel), dtype=xp.int64)
    for d in range(len(kernel)):
        start = xp.arange(out_hw[d]) * stride[d] - padding[d]
        end = xp.minimum(start + kernel[d], size[d] + padding[d])
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, size[d])
        shape = [1] * len(kernel)
        shape[d] = -1
        total = total * (end - start).reshape(shape)
    return total.astype(dtype)[..., None]


class AvgPool2d(Op):
    """Mean over windows of x (N, C, H, W), zero padding, divided by ``divisor`` (Ho, Wo, 1)."""

    def forward(ctx, x, kernel, stride, padding, out_hw, divisor):
        a = _padded(x, kernel, stride, padding, (1, 1), out_hw, 0)
        kh, kw = kernel
        out = a[tap_slices(0, 0, stride, (1, 1), out_hw)].copy(order="K")
        for t in range(1, kh * kw):
            out += a[tap_slices(t // kw, t % kw, stride, (1, 1), out_hw)]
        if out.dtype.kind == "f":
            out /= divisor
        else:  # PyTorch's int64 pooling divides in integers, rounding toward zero
            quotient = out // divisor
            quotient += (quotient < 0) & (quotient * divisor != out)
            out = quotient
        ctx.geometry = (kernel, stride, padding, out_hw, a.shape, x.shape)
        ctx.channels_first = not a.flags.c_contiguous
        ctx.save_for_backward(divisor)  # so the engine frees it after backward
        return out.transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        (divisor,) = ctx.saved_tensors
        return (AvgPoolSpread.apply(grad, ctx.geometry, divisor, ctx.channels_first),
                None, None, None, None, None)


class AvgPoolSpread(Op):
    """Average pooling's input gradient: each ``g / divisor`` spread over its window; linear,
    with ``AvgPool2d`` itself as its adjoint."""

    def forward(ctx, g, geometry, divisor, channels_first):
        kernel, stride, padding, out_hw, padded_shape, shape = geometry
        ctx.geometry = geometry
        ctx.save_for_backward(divisor)
        g = g.transpose(0, 2, 3, 1) / divisor
        xp = get_array_module(g)
        dx = _zeros(xp, padded_shape, g.dtype, channels_first)
        overlapping = _overlapping(kernel, stride, (1, 1))
        for t in range(kernel[0] * kernel[1]):
            view = dx[tap_slices(t // kernel[1], t % kernel[1], stride, (1, 1), out_hw)]
            if overlapping:
                view += g
            else:
                view[...] = g
        ph, pw = padding
        return dx[:, ph:ph + shape[2], pw:pw + shape[3]].transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        kernel, stride, padding, out_hw = ctx.geometry[:4]
        (divisor,) = ctx.saved_tensors
        return AvgPool2d.apply(grad, kernel, stride, padding, out_hw, divisor), None, None, None


def adaptive_ranges(xp: Any, size: int, out: int) -> tuple:
    """PyTorch's adaptive windows ``[floor(i*size/out), ceil((i+1)*size/out))`` as arrays."""
    i = xp.arange(out)
    return (i * size) // out, ((i + 1) * size + out - 1) // out


class AdaptiveMaxPool2d(Op):
    """Max over PyTorch's adaptive windows of x (N, C, H, W); also the flat argmax indices."""

    non_differentiable_outputs = (1,)

    def forward(ctx, x, out_hw):
        xp = get_array_module(x)
        n, c, h, w = x.shape
        rows, cols = [], []
        for d, size in enumerate((h, w)):
            start, end = adaptive_ranges(xp, size, out_hw[d])
            # the longest window, from the sizes alone (no look at device data)
            k = max((i + 1) * size // out_hw[d] - i * size // out_hw[d]
                    + bool((i + 1) * size % out_hw[d]) for i in range(out_hw[d]))
            # windows shorter than the longest repeat their last element, which leaves the max
            idx = xp.minimum(start[:, None] + xp.arange(k), end[:, None] - 1)
            (rows if d == 0 else cols).append(idx)
        ih, iw = rows[0][:, None, :, None], cols[0][None, :, None, :]
        a = x.transpose(0, 2, 3, 1)
        win = a[:, ih, iw, :]  # (N, oh, ow, kh, kw, C)
        win = win.reshape(n, out_hw[0], out_hw[1], -1, c)
        arg = win.argmax(axis=3)
        out = xp.take_along_axis(win, arg[:, :, :, None, :], axis=3)[:, :, :, 0]
        flat = (ih * w + iw).reshape(out_hw[0], out_hw[1], -1)
        index = flat[xp.arange(out_hw[0])[:, None, None], xp.arange(out_hw[1])[None, :, None],
                     arg]  # (N, oh, ow, C) flat positions in each H*W plane
        index = xp.ascontiguousarray(index.transpose(0, 3, 1, 2))
        ctx.shape = x.shape
        ctx.save_for_backward(index)
        return out.transpose(0, 3, 1, 2), index

    def backward(ctx, grad, _):
        (index,) = ctx.saved_tensors
        return IndexScatter.apply(grad, index, ctx.shape), None


class IndexScatter(Op):
    """(N, C, ...) values summed into zeros of ``shape`` at flat positions ``index`` of each
    (n, c) plane; its adjoint is a gather at the same positions."""

    def forward(ctx, g, index, shape):
        xp = get_array_module(g)
        ctx.save_for_backward(index)
        n, c = shape[:2]
        size = math.prod(shape[2:])
        plane = (xp.arange(n * c) * size).reshape((n, c) + (1,) * (index.ndim - 2))
        # windows may overlap: bincount sums every contribution to the same input element
        dx = xp.bincount((index + plane).ravel(), weights=g.ravel(), minlength=n * c * size)
        return dx.astype(g.dtype).reshape(shape)

    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        n, c = index.shape[:2]
        picked = grad.reshape(n, c, -1).gather(2, index.reshape(n, c, -1))
        return picked.reshape(index.shape), None, None
