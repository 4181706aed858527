"""Photometric image operations: grayscale, brightness, contrast, saturation, hue and
Gaussian blur."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from latte.vision.transforms.functional._image import _bound, _cast_like, _float, _unwrap, _wrap

__all__ = ["rgb_to_grayscale", "to_grayscale", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "gaussian_blur"]


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
