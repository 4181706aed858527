"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
area) and ``upsample``.

Each spatial dim is resized on its own (every mode is separable), gathering source rows with
PyTorch's index formulas computed in the input's float precision, so outputs match exactly.
"""
from __future__ import annotations

import math
from typing import Any

from latte.nn.functional._device import on_input_device
from latte.nn.functional.conv import _sizes
from latte.nn.functional.pooling import adaptive_avg_pool1d, adaptive_avg_pool2d
from latte.nn.functional.volumetric import adaptive_avg_pool3d
from latte.ops.sampling import TakeSorted
from latte.tensor import Tensor

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear"]

_LINEAR = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_CUBIC_A = -0.75  # the cubic convolution's parameter in PyTorch (and OpenCV)


def _output_sizes(x: Tensor, size: Any, scale_factor: Any, recompute: bool | None) -> tuple:
    """Output sizes and the scales the kernels use (None: derive from the sizes)."""
    dims = x.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    if size is not None:
        sizes = [size] * dims if isinstance(size, int) else list(size)
        if len(sizes) != dims:
            raise ValueError(f"Input and output must have the same number of spatial "
                             f"dimensions, but got input with spatial dimensions of "
                             f"{list(x.shape[2:])} and output size of {sizes}. Please provide "
                             f"input tensor in (N, C, d1, d2, ...,dK) format and output size in "
                             f"(o1, o2, ...,oK) format.")
        return tuple(int(s) for s in sizes), (None,) * dims
    scales = [scale_factor] * dims if isinstance(scale_factor, (int, float)) \
        else list(scale_factor)
    if len(scales) != dims:
        raise ValueError(f"Input and scale_factor must have the same number of spatial "
                         f"dimensions, but got input with spatial dimensions of "
                         f"{list(x.shape[2:])} and scale_factor of shape {scales}.")
    sizes = tuple(math.floor(float(x.shape[2 + d]) * scales[d]) for d in range(dims))
    return sizes, (None,) * dims if recompute else tuple(float(s) for s in scales)


def _scale(xp: Any, dtype: Any, size: int, out: int, scale: float | None) -> Any:
    """Source step per output step, as PyTorch computes it (``1/scale`` or ``in/out``)."""
    return dtype.type(1.0 / scale) if scale is not None and scale > 0 else \
        dtype.type(size) / dtype.type(out)


def _nearest_index(xp: Any, size: int, out: int, scale: float | None, exact: bool) -> Any:
    if not exact and out == size:
        return xp.arange(out)
    if not exact and out == 2 * size:
        return xp.arange(out) >> 1
    f32 = xp.dtype(xp.float32)  # PyTorch computes nearest indices in float32 for every dtype
    dst = xp.arange(out, dtype=f32)
    if exact:
        dst = dst + f32.type(0.5)
    src = xp.floor(dst * _scale(xp, f32, size, out, scale)).astype(xp.int64)
    return xp.minimum(src, size - 1)


def _source_points(xp: Any, dtype: Any, size: int, out: int, scale: float | None,
                   align_corners: bool) -> Any:
    """Where each output point falls in the input, PyTorch's ``area_pixel_compute_source_index``
    (before linear modes clamp it at 0): corners aligned, or pixel centres."""
    dst = xp.arange(out, dtype=dtype)
    if align_corners:
        step = dtype.type(size - 1) / dtype.type(out - 1) if out > 1 else dtype.type(0)
        return dst * step
    return (dst + dtype.type(0.5)) * _scale(xp, dtype, size, out, scale) - dtype.type(0.5)


def _linear_weights(xp: Any, dtype: Any, size: int, out: int, scale: float | None,
                    align_corners: bool) -> tuple:
    """Indices ``i0, i1`` and weights ``l0, l1`` with ``out[k] = l0 * x[i0] + l1 * x[i1]``."""
    src = xp.maximum(_source_points(xp, dtype, size, out, scale, align_corners), dtype.type(0))
    i0 = src.astype(xp.int64)
    i1 = i0 + (i0 < size - 1)
    l1 = xp.clip(src - i0, 0, 1).astype(dtype)
    return i0, i1, (dtype.type(1) - l1).astype(dtype), l1


def _cubic_weights(xp: Any, dtype: Any, size: int, out: int, scale: float | None,
                   align_corners: bool) -> list:
    """``[(index, weight), ...]`` for the four taps of each output along one dim:
    ``out[k] = sum_j w_j[k] * x[i_j[k]]``, Keys' cubic convolution around the source point
    (not clamped at the border, unlike linear's), the taps clamped into the input."""
    src = _source_points(xp, dtype, size, out, scale, align_corners)
    floor = xp.floor(src)
    t = (src - floor).astype(dtype)
    a = dtype.type(_CUBIC_A)

    def near(d: Any) -> Any:  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: Any) -> Any:  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    one = dtype.type(1)
    weights = (far(t + one), near(t), near(one - t), far(dtype.type(2) - t))
    start = floor.astype(xp.int64) - 1
    return [(xp.clip(start + j, 0, size - 1), w.astype(dtype)) for j, w in enumerate(weights)]


def _antialias_matrix(xp: Any, dtype: Any, size: int, out: int, scale: float | None,
                      align_corners: bool, cubic: bool) -> Any:
    """``(out, size)`` matrix of PyTorch's ``antialias=True`` resize along one dim: the filter
    (triangle, or cubic with ``a = -0.5`` as pillow's) widened by the scale when downsampling,
    clipped to the input and normalised per output (``_upsample_*2d_aa``)."""
    if align_corners:
        step = (size - 1) / (out - 1) if out > 1 else 0.0
    else:
        step = 1.0 / scale if scale is not None and scale > 0 else size / out
    half = 2.0 if cubic else 1.0  # half the filter's support at scale 1
    support = half * step if step >= 1.0 else half
    inv = 1.0 / step if step >= 1.0 else 1.0
    center = step * (xp.arange(out, dtype=xp.float64) + 0.5)
    lo = xp.maximum(xp.trunc(center - support + 0.5), 0)
    hi = xp.minimum(xp.trunc(center + support + 0.5), size)
    cols = xp.arange(size, dtype=xp.float64)[None, :]
    x = xp.abs((cols - center[:, None] + 0.5) * inv)
    if cubic:
        a = -0.5
        w = xp.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                     xp.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))
    else:
        w = xp.clip(1.0 - x, 0.0, None)
    w = w * ((cols >= lo[:, None]) & (cols < hi[:, None]))
    total = w.sum(axis=1, keepdims=True)
    return (w / xp.where(total == 0, 1.0, total)).astype(dtype)


@on_input_device
def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Resize (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size`` or by ``scale_factor``.

    As PyTorch: ``'nearest'`` takes ``floor(dst * in / out)``; ``'linear'``, ``'bilinear'`` and
    ``'trilinear'`` interpolate between the two nearest source pixels of each dim, with pixel
    centres aligned (``align_corners=False``, the default) or the corner pixels aligned
    (``True``); ``'bicubic'`` weighs the four nearest with Keys' cubic (``a = -0.75``), so it
    may overshoot the input's range; ``'area'`` is adaptive average pooling. ``antialias=True``
    (bilinear and bicubic, 4-D input) widens the filter by the scale when downsampling, as
    PyTorch's (and pillow's) antialiased resize.

    Example::

        >>> F.interpolate(latte.randn(1, 3, 8, 8), scale_factor=2, mode='bilinear').shape
        latte.Size([1, 3, 16, 16])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; Latte has "
                                  f"{', '.join(_MODES)}")
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: expected a 3D (N, C, L), 4D (N, C, H, W) or 5D "
                                  f"(N, C, D, H, W) input, got input of size "
                                  f"{_sizes(input.shape)}")
    if mode in _LINEAR and input.ndim != _LINEAR[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode]}D input")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if antialias and (mode not in ("bilinear", "bicubic") or input.ndim != 4):
        raise NotImplementedError(f"Anti-alias option is restricted to bilinear and bicubic "
                                  f"modes and requires a 4-D tensor as input, got {mode} and "
                                  f"{input.ndim}-D input")
    sizes, scales = _output_sizes(input, size, scale_factor, recompute_scale_factor)
    if min(sizes) <= 0:
        raise ValueError(f"interpolate: output size must be positive, got {sizes}")
    if mode == "area":
        area = {3: adaptive_avg_pool1d, 4: adaptive_avg_pool2d, 5: adaptive_avg_pool3d}
        return area[input.ndim](input, sizes)
    xp = input._xp()
    dtype = xp.dtype(input._data.dtype)
    out = input
    for d, (n_out, scale) in enumerate(zip(sizes, scales)):
        axis, n_in = 2 + d, input.shape[2 + d]
        shape = (-1,) + (1,) * (input.ndim - 1 - axis)
        if antialias:  # one (out, in) matrix per dim: H rows are W @ x, W columns x @ W.T
            weights = Tensor(_antialias_matrix(xp, dtype, n_in, n_out, scale,
                                               bool(align_corners), mode == "bicubic"))
            out = weights @ out if axis == 2 else out @ weights.transpose(0, 1)
        elif mode == "bicubic":
            taps = _cubic_weights(xp, dtype, n_in, n_out, scale, bool(align_corners))
            terms = [TakeSorted.apply(out, axis, i) * Tensor(w.reshape(shape)) for i, w in taps]
            out = terms[0] + terms[1] + terms[2] + terms[3]
        elif mode in _LINEAR:
            i0, i1, l0, l1 = _linear_weights(xp, dtype, n_in, n_out, scale, bool(align_corners))
            out = (TakeSorted.apply(out, axis, i0) * Tensor(l0.reshape(shape))
                   + TakeSorted.apply(out, axis, i1) * Tensor(l1.reshape(shape)))
        elif n_out != n_in or mode == "nearest-exact":
            out = TakeSorted.apply(out, axis, _nearest_index(xp, n_in, n_out, scale,
                                                             mode == "nearest-exact"))
    return out.clone() if out is input else out


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """Deprecated PyTorch name of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """``interpolate(..., mode='bilinear', align_corners=True)``, as PyTorch's."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
