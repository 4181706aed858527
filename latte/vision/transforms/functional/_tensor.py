"""Tensor images: conversion from and to PIL images and arrays, dtype conversion with
rescaling, per-channel normalisation and erasing."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from latte import dtypes
from latte.tensor import Tensor
from latte.vision.transforms.functional._image import _is_pil, _pil, _unwrap, _wrap

__all__ = ["to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
           "erase"]


def to_tensor(pic: Any) -> Tensor:
    """PIL image or ``(H, W[, C])`` array -> ``(C, H, W)`` tensor; uint8 becomes float32 / 255.

    Other dtypes keep their values (as torchvision). Example::

        >>> # (3, 2, 2), all 1.0
        >>> to_tensor(np.full((2, 2, 3), 255, np.uint8)).shape  # doctest: +SKIP
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
