"""``latte.vision.io``: reading, writing, decoding and encoding images, as ``torchvision.io``.

Images are ``(C, H, W)`` uint8 tensors; encoded files are 1-D uint8 tensors of their bytes.
Decoding and encoding go through Pillow (an optional extra: ``pip install pillow``), imported
on first use so that ``import latte.vision`` stays fast.

Example::

    >>> img = read_image("digit.png", ImageReadMode.RGB)     # (3, H, W) uint8  # doctest: +SKIP
    >>> write_jpeg(img, "digit.jpg", quality=90)  # doctest: +SKIP
"""
from __future__ import annotations

import enum
import io
import os
from typing import Any

import numpy as np

from latte.tensor import Tensor

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "read_image",
           "decode_png", "encode_png", "write_png", "decode_jpeg", "encode_jpeg", "write_jpeg"]


class ImageReadMode(enum.Enum):
    """The channels a decoder returns: as stored, or converted (strings such as ``"RGB"`` work
    too)."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = RGB_ALPHA  # an alias, as torchvision's


# Pillow's mode for each conversion
_PIL_MODES = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
              ImageReadMode.RGB_ALPHA: "RGBA"}


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError("latte.vision.io needs Pillow to decode and encode images: "
                           "pip install pillow") from None
    return Image


def _mode(mode: ImageReadMode | str) -> ImageReadMode:
    if isinstance(mode, ImageReadMode):
        return mode
    try:
        return ImageReadMode[str(mode).upper()]
    except KeyError:
        raise ValueError(f"unknown image read mode {mode!r}: use one of "
                         f"{[m.name for m in ImageReadMode]}") from None


def _bytes_of(data: Tensor, what: str) -> bytes:
    if not isinstance(data, Tensor) or data.ndim != 1 or data.dtype.name != "uint8":
        shape = tuple(data.shape) if isinstance(data, Tensor) else type(data).__name__
        raise RuntimeError(f"{what} expects a 1-D uint8 tensor of encoded bytes, got {shape}"
                           + (f" of dtype {data.dtype}" if isinstance(data, Tensor) else ""))
    return np.ascontiguousarray(data.numpy()).tobytes()


def _image_array(image: Tensor, what: str) -> np.ndarray:
    """``(C, H, W)`` uint8 tensor -> ``(H, W)`` or ``(H, W, C)`` array for Pillow."""
    if not isinstance(image, Tensor) or image.ndim != 3 or image.dtype.name != "uint8":
        got = (f"shape {tuple(image.shape)} and dtype {image.dtype}" if isinstance(image, Tensor)
               else type(image).__name__)
        raise RuntimeError(f"{what} expects a (C, H, W) uint8 tensor, got {got}")
    channels = image.shape[0]
    if channels not in (1, 2, 3, 4):
        raise RuntimeError(f"{what}: the image must have 1, 2, 3 or 4 channels, got {channels}")
    hwc = image.detach().numpy().transpose(1, 2, 0)
    return np.ascontiguousarray(hwc[:, :, 0] if channels == 1 else hwc)


# --- files ------------------------------------------------------------------------------------
def read_file(path: str | os.PathLike) -> Tensor:
    """The bytes of the file at ``path`` as a 1-D uint8 tensor."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as error:
        raise RuntimeError(f"[Errno {error.errno}] {error.strerror}: '{os.fspath(path)}'") from None
    return Tensor(np.frombuffer(raw, dtype=np.uint8).copy())


def write_file(filename: str | os.PathLike, data: Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to ``filename``."""
    raw = _bytes_of(data, "write_file")
    with open(filename, "wb") as f:
        f.write(raw)


# --- decoding ---------------------------------------------------------------------------------
def decode_image(input: Tensor | str | os.PathLike,
                 mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> Tensor:
    """Decode a PNG, JPEG, GIF, BMP or WebP image (bytes tensor, or a path) to ``(C, H, W)``
    uint8."""
    mode = _mode(mode)
    if not isinstance(input, Tensor):
        input = read_file(input)
    return _decode(_bytes_of(input, "decode_image"), mode, apply_exif_orientation, None)


def read_image(path: str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """Read the image file at ``path`` as a ``(C, H, W)`` uint8 tensor."""
    return decode_image(path, mode, apply_exif_orientation)


def decode_png(input: Tensor, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """Decode PNG bytes to a ``(C, H, W)`` uint8 tensor."""
    return _decode(_bytes_of(input, "decode_png"), _mode(mode), apply_exif_orientation, "PNG")


def decode_jpeg(input: Tensor | list, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
                device: Any = "cpu", apply_exif_orientation: bool = False) -> Any:
    """Decode JPEG bytes (or a list of them) to ``(C, H, W)`` uint8 tensors, on ``device``."""
    if isinstance(input, (list, tuple)):
        return [decode_jpeg(one, mode, device, apply_exif_orientation) for one in input]
    image = _decode(_bytes_of(input, "decode_jpeg"), _mode(mode), apply_exif_orientation, "JPEG")
    return image if str(device) == "cpu" else image.to(device)


def _decode(raw: bytes, mode: ImageReadMode, exif: bool, expected: str | None) -> Tensor:
    Image = _pil()
    try:
        img = Image.open(io.BytesIO(raw))
        img.load()
    except Exception:
        kind = expected.lower() if expected else "image"
        raise RuntimeError(f"Content is not a readable {kind} ({len(raw)} bytes): unsupported or "
                           f"corrupt image data") from None
    if expected is not None and img.format != expected:
        raise RuntimeError(f"Content is not {expected.lower()}: it decodes as {img.format}")
    if exif:
        from PIL import ImageOps
        img = ImageOps.exif_transpose(img)
    if mode is not ImageReadMode.UNCHANGED:
        img = img.convert(_PIL_MODES[mode])
    elif img.mode not in ("L", "LA", "RGB", "RGBA"):
        # palette, 1-bit, CMYK...: torchvision gives the decoded colours
        img = img.convert("RGBA" if "transparency" in img.info or img.mode.endswith("A")
                          else "RGB")
    arr = np.asarray(img)
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return Tensor(np.ascontiguousarray(chw, dtype=np.uint8))


# --- encoding ---------------------------------------------------------------------------------
def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    """``(C, H, W)`` uint8 -> PNG bytes (``compression_level`` 0-9)."""
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    return _encode(_image_array(input, "encode_png"), "PNG", compress_level=compression_level)


def write_png(input: Tensor, filename: str | os.PathLike, compression_level: int = 6) -> None:
    """Encode ``input`` as PNG and write it to ``filename``."""
    write_file(filename, encode_png(input, compression_level))


def encode_jpeg(input: Tensor | list, quality: int = 75) -> Any:
    """``(C, H, W)`` uint8 with 1 or 3 channels (or a list of them) -> JPEG bytes; ``quality``
    1-100."""
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, "
                         f"got {quality}")
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(one, quality) for one in input]
    array = _image_array(input, "encode_jpeg")
    if input.shape[0] not in (1, 3):
        raise RuntimeError(f"encode_jpeg: the image must have 1 or 3 channels, got "
                           f"{input.shape[0]}")
    return _encode(array, "JPEG", quality=quality)


def write_jpeg(input: Tensor, filename: str | os.PathLike, quality: int = 75) -> None:
    """Encode ``input`` as JPEG and write it to ``filename``."""
    write_file(filename, encode_jpeg(input, quality))


def _encode(array: np.ndarray, fmt: str, **options: Any) -> Tensor:
    buffer = io.BytesIO()
    _pil().fromarray(array).save(buffer, format=fmt, **options)
    return Tensor(np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy())
