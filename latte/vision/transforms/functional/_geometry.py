"""Geometric image operations: resize, crop, pad, flips and affine warps (rotate).

Geometry is vectorised: every output pixel's centre is mapped back through the inverse affine
matrix and sampled from the input with nearest or bilinear weights in one gather; resizing is
two small matrix products (one per axis) with antialiasing filters, as pillow computes them.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from latte.vision.transforms.functional._image import (
    InterpolationMode,
    _cast_like,
    _float,
    _interp,
    _is_pil,
    _pil,
    _unwrap,
    _wrap,
    get_dimensions,
)

__all__ = ["resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip", "affine",
           "rotate"]


def _filter_weights(in_size: int, out_size: int, mode: InterpolationMode,
                    antialias: bool) -> np.ndarray:
    """``(out_size, in_size)`` bilinear or bicubic interpolation matrix over pixel centres.

    With ``antialias`` the filter is pillow's (bicubic ``a = -0.5``), widened by the scale when
    downscaling, as torchvision's ``antialias=True``; otherwise the taps are those of
    ``interpolate(align_corners=False)``: two for bilinear, four for bicubic (``a = -0.75``),
    clamped to the border.
    """
    scale = in_size / out_size
    rows = np.arange(out_size)
    centers = (rows + 0.5) * scale
    if mode is InterpolationMode.BILINEAR and not (antialias and scale > 1.0):
        src = np.clip(centers - 0.5, 0, in_size - 1)
        lo = np.floor(src).astype(np.intp)
        frac = src - lo
        weights = np.zeros((out_size, in_size))
        np.add.at(weights, (rows, lo), 1.0 - frac)
        np.add.at(weights, (rows, np.minimum(lo + 1, in_size - 1)), frac)
        return weights
    if mode is InterpolationMode.BICUBIC and not antialias:
        src = centers - 0.5
        lo = np.floor(src).astype(np.intp)
        weights = np.zeros((out_size, in_size))
        for k in (-1, 0, 1, 2):
            taps = _cubic(np.abs(src - (lo + k)), -0.75)
            np.add.at(weights, (rows, np.clip(lo + k, 0, in_size - 1)), taps)
        return weights
    support_scale = max(scale, 1.0) if antialias else 1.0
    x = np.abs(np.arange(in_size)[None, :] + 0.5 - centers[:, None]) / support_scale
    if mode is InterpolationMode.BILINEAR:
        weights = np.clip(1.0 - x, 0.0, None)
    else:
        weights = _cubic(x, -0.5)
    return weights / weights.sum(axis=1, keepdims=True)


def _cubic(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel at distances ``x >= 0``."""
    return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def _output_size(h: int, w: int, size: Any, max_size: int | None) -> tuple[int, int]:
    if isinstance(size, numbers.Number) or (isinstance(size, Sequence) and len(size) == 1):
        requested = int(size if isinstance(size, numbers.Number) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge, {requested}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    if max_size is not None:
        raise ValueError("max_size is only supported when size is one int")
    oh, ow = (int(s) for s in size)
    return oh, ow


def resize(img: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR,
           max_size: int | None = None, antialias: bool = True) -> Any:
    """Resize to ``(h, w)``, or so the shorter side is ``size`` when it is one int.

    Example::

        >>> resize(latte.rand(3, 40, 80), 20).shape    # (3, 20, 40)  # doctest: +SKIP
    """
    mode = _interp(interpolation)
    _, h, w = get_dimensions(img)
    oh, ow = _output_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    if _is_pil(img):
        Image = _pil()
        resample = {InterpolationMode.NEAREST: Image.NEAREST,
                    InterpolationMode.BILINEAR: Image.BILINEAR,
                    InterpolationMode.BICUBIC: Image.BICUBIC}[mode]
        return img.resize((ow, oh), resample)
    arr, kind = _unwrap(img)
    if mode is InterpolationMode.NEAREST:
        rows = np.minimum(np.floor(np.arange(oh) * h / oh).astype(np.intp), h - 1)
        cols = np.minimum(np.floor(np.arange(ow) * w / ow).astype(np.intp), w - 1)
        return _wrap(arr[..., rows[:, None], cols[None, :]], kind)
    wh = _filter_weights(h, oh, mode, antialias).astype(np.float32)
    ww = _filter_weights(w, ow, mode, antialias).astype(np.float32)
    out = np.matmul(np.matmul(wh, _float(arr)), ww.T)
    return _wrap(_cast_like(out, arr.dtype), kind)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height x width`` region at ``(top, left)``; outside the image is filled with 0."""
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    arr, kind = _unwrap(img)
    h, w = arr.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return _wrap(arr[..., top:top + height, left:left + width], kind)
    pads = [max(-top, 0), max(top + height - h, 0), max(-left, 0), max(left + width - w, 0)]
    inner = arr[..., max(top, 0):min(top + height, h), max(left, 0):min(left + width, w)]
    widths = [(0, 0)] * (arr.ndim - 2) + [(pads[0], pads[1]), (pads[2], pads[3])]
    return _wrap(np.pad(inner, widths), kind)


def center_crop(img: Any, output_size: Any) -> Any:
    """The centred ``output_size`` region (``int`` for a square); zero-padded if larger."""
    th, tw = _pair(output_size)
    _, h, w = get_dimensions(img)
    if th > h or tw > w:  # pad first, the extra pixel of an odd difference going bottom/right
        img = pad(img, [max(tw - w, 0) // 2, max(th - h, 0) // 2, max(tw - w + 1, 0) // 2,
                        max(th - h + 1, 0) // 2])
        _, h, w = get_dimensions(img)
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR, antialias: bool = True) -> Any:
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def _pair(size: Any) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    return int(size[0]), int(size[1])


def _padding4(padding: Any) -> tuple[int, int, int, int]:
    """torchvision's padding spec -> ``(left, top, right, bottom)``."""
    if isinstance(padding, numbers.Number):
        p = int(padding)
        return p, p, p, p
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding[0], padding[0], padding[0], padding[0]
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return padding[0], padding[1], padding[2], padding[3]
    raise ValueError(f"padding must be an int or a sequence of 1, 2 or 4 ints, got {padding}")


_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
              "symmetric": "symmetric"}


def pad(img: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """Pad the borders: ``padding`` is an int, ``(lr, tb)`` or ``(left, top, right, bottom)``.

    ``padding_mode``: ``constant`` (with ``fill``), ``edge``, ``reflect`` (mirror without
    repeating the edge) or ``symmetric`` (mirror repeating it).
    """
    if padding_mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {sorted(_PAD_MODES)}, got {padding_mode!r}")
    left, top, right, bottom = _padding4(padding)
    arr, kind = _unwrap(img)
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if padding_mode != "constant":
        return _wrap(np.pad(arr, widths, mode=padding_mode), kind)
    fill_a = _fill_array(fill, arr)
    if fill_a.size == 1:
        return _wrap(np.pad(arr, widths, constant_values=fill_a.item()), kind)
    out = np.empty(arr.shape[:-2] + (arr.shape[-2] + top + bottom, arr.shape[-1] + left + right),
                   dtype=arr.dtype)
    out[...] = fill_a
    out[..., top:top + arr.shape[-2], left:left + arr.shape[-1]] = arr
    return _wrap(out, kind)


def _fill_array(fill: Any, arr: np.ndarray) -> np.ndarray:
    """``fill`` as an array broadcastable to ``(C, H, W)``: one value, or one per channel."""
    if fill is None:
        fill = 0
    values = np.asarray(fill, dtype=np.float64).reshape(-1)
    channels = arr.shape[-3] if arr.ndim >= 3 else 1
    if values.size not in (1, channels):
        raise ValueError(f"fill needs 1 or {channels} values (one per channel), got {values.size}")
    return values.reshape(-1, 1, 1) if values.size > 1 else values.reshape(())


def hflip(img: Any) -> Any:
    """Mirror left-right."""
    arr, kind = _unwrap(img)
    return _wrap(arr[..., ::-1], kind)


def vflip(img: Any) -> Any:
    """Mirror top-bottom."""
    arr, kind = _unwrap(img)
    return _wrap(arr[..., ::-1, :], kind)


# --- affine warps -------------------------------------------------------------------------
def _inverse_affine_matrix(center: Sequence[float], angle: float, translate: Sequence[float],
                           scale: float, shear: Sequence[float]) -> list[float]:
    """torchvision's inverse of ``T * C * R * S * Sh * C^-1`` as a flat 2x3 matrix.

    ``angle`` turns clockwise in image coordinates (y down); ``center`` and ``translate`` are in
    pixels, relative to the image centre.
    """
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty) + cx
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty) + cy
    return matrix


def _warp(arr: np.ndarray, matrix: Sequence[float], out_h: int, out_w: int,
          mode: InterpolationMode, fill: Any) -> np.ndarray:
    """Sample ``arr`` at ``matrix @ (x, y, 1)`` for every output pixel centre, in one gather.

    Coordinates are relative to the image centres; points outside the input get ``fill``
    (blended at the border for bilinear, as torchvision's mask does).
    """
    h, w = arr.shape[-2:]
    xs = np.arange(out_w, dtype=np.float64) + 0.5 - out_w * 0.5
    ys = np.arange(out_h, dtype=np.float64) + 0.5 - out_h * 0.5
    a, b, c, d, e, f = matrix
    px = (a * xs[None, :] + b * ys[:, None] + c) + w * 0.5 - 0.5  # input pixel coordinates
    py = (d * xs[None, :] + e * ys[:, None] + f) + h * 0.5 - 0.5
    src = _float(arr)
    flat = src.reshape(arr.shape[:-2] + (h * w,))
    if mode is InterpolationMode.NEAREST:
        taps_x = [_taps(np.rint(px), 1.0, w)]
        taps_y = [_taps(np.rint(py), 1.0, h)]
    else:
        x0, y0 = np.floor(px), np.floor(py)
        fx, fy = px - x0, py - y0
        taps_x = [_taps(x0, 1.0 - fx, w), _taps(x0 + 1, fx, w)]
        taps_y = [_taps(y0, 1.0 - fy, h), _taps(y0 + 1, fy, h)]
    out = np.zeros(arr.shape[:-2] + (out_h, out_w), dtype=src.dtype)
    for row, wy in taps_y:
        for col, wx in taps_x:
            out += np.take(flat, row * w + col, axis=-1) * (wy * wx).astype(src.dtype)
    fill_a = _fill_array(fill, arr)
    if np.any(fill_a != 0):
        mask = sum(wy for _, wy in taps_y) * sum(wx for _, wx in taps_x)
        out += (1.0 - mask).astype(src.dtype) * fill_a.astype(src.dtype)
    return _cast_like(out, arr.dtype)


def _taps(pos: np.ndarray, weight: Any, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Clamped integer positions along one axis and their weights, zero outside the image."""
    inside = (pos >= 0) & (pos <= size - 1)
    return np.clip(pos, 0, size - 1).astype(np.intp), np.where(inside, weight, 0.0)


def _center_offset(center: Sequence[float] | None, h: int, w: int) -> list[float]:
    if center is None:
        return [0.0, 0.0]
    return [float(center[0]) - w * 0.5, float(center[1]) - h * 0.5]


def affine(img: Any, angle: float, translate: Sequence[float], scale: float, shear: Any,
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: Sequence[float] | None = None) -> Any:
    """Rotate (``angle`` degrees, clockwise as torchvision's ``affine``), translate, scale and
    shear around ``center`` (default the image centre), keeping the size.

    Example::

        >>> # 2 px right
        >>> affine(img, angle=0.0, translate=[2, 0], scale=1.0, shear=[0.0, 0.0])  # doctest: +SKIP
    """
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    shear = list(shear) + [0.0] * (2 - len(shear))
    arr, kind = _unwrap(img)
    h, w = arr.shape[-2:]
    matrix = _inverse_affine_matrix(_center_offset(center, h, w), float(angle),
                                    [float(t) for t in translate], float(scale), shear)
    return _wrap(_warp(arr, matrix, h, w, _interp(interpolation), fill), kind)


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST,
           expand: bool = False, center: Sequence[float] | None = None,
           fill: Any = None) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise around ``center`` (default the centre).

    ``expand=True`` grows the output to hold the whole rotated image. Example::

        >>> # [[1, 3], [0, 2]]: np.rot90
        >>> rotate(latte.arange(4.).reshape(1, 2, 2), 90)  # doctest: +SKIP
    """
    arr, kind = _unwrap(img)
    h, w = arr.shape[-2:]
    matrix = _inverse_affine_matrix(_center_offset(center, h, w), -float(angle), [0.0, 0.0],
                                    1.0, [0.0, 0.0])
    out_h, out_w = h, w
    if expand:
        corners = np.array([[-0.5 * w, -0.5 * h], [-0.5 * w, 0.5 * h], [0.5 * w, 0.5 * h],
                            [0.5 * w, -0.5 * h]])
        m = np.array(matrix).reshape(2, 3)
        pts = corners @ m[:, :2].T + m[:, 2]
        tol = 1e-4  # so 90 degrees of a w x h image gives exactly h x w, not one pixel more
        extent = np.ceil(np.trunc((pts.max(axis=0) - pts.min(axis=0)) / tol) * tol)
        out_w, out_h = (int(v) for v in extent)
    return _wrap(_warp(arr, matrix, out_h, out_w, _interp(interpolation), fill), kind)
