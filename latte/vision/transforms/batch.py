"""Augmentation of whole batches ``(N, C, H, W)``: random crop, horizontal flip and translate.

The per-image transforms (``RandomCrop``, ``RandomHorizontalFlip``) run a Python call per
image; these run one vectorised gather per batch, each image with its own random offsets, so
a CPU data pipeline keeps up with the training step. They take uint8 or floating NumPy arrays,
CuPy arrays (on the GPU, through the array module of the input) or latte Tensors, and return
the same kind. ``channels_last=True`` takes ``(N, H, W, C)`` instead.

The offsets are drawn on the host from latte's default generator (or ``generator=``), so
``latte.manual_seed`` makes an augmented run repeat exactly, on the CPU and on a GPU alike.
With given offsets, ``batch_crop`` and ``batch_hflip`` equal ``functional.crop`` of the padded
image and ``functional.hflip``, image by image.

Example::

    >>> from latte.vision import transforms as T
    >>> augment = T.Compose([T.BatchRandomCrop(32, padding=4, padding_mode="reflect"),
    ...                      T.BatchRandomHorizontalFlip(),
    ...                      T.BatchNormalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261))])
    >>> x = augment(uint8_images)            # (512, 3, 32, 32) uint8 -> float32, normalised
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from latte import backend
from latte.random import Generator, _rng
from latte.tensor import Tensor
from latte.vision.transforms.functional import _PAD_MODES, _padding4

__all__ = ["batch_crop", "batch_hflip", "batch_translate", "batch_random_crop",
           "batch_random_hflip", "batch_random_translate", "BatchRandomCrop",
           "BatchRandomHorizontalFlip", "BatchRandomTranslate", "BatchNormalize"]


def _unwrap(images: Any, name: str) -> tuple[Any, bool]:
    """``(array, was_tensor)`` for a batch of images, checked to be 4-d."""
    is_tensor = isinstance(images, Tensor)
    arr = images._data if is_tensor else images
    if not hasattr(arr, "ndim") or not hasattr(arr, "dtype"):
        raise TypeError(f"{name}: expected a Tensor or an array of images, got {type(images)}")
    if arr.ndim != 4:
        raise ValueError(f"{name}: expected a batch of shape (N, C, H, W) (or (N, H, W, C) with "
                         f"channels_last=True), got shape {tuple(arr.shape)}")
    return arr, is_tensor


def _wrap(arr: Any, is_tensor: bool) -> Any:
    return Tensor(arr) if is_tensor else arr


def _hw_axes(channels_last: bool) -> tuple[int, int]:
    return (1, 2) if channels_last else (2, 3)


def _on_host(values: Any) -> np.ndarray:
    """A Tensor, array or sequence as a host NumPy array."""
    values = getattr(values, "_data", values)
    if backend.is_device_array(values):
        values = backend.to_device(values, backend.cpu)
    return np.asarray(values)


def _host_ints(values: Any, n: int, name: str) -> np.ndarray:
    """``values`` as a host int array of shape ``(n,)`` (an int means the same for all)."""
    out = _on_host(values)
    if out.dtype.kind not in "iub":
        raise TypeError(f"{name} must hold integers, got dtype {out.dtype}")
    out = np.broadcast_to(out.astype(np.intp), (n,)) if out.ndim == 0 else out.astype(np.intp)
    if out.shape != (n,):
        raise ValueError(f"{name} needs one value per image: shape ({n},), got {out.shape}")
    return out


def _pad_batch(arr: Any, padding: tuple[int, int, int, int], fill: Any, mode: str,
               channels_last: bool) -> Any:
    """Pad the H and W axes by ``(left, top, right, bottom)``."""
    if mode not in _PAD_MODES:
        raise ValueError(f"padding_mode must be one of {sorted(_PAD_MODES)}, got {mode!r}")
    left, top, right, bottom = padding
    if min(padding) < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    if not any(padding):
        return arr
    xp = backend.get_array_module(arr)
    h_axis, w_axis = _hw_axes(channels_last)
    widths = [(0, 0)] * 4
    widths[h_axis], widths[w_axis] = (top, bottom), (left, right)
    if mode != "constant":
        return xp.pad(arr, widths, mode=mode)
    values = np.asarray(0 if fill is None else fill, dtype=np.float64).reshape(-1)
    channels = arr.shape[3 if channels_last else 1]
    if values.size not in (1, channels):
        raise ValueError(f"fill needs 1 or {channels} values (one per channel), got {values.size}")
    if values.size == 1:
        return xp.pad(arr, widths, mode="constant", constant_values=values.item())
    shape = list(arr.shape)
    shape[h_axis] += top + bottom
    shape[w_axis] += left + right
    out = xp.empty(tuple(shape), dtype=arr.dtype)
    out[...] = xp.asarray(values.reshape((1, 1, 1, -1) if channels_last else (1, -1, 1, 1))
                          .astype(arr.dtype))
    inner = [slice(None)] * 4
    inner[h_axis] = slice(top, top + arr.shape[h_axis])
    inner[w_axis] = slice(left, left + arr.shape[w_axis])
    out[tuple(inner)] = arr
    return out


def _size_pair(size: Any) -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    size = tuple(int(s) for s in size)
    if len(size) not in (1, 2):
        raise ValueError(f"size must be an int or a sequence of one or two ints, got {size}")
    return (size[0], size[0]) if len(size) == 1 else (size[0], size[1])


def _gather_windows(padded: Any, top: np.ndarray, left: np.ndarray, size: tuple[int, int],
                    channels_last: bool) -> Any:
    """Image ``i`` of the result is ``padded[i]``'s ``size`` window at ``(top[i], left[i])``.

    A strided view holds every window of every image, ``(N, rows, cols, *image)``, without a
    copy; one fancy index then copies out each image's own window."""
    xp = backend.get_array_module(padded)
    h_axis, w_axis = _hw_axes(channels_last)
    n, hp, wp = padded.shape[0], padded.shape[h_axis], padded.shape[w_axis]
    th, tw = size
    if th > hp or tw > wp:
        raise ValueError(f"crop size {size} is larger than the (padded) images ({hp}x{wp})")
    rows, cols = hp - th + 1, wp - tw + 1
    bad = (top < 0) | (top >= rows) | (left < 0) | (left >= cols)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"crop offsets out of range: image {i} at (top={top[i]}, "
                         f"left={left[i]}); a {th}x{tw} crop of {hp}x{wp} images needs top in "
                         f"[0, {rows - 1}] and left in [0, {cols - 1}]")
    window = list(padded.shape[1:])
    window[h_axis - 1], window[w_axis - 1] = th, tw
    s = padded.strides
    windows = xp.lib.stride_tricks.as_strided(
        padded, shape=(n, rows, cols, *window), strides=(s[0], s[h_axis], s[w_axis], *s[1:]))
    return windows[xp.arange(n), xp.asarray(top), xp.asarray(left)]


def batch_crop(images: Any, top: Any, left: Any, size: Any = None, padding: Any = 0,
               fill: Any = 0, padding_mode: str = "constant", *,
               channels_last: bool = False) -> Any:
    """Crop each image at its own offset, after padding the batch.

    Image ``i`` of the result equals ``functional.crop(functional.pad(images[i], padding,
    fill, padding_mode), top[i], left[i], *size)``.

    Args:
        images: ``(N, C, H, W)`` (or ``(N, H, W, C)`` with ``channels_last``), any dtype.
        top, left: ``(N,)`` integer offsets into the padded images (or one int for all).
        size: ``(height, width)`` or an int of the crops; default the images' own size.
        padding: an int, ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``.
        fill: the value of ``constant`` padding, one number or one per channel.
        padding_mode: ``constant``, ``edge``, ``reflect`` or ``symmetric`` (as ``Pad``).

    Shape:
        Input: ``(N, C, H, W)``; output ``(N, C, height, width)``.

    Example::

        >>> x = np.zeros((2, 3, 32, 32), np.uint8)
        >>> batch_crop(x, top=[0, 8], left=[4, 4], padding=4).shape
        (2, 3, 32, 32)
    """
    arr, is_tensor = _unwrap(images, "batch_crop")
    n = arr.shape[0]
    h_axis, w_axis = _hw_axes(channels_last)
    th, tw = _size_pair(size) if size is not None else (arr.shape[h_axis], arr.shape[w_axis])
    padded = _pad_batch(arr, _padding4(padding), fill, padding_mode, channels_last)
    out = _gather_windows(padded, _host_ints(top, n, "top"), _host_ints(left, n, "left"),
                          (th, tw), channels_last)
    return _wrap(out, is_tensor)


def batch_hflip(images: Any, flip: Any, *, channels_last: bool = False) -> Any:
    """Mirror left-right the images where ``flip`` (a bool ``(N,)`` mask) is True.

    Example::

        >>> batch_hflip(x, flip=np.array([True, False]))   # the first image mirrored
    """
    arr, is_tensor = _unwrap(images, "batch_hflip")
    mask = _on_host(flip)
    if mask.dtype != np.bool_ or mask.shape != (arr.shape[0],):
        raise ValueError(f"flip must be a bool mask of shape ({arr.shape[0]},), got "
                         f"{mask.dtype} of shape {mask.shape}")
    xp = backend.get_array_module(arr)
    mirrored = arr[:, :, ::-1] if channels_last else arr[..., ::-1]
    out = xp.where(xp.asarray(mask.reshape(-1, 1, 1, 1)), mirrored, arr)
    return _wrap(out, is_tensor)


def batch_translate(images: Any, dy: Any, dx: Any, fill: Any = 0,
                    padding_mode: str = "constant", *, channels_last: bool = False) -> Any:
    """Shift image ``i`` down by ``dy[i]`` and right by ``dx[i]`` pixels (negative: up/left).

    What moves in from outside is ``fill`` (``constant``) or the mirrored image
    (``reflect``...). The size stays; ``out[i, :, y, x] = images[i, :, y - dy[i], x - dx[i]]``.

    Example::

        >>> batch_translate(x, dy=[1, -2], dx=[0, 3], padding_mode="reflect")
    """
    arr, is_tensor = _unwrap(images, "batch_translate")
    n = arr.shape[0]
    dy, dx = _host_ints(dy, n, "dy"), _host_ints(dx, n, "dx")
    k = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    h_axis, w_axis = _hw_axes(channels_last)
    padded = _pad_batch(arr, (k, k, k, k), fill, padding_mode, channels_last)
    out = _gather_windows(padded, k - dy, k - dx, (arr.shape[h_axis], arr.shape[w_axis]),
                          channels_last)
    return _wrap(out, is_tensor)


def _crop_space(arr: Any, size: tuple[int, int], padding: tuple[int, int, int, int],
                channels_last: bool) -> tuple[int, int]:
    """How many crop offsets there are along H and W."""
    h_axis, w_axis = _hw_axes(channels_last)
    left, top, right, bottom = padding
    rows = arr.shape[h_axis] + top + bottom - size[0] + 1
    cols = arr.shape[w_axis] + left + right - size[1] + 1
    if rows < 1 or cols < 1:
        raise ValueError(f"Required crop size {size} is larger than the padded image size "
                         f"{(rows + size[0] - 1, cols + size[1] - 1)}")
    return rows, cols


def batch_random_crop(images: Any, size: Any, padding: Any = None, fill: Any = 0,
                      padding_mode: str = "constant", *, channels_last: bool = False,
                      generator: Generator | None = None) -> Any:
    """``RandomCrop(size, padding)`` on every image of the batch, each at its own offset.

    The offsets are uniform over every position, as ``RandomCrop.get_params``: all the tops
    are drawn first, then all the lefts. ``size=None`` keeps the images' size; see
    ``batch_crop`` for the other arguments.

    Example::

        >>> batch_random_crop(x, 32, padding=4, padding_mode="reflect")   # CIFAR's crop
    """
    arr, _ = _unwrap(images, "batch_random_crop")
    h_axis, w_axis = _hw_axes(channels_last)
    size_hw = _size_pair(size) if size is not None else (arr.shape[h_axis], arr.shape[w_axis])
    pads = _padding4(0 if padding is None else padding)
    rows, cols = _crop_space(arr, size_hw, pads, channels_last)
    rng = _rng(generator)
    top = rng.integers(0, rows, size=arr.shape[0])
    left = rng.integers(0, cols, size=arr.shape[0])
    return batch_crop(images, top, left, size_hw, pads, fill, padding_mode,
                      channels_last=channels_last)


def batch_random_hflip(images: Any, p: float = 0.5, *, channels_last: bool = False,
                       generator: Generator | None = None) -> Any:
    """Mirror each image left-right with probability ``p``, independently.

    Example::

        >>> batch_random_hflip(x)            # about half of the images mirrored
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    arr, _ = _unwrap(images, "batch_random_hflip")
    flip = _rng(generator).random(arr.shape[0]) < p
    return batch_hflip(images, flip, channels_last=channels_last)


def _shift_pair(max_shift: Any) -> tuple[int, int]:
    ky, kx = _size_pair(max_shift)
    if ky < 0 or kx < 0:
        raise ValueError(f"max_shift must be non-negative, got {max_shift}")
    return ky, kx


def batch_random_translate(images: Any, max_shift: Any, fill: Any = 0,
                           padding_mode: str = "constant", *, channels_last: bool = False,
                           generator: Generator | None = None) -> Any:
    """Shift each image by its own ``(dy, dx)``, each uniform in ``[-max_shift, max_shift]``.

    ``max_shift`` is an int or ``(vertical, horizontal)``. The same distribution as a random
    crop of the same size after padding by ``max_shift``; all the ``dy`` are drawn first.

    Example::

        >>> batch_random_translate(x, 2, padding_mode="reflect")
    """
    arr, _ = _unwrap(images, "batch_random_translate")
    ky, kx = _shift_pair(max_shift)
    rng = _rng(generator)
    dy = rng.integers(-ky, ky + 1, size=arr.shape[0])
    dx = rng.integers(-kx, kx + 1, size=arr.shape[0])
    return batch_translate(images, dy, dx, fill, padding_mode, channels_last=channels_last)


class _BatchTransform:
    """What the batch transforms share: the layout flag, the generator and a plain repr."""

    def __init__(self, channels_last: bool, generator: Generator | None) -> None:
        self.channels_last, self.generator = channels_last, generator

    def _fields(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._fields().items())
        return f"{type(self).__name__}({args})"


class BatchRandomCrop(_BatchTransform):
    """``RandomCrop`` for a whole batch ``(N, C, H, W)``: a random crop of each image, after
    padding (see ``batch_random_crop``); ``size=None`` keeps the images' size.

    Example::

        >>> crop = BatchRandomCrop(32, padding=4, padding_mode="reflect")
        >>> crop(images).shape                    # (N, 3, 32, 32)
    """

    def __init__(self, size: Any, padding: Any = None, fill: Any = 0,
                 padding_mode: str = "constant", *, channels_last: bool = False,
                 generator: Generator | None = None) -> None:
        super().__init__(channels_last, generator)
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"padding_mode must be constant, edge, reflect or symmetric, "
                             f"got {padding_mode!r}")
        self.size = _size_pair(size) if size is not None else None
        self.padding = _padding4(0 if padding is None else padding)
        self.fill, self.padding_mode = fill, padding_mode

    def __call__(self, images: Any) -> Any:
        return batch_random_crop(images, self.size, self.padding, self.fill, self.padding_mode,
                                 channels_last=self.channels_last, generator=self.generator)

    def _fields(self) -> dict[str, Any]:
        return {"size": self.size, "padding": self.padding, "padding_mode": self.padding_mode}


class BatchRandomHorizontalFlip(_BatchTransform):
    """``RandomHorizontalFlip(p)`` for a whole batch: each image mirrored with probability p.

    Example::

        >>> BatchRandomHorizontalFlip()(images)
    """

    def __init__(self, p: float = 0.5, *, channels_last: bool = False,
                 generator: Generator | None = None) -> None:
        super().__init__(channels_last, generator)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {p}")
        self.p = p

    def __call__(self, images: Any) -> Any:
        return batch_random_hflip(images, self.p, channels_last=self.channels_last,
                                  generator=self.generator)

    def _fields(self) -> dict[str, Any]:
        return {"p": self.p}


class BatchRandomTranslate(_BatchTransform):
    """Shift each image of a batch by up to ``max_shift`` pixels each way, filling with
    ``fill`` or a mirror of the image (see ``batch_random_translate``).

    Example::

        >>> BatchRandomTranslate(2, padding_mode="reflect")(images)
    """

    def __init__(self, max_shift: Any, fill: Any = 0, padding_mode: str = "constant", *,
                 channels_last: bool = False, generator: Generator | None = None) -> None:
        super().__init__(channels_last, generator)
        if padding_mode not in _PAD_MODES:
            raise ValueError(f"padding_mode must be constant, edge, reflect or symmetric, "
                             f"got {padding_mode!r}")
        self.max_shift = _shift_pair(max_shift)
        self.fill, self.padding_mode = fill, padding_mode

    def __call__(self, images: Any) -> Any:
        return batch_random_translate(images, self.max_shift, self.fill, self.padding_mode,
                                      channels_last=self.channels_last, generator=self.generator)

    def _fields(self) -> dict[str, Any]:
        return {"max_shift": self.max_shift, "padding_mode": self.padding_mode}


class BatchNormalize(_BatchTransform):
    """``ToTensor`` then ``Normalize(mean, std)`` for a batch: float32 ``(x - mean) / std``.

    Integer images are scaled to ``[0, 1]`` first (uint8 by 255), as ``ToTensor`` does, so a
    data set can stay uint8 in memory (a quarter of float32) and be converted batch by batch.

    Example::

        >>> BatchNormalize((0.1307,), (0.3081,))(uint8_batch).dtype     # float32
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], *,
                 channels_last: bool = False) -> None:
        super().__init__(channels_last, None)
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        if len(self.mean) != len(self.std) or any(s == 0 for s in self.std):
            raise ValueError(f"mean and std need one value per channel and std no zero, got "
                             f"mean={self.mean}, std={self.std}")

    def __call__(self, images: Any) -> Any:
        arr, is_tensor = _unwrap(images, "BatchNormalize")
        xp = backend.get_array_module(arr)
        shape = (1, 1, 1, -1) if self.channels_last else (1, -1, 1, 1)
        scale = 1.0 / np.iinfo(arr.dtype).max if arr.dtype.kind in "ui" else 1.0
        std = np.asarray(self.std, np.float32)
        # x * (scale / std) - mean / std: one multiply and one subtract over the batch
        mul = xp.asarray((scale / std).reshape(shape).astype(np.float32))
        sub = xp.asarray((np.asarray(self.mean, np.float32) / std).reshape(shape))
        out = xp.multiply(arr, mul, dtype=np.float32)
        out -= sub
        return _wrap(out, is_tensor)

    def _fields(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std}
