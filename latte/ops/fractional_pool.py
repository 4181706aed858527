"""Fractional max pooling (Graham, 2014): max over windows placed at pseudo-random steps.

For an output of size ``out`` from an input of size ``in`` with windows of size ``k`` and a
sample ``u`` in [0, 1), window ``i`` starts at ``int((i + u) * alpha) - int(u * alpha)`` with
``alpha = (in - k) / (out - 1)``, and the last one at ``in - k`` (PyTorch's intervals, computed
in the input's floating dtype as PyTorch's kernel does, so the windows are the same).
"""
from __future__ import annotations

import math
from typing import Any

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.pool import IndexScatter


def window_starts(xp: Any, u: Any, size: int, out: int, kernel: int) -> Any:
    """The first input position of each of ``out`` windows, ``(N, C, out)``, from samples
    ``u (N, C)``."""
    last = xp.full(u.shape + (1,), size - kernel, dtype=xp.int64)
    if out <= 1:
        return last[..., :out]
    one = xp.ones((), dtype=u.dtype)
    alpha = (one * (size - kernel)) / (one * (out - 1))
    i = xp.arange(out - 1).astype(u.dtype)
    # truncation toward zero, as C's int cast (every value here is at least 0)
    starts = ((i + u[..., None]) * alpha).astype(xp.int64) - (u * alpha).astype(xp.int64)[
        ..., None]
    return xp.concatenate([starts, last], axis=-1)


class FractionalMaxPool(Op):
    """Max of ``x (N, C, *spatial)`` (or ``(C, *spatial)``) over the fractional windows given
    by ``samples (N, C, d)``; also the flat position of each maximum in its ``(n, c)`` plane.

    PyTorch's samples run W, H for 2-D and T, H, W for 3-D; ``order`` maps each sample to its
    spatial dim.
    """

    non_differentiable_outputs = (1,)

    def node_name_for(ctx):
        return f"FractionalMaxPool{ctx.d}DBackward0"

    def forward(ctx, x, samples, kernel, output_size, order):
        xp = get_array_module(x)
        ctx.d, ctx.shape = len(kernel), x.shape
        if x.ndim == ctx.d + 1:  # unbatched (C, *spatial): one node, as PyTorch
            x = x[None]
        n, c = x.shape[:2]
        spatial = x.shape[2:]
        d = len(spatial)
        u = samples.astype(x.dtype, copy=False)
        flat = xp.zeros((n, c) + (1,) * (2 * d), dtype=xp.int64)
        for j in range(d):
            starts = window_starts(xp, u[:, :, order[j]], spatial[j], output_size[j], kernel[j])
            pos = starts[..., None] + xp.arange(kernel[j])  # (N, C, out_j, k_j)
            shape = [n, c] + [1] * (2 * d)
            shape[2 + j], shape[2 + d + j] = output_size[j], kernel[j]
            flat = flat + pos.reshape(shape) * math.prod(spatial[j + 1:])
        windows = flat.reshape(n, c, *output_size, math.prod(kernel))
        values = xp.take_along_axis(x.reshape(n, c, -1), windows.reshape(n, c, -1), axis=2)
        values = values.reshape(windows.shape)
        arg = values.argmax(axis=-1)[..., None]  # the first maximum, as PyTorch's scan
        out = xp.take_along_axis(values, arg, axis=-1)[..., 0]
        index = xp.take_along_axis(windows, arg, axis=-1)[..., 0]
        ctx.save_for_backward(index)
        if len(ctx.shape) == ctx.d + 1:
            return out[0], index[0]
        return out, index

    def backward(ctx, grad, _):
        (index,) = ctx.saved_tensors
        if len(ctx.shape) == ctx.d + 1:
            dx = IndexScatter.apply(grad.unsqueeze(0), index, (1,) + ctx.shape)
            return dx.squeeze(0), None, None, None, None
        return IndexScatter.apply(grad, index, ctx.shape), None, None, None, None
