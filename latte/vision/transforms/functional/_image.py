"""What the image functions accept: PIL images, latte Tensors and NumPy arrays, unwrapped to
one ``(..., C, H, W)`` array and wrapped back to the caller's kind; dtype helpers; sizes."""
from __future__ import annotations

import sys
from enum import Enum
from typing import Any

import numpy as np

from latte.tensor import Tensor

__all__ = ["InterpolationMode", "get_dimensions", "get_image_size", "get_image_num_channels"]


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
