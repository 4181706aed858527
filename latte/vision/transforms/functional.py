"""Image operations behind ``latte.vision.transforms``, as ``torchvision.transforms.functional``.

Every function accepts a PIL image, a latte ``Tensor`` or a NumPy array and returns the same
kind. Tensors and arrays are ``(..., C, H, W)``, either uint8 in ``[0, 255]`` or floating in
``[0, 1]``. PIL images go through the same array code (so both agree exactly), except
``resize`` which uses pillow's own resampling, as torchvision does.

Geometry is vectorised: every output pixel's centre is mapped back through the inverse affine
matrix and sampled from the input with nearest or bilinear weights in one gather; resizing is
two small matrix products (one per axis) with antialiasing filters, as pillow computes them.
"""
from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np

from latte import dtypes
from latte.tensor import Tensor

__all__ = [
    "InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels",
    "to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize", "resize",
    "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip", "affine", "rotate",
    "adjust_brightness", "adjust_contrast", "adjust_saturation", "adjust_hue",
    "rgb_to_grayscale", "to_grayscale", "gaussian_blur", "erase",
]


class InterpolationMode(Enum):
    """How pixels between samples are filled in, as ``torchvision.transforms.InterpolationMode``."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _interp(mode: Any) -> InterpolationMode:
    if isinstance(mode, InterpolationMode):
        return mode
    if isinstance(mode, str):
        return InterpolationMode(mode.lower())
    raise TypeError(f"interpolation must be an InterpolationMode or a string, got {mode!r}")


# --- PIL / Tensor / array plumbing --------------------------------------------------------
def _is_pil(img: Any) -> bool:
    # pillow is optional: an object can only be a PIL image if pillow was already imported
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(img, module.Image)


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("this needs pillow: pip install pillow") from None
    return Image


def _unwrap(img: Any) -> tuple[np.ndarray, Any]:
    """``(array (..., C, H, W), kind)``; ``kind`` rebuilds the caller's type in ``_wrap``."""
    if isinstance(img, Tensor):
        arr = img._data
        kind = "tensor"
    elif isinstance(img, np.ndarray):
        arr, kind = img, "array"
    elif _is_pil(img):
        arr = np.asarray(img)
        arr = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
        kind = ("pil", img.mode)
    else:
        raise TypeError(f"expected a PIL image, a Tensor or a NumPy array, got {type(img)}")
    if arr.ndim < 2:
        raise ValueError(f"expected an image of shape (..., C, H, W) or (H, W), got {arr.shape}")
    return arr, kind


def _wrap(arr: np.ndarray, kind: Any) -> Any:
    if kind == "tensor":
        return Tensor(np.ascontiguousarray(arr))
    if kind == "array":
        return arr
    mode = kind[1]
    hwc = arr[0] if arr.shape[0] == 1 else arr.transpose(1, 2, 0)
    image = _pil().fromarray(np.ascontiguousarray(hwc))
    return image if image.mode == mode else image.convert(mode)


def _bound(dtype: np.dtype) -> float:
    return float(np.iinfo(dtype).max) if dtype.kind in "ui" else 1.0


def _float(arr: np.ndarray) -> np.ndarray:
    return arr if arr.dtype.kind == "f" else arr.astype(np.float32)


def _cast_like(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Back to the input's dtype: integers are rounded and clipped, floats cast."""
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(dtype)
    if dtype.kind == "b":
        return out > 0.5
    return out.astype(dtype, copy=False)


def get_dimensions(img: Any) -> list[int]:
    """``[channels, height, width]``."""
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    arr, _ = _unwrap(img)
    channels = arr.shape[-3] if arr.ndim >= 3 else 1
    return [channels, arr.shape[-2], arr.shape[-1]]


def get_image_size(img: Any) -> list[int]:
    """``[width, height]``, torchvision's order."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img: Any) -> int:
    return get_dimensions(img)[0]


# --- conversions --------------------------------------------------------------------------
def to_tensor(pic: Any) -> Tensor:
    """PIL image or ``(H, W[, C])`` array -> ``(C, H, W)`` tensor; uint8 becomes float32 / 255.

    Other dtypes keep their values (as torchvision). Example::

        >>> to_tensor(np.full((2, 2, 3), 255, np.uint8)).shape   # (3, 2, 2), all 1.0
    """
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"to_tensor expects an (H, W) or (H, W, C) array, got {pic.shape}")
        arr = pic
    elif _is_pil(pic):
        arr = np.asarray(pic)
        if pic.mode == "1":
            arr = arr.astype(np.uint8) * 255
    else:
        raise TypeError(f"to_tensor expects a PIL image or a NumPy array, got {type(pic)}")
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    if chw.dtype == np.uint8:
        return Tensor(np.divide(chw, 255, dtype=np.float32))
    return Tensor(np.ascontiguousarray(chw))


def pil_to_tensor(pic: Any) -> Tensor:
    """PIL image -> ``(C, H, W)`` tensor with the image's own dtype (uint8), unscaled."""
    if not _is_pil(pic):
        raise TypeError(f"pil_to_tensor expects a PIL image, got {type(pic)}")
    arr = np.asarray(pic)
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return Tensor(np.ascontiguousarray(chw))


def to_pil_image(pic: Any, mode: str | None = None) -> Any:
    """``(C, H, W)`` tensor or ``(H, W[, C])`` array -> PIL image.

    Floating tensors are scaled by 255 and truncated to uint8, as torchvision does.
    """
    Image = _pil()
    if isinstance(pic, Tensor):
        arr = pic._data
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"to_pil_image expects a (C, H, W) tensor, got {arr.shape}")
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        arr = pic[..., None] if pic.ndim == 2 else pic
        if arr.ndim != 3:
            raise ValueError(f"to_pil_image expects an (H, W, C) array, got {pic.shape}")
    else:
        raise TypeError(f"to_pil_image expects a Tensor or a NumPy array, got {type(pic)}")
    if arr.dtype.kind == "f" and mode != "F":
        arr = (arr * 255).astype(np.uint8)
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
    image = Image.fromarray(np.ascontiguousarray(arr))
    return image if mode is None or image.mode == mode else image.convert(mode)


def convert_image_dtype(image: Tensor, dtype: Any = dtypes.float32) -> Tensor:
    """Convert a tensor image's dtype, rescaling (uint8 ``[0, 255]`` <-> float ``[0, 1]``)."""
    arr, kind = _unwrap(image)
    target = dtypes.to_numpy_dtype(dtype)
    if arr.dtype == target:
        return image
    if arr.dtype.kind == "f":
        if target.kind == "f":
            return _wrap(arr.astype(target), kind)
        # as torchvision: scale by max + 1 - eps so 1.0 maps to max and the bins are equal
        top = float(np.iinfo(target).max)
        return _wrap((arr * (top + 1.0 - 1e-3)).astype(target), kind)
    top = float(np.iinfo(arr.dtype).max)
    if target.kind == "f":
        return _wrap(np.divide(arr, top, dtype=target), kind)
    out_top = float(np.iinfo(target).max)
    return _wrap((arr.astype(np.float64) * (out_top + 1) / (top + 1)).astype(target), kind)


def normalize(tensor: Any, mean: Sequence[float], std: Sequence[float],
              inplace: bool = False) -> Any:
    """``(x - mean[c]) / std[c]`` per channel of a floating ``(..., C, H, W)`` tensor."""
    arr, kind = _unwrap(tensor)
    if kind not in ("tensor", "array"):
        raise TypeError("normalize expects a tensor; apply ToTensor first")
    if arr.dtype.kind != "f":
        raise TypeError(f"normalize expects a floating tensor, got {arr.dtype}")
    mean_a = np.asarray(mean, dtype=arr.dtype).reshape(-1, 1, 1)
    std_a = np.asarray(std, dtype=arr.dtype).reshape(-1, 1, 1)
    if (std_a == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {arr.dtype}, leading to "
                         "division by zero")
    return _normalize_arrays(tensor, arr, kind, mean_a, std_a, inplace)


def _normalize_arrays(tensor: Any, arr: np.ndarray, kind: Any, mean: np.ndarray,
                      std: np.ndarray, inplace: bool) -> Any:
    if inplace:
        np.subtract(arr, mean, out=arr)
        np.divide(arr, std, out=arr)
        if kind == "tensor":
            tensor._vc[0] += 1  # an in-place write, visible to autograd's version checks
        return tensor
    out = arr - mean
    np.divide(out, std, out=out)
    return _wrap(out, kind)


# --- resizing and cropping ----------------------------------------------------------------
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

        >>> resize(latte.rand(3, 40, 80), 20).shape    # (3, 20, 40)
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

        >>> affine(img, angle=0.0, translate=[2, 0], scale=1.0, shear=[0.0, 0.0])  # 2 px right
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

        >>> rotate(latte.arange(4.).reshape(1, 2, 2), 90)   # [[1, 3], [0, 2]]: np.rot90
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


# --- colour -------------------------------------------------------------------------------
def _blend(img: np.ndarray, other: Any, ratio: float) -> np.ndarray:
    bound = _bound(img.dtype)
    out = np.clip(ratio * _float(img) + (1.0 - ratio) * other, 0.0, bound)
    return _cast_like(out, img.dtype)


def _gray(arr: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma of ``(..., 3, H, W)`` -> ``(..., 1, H, W)`` float."""
    src = _float(arr)
    r, g, b = src[..., 0:1, :, :], src[..., 1:2, :, :], src[..., 2:3, :, :]
    return 0.2989 * r + 0.587 * g + 0.114 * b


def _check_channels(arr: np.ndarray, allowed: tuple[int, ...], what: str) -> int:
    channels = arr.shape[-3] if arr.ndim >= 3 else 1
    if channels not in allowed:
        raise TypeError(f"{what} expects {' or '.join(map(str, allowed))} channels, got "
                        f"{channels} (shape {arr.shape})")
    return channels


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """Luma ``0.2989 R + 0.587 G + 0.114 B``, repeated to ``num_output_channels`` (1 or 3)."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    arr, kind = _unwrap(img)
    channels = _check_channels(arr, (1, 3), "rgb_to_grayscale")
    gray = _float(arr[..., :1, :, :]) if channels == 1 else _gray(arr)
    out = _cast_like(gray, arr.dtype)
    if num_output_channels == 3:
        out = np.concatenate([out] * 3, axis=-3)
    if isinstance(kind, tuple):
        kind = ("pil", "L" if num_output_channels == 1 else "RGB")
    return _wrap(out, kind)


to_grayscale = rgb_to_grayscale


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """Multiply by ``brightness_factor`` (0 gives black, 1 the original), clipped."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    arr, kind = _unwrap(img)
    return _wrap(_blend(arr, 0.0, brightness_factor), kind)


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """Blend with the mean grey level (0 gives a uniform grey image, 1 the original)."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    arr, kind = _unwrap(img)
    channels = _check_channels(arr, (1, 3), "adjust_contrast")
    gray = _float(arr) if channels == 1 else _gray(arr)
    if arr.dtype.kind in "ui":
        gray = np.floor(gray)  # torchvision takes the mean of the integer grey image
    mean = gray.mean(axis=(-3, -2, -1), keepdims=True)
    return _wrap(_blend(arr, mean, contrast_factor), kind)


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """Blend with the grey image (0 gives grey, 1 the original, 2 doubles the saturation)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    arr, kind = _unwrap(img)
    if _check_channels(arr, (1, 3), "adjust_saturation") == 1:
        return img
    return _wrap(_blend(arr, _gray(arr), saturation_factor), kind)


def _rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    delta = maxc - minc
    safe_max = np.where(maxc == 0, 1.0, maxc)
    safe_delta = np.where(delta == 0, 1.0, delta)
    s = delta / safe_max
    rc, gc, bc = (maxc - r) / safe_delta, (maxc - g) / safe_delta, (maxc - b) / safe_delta
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(delta == 0, 0.0, (h / 6.0) % 1.0)
    return np.stack([h, s, maxc], axis=-3)


def _hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    h, s, v = hsv[..., 0, :, :], hsv[..., 1, :, :], hsv[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.intp) % 6
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    choices_r = [v, q, p, p, t, v]
    choices_g = [t, v, v, q, p, p]
    choices_b = [p, p, t, v, v, q]
    r, g, b = (np.choose(i, c) for c in (choices_r, choices_g, choices_b))
    return np.stack([r, g, b], axis=-3)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Shift the hue by ``hue_factor`` turns (in ``[-0.5, 0.5]``) through HSV space."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    arr, kind = _unwrap(img)
    if _check_channels(arr, (1, 3), "adjust_hue") == 1:
        return img
    bound = _bound(arr.dtype)
    hsv = _rgb_to_hsv(_float(arr) / bound)
    hsv[..., 0, :, :] = (hsv[..., 0, :, :] + hue_factor) % 1.0
    return _wrap(_cast_like(_hsv_to_rgb(hsv) * bound, arr.dtype), kind)


# --- filters and erasing ------------------------------------------------------------------
def _gaussian_kernel1d(size: int, sigma: float) -> np.ndarray:
    x = np.linspace(-(size - 1) * 0.5, (size - 1) * 0.5, size)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(img: Any, kernel_size: Any, sigma: Any = None) -> Any:
    """Separable Gaussian blur with reflect padding; ``kernel_size`` odd, ``(kx, ky)`` or int.

    ``sigma`` defaults to ``0.3 * ((k - 1) * 0.5 - 1) + 0.8`` per axis, as torchvision.
    """
    kx, ky = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if kx % 2 == 0 or ky % 2 == 0 or kx <= 0 or ky <= 0:
        raise ValueError(f"kernel_size should have odd and positive integers, got {kernel_size}")
    if sigma is None:
        sx, sy = (0.3 * ((k - 1) * 0.5 - 1) + 0.8 for k in (kx, ky))
    elif isinstance(sigma, numbers.Number):
        sx = sy = float(sigma)
    else:
        sx, sy = (float(sigma[0]), float(sigma[-1]))
    if sx <= 0 or sy <= 0:
        raise ValueError(f"sigma should have positive values, got {sigma}")
    arr, kind = _unwrap(img)
    src = _float(arr)
    pad_widths = [(0, 0)] * (arr.ndim - 2) + [(ky // 2, ky // 2), (kx // 2, kx // 2)]
    padded = np.pad(src, pad_widths, mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, kx, axis=-1)
    rows = windows @ _gaussian_kernel1d(kx, sx).astype(src.dtype)
    windows = np.lib.stride_tricks.sliding_window_view(rows, ky, axis=-2)
    out = windows @ _gaussian_kernel1d(ky, sy).astype(src.dtype)
    return _wrap(_cast_like(out, arr.dtype), kind)


def erase(img: Any, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Any:
    """Set the region ``[i:i+h, j:j+w]`` of a tensor image to ``v`` (a value or an array)."""
    arr, kind = _unwrap(img)
    if kind not in ("tensor", "array"):
        raise TypeError("erase expects a tensor image; apply ToTensor first")
    out = arr if inplace else arr.copy()
    out[..., i:i + h, j:j + w] = np.asarray(getattr(v, "_data", v), dtype=arr.dtype)
    if inplace:
        if kind == "tensor":
            img._vc[0] += 1
        return img
    return _wrap(out, kind)
