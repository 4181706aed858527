"""``make_grid`` and ``save_image``: look at a batch of images, as ``torchvision.utils``."""
from __future__ import annotations

import math
import os
import struct
import zlib
from typing import IO, Any

import numpy as np

from latte.tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor: Any, normalize: bool) -> np.ndarray:
    """A ``(B, C, H, W)`` array from a tensor/array ``(B, C, H, W)``, ``(C, H, W)``, ``(H, W)``
    or a list of same-shape tensors, read as torchvision does: a 3-D input is one image."""
    if isinstance(tensor, (list, tuple)):
        arrays = [np.asarray(getattr(t, "_data", t)) for t in tensor]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"make_grid needs images of one shape, got {sorted(shapes)}")
        arr = np.stack(arrays)
    else:
        arr = np.array(getattr(tensor, "_data", tensor))  # a copy: the grid never aliases it
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid expects (B, C, H, W), (C, H, W) or (H, W), got {arr.shape}")
    if normalize and arr.dtype.kind != "f":
        arr = arr.astype(np.float32)
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)  # grey images become RGB, as torchvision
    return arr


def _rescale(arr: np.ndarray, value_range: tuple[float, float] | None) -> np.ndarray:
    low, high = value_range if value_range is not None else (float(arr.min()), float(arr.max()))
    np.clip(arr, low, high, out=arr)
    arr -= low
    arr /= max(high - low, 1e-5)
    return arr


def make_grid(tensor: Any, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch ``(B, C, H, W)`` into one image ``(C, H', W')`` with ``nrow`` per row.

    ``normalize`` rescales to ``[0, 1]`` using ``value_range`` (default the min and max, of
    each image when ``scale_each``). One-channel images are repeated to three; a 3-D input is
    one ``(C, H, W)`` image, returned as is. The grid keeps the input's dtype. Example::

        >>> make_grid(latte.rand(16, 1, 28, 28), nrow=4).shape    # (3, 122, 122)  # doctest: +SKIP
    """
    arr = _as_batch(tensor, normalize)
    if normalize:
        if scale_each:
            for img in arr:
                _rescale(img, value_range)
        else:
            _rescale(arr, value_range)
    if arr.shape[0] == 1:
        return Tensor(arr[0])
    n, c, h, w = arr.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(n / xmaps))
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((c, cell_h * ymaps + padding, cell_w * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(n):
        y, x = divmod(k, xmaps)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + h, left:left + w] = arr[k]
    return Tensor(grid)


def _png_bytes(hwc: np.ndarray) -> bytes:
    """A minimal PNG (8-bit grey, RGB or RGBA, no filtering) for when pillow is missing."""
    h, w, c = hwc.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    raw = np.concatenate([np.zeros((h, 1), np.uint8), hwc.reshape(h, w * c)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)) + chunk(b"IEND", b""))


def save_image(tensor: Any, fp: str | os.PathLike | IO[bytes], format: str | None = None,
               **kwargs: Any) -> None:
    """Save a batch (tiled with ``make_grid(**kwargs)``) or one ``(C, H, W)`` image in [0, 1].

    Writes PNG with pillow when installed (any format pillow knows), else with a built-in
    PNG encoder. Example::

        >>> save_image(batch[:64], "samples.png", nrow=8, normalize=True)  # doctest: +SKIP
    """
    grid = make_grid(tensor, **kwargs)._data
    hwc = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        image = Image.fromarray(np.ascontiguousarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc))
        image.save(fp, format=format)
        return
    if format is not None and format.upper() != "PNG":
        raise ValueError(f"without pillow only PNG can be written, got format={format!r}")
    data = _png_bytes(np.ascontiguousarray(hwc))
    if hasattr(fp, "write"):
        fp.write(data)
    else:
        with open(fp, "wb") as f:
            f.write(data)


