"""Pooling: max and average over windows, and their adaptive forms, in 1-D and 2-D.

Output sizes follow PyTorch's formula: ``floor_or_ceil((H + 2p - d * (k - 1) - 1) / s) + 1``,
where a ceil-mode window must start inside the input or its left padding.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte._out_argument import _TORCH_NAMES
from latte.nn.functional._device import on_input_device
from latte.nn.functional.conv import _batched, _ints, _single, _sizes
from latte.ops import pool as P
from latte.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices"]


def _pool_size(size: int, kernel: int, stride: int, pad: int, dilation: int,
               ceil_mode: bool) -> int:
    span = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1  # the last window would start in the right padding
    return out


def _pooled(input: Tensor, fn: str, dims: int = 2) -> tuple:
    """``_batched`` for a ``dims``-D pool, refusing empty channel or spatial dims as PyTorch
    does (only the batch may be empty)."""
    x, unbatched = _batched(input, fn, dims + 2)
    if 0 in x.shape[1:]:
        raise RuntimeError(f"Expected {dims + 1}D or {dims + 2}D (batch mode) tensor with "
                           f"optional 0 dim batch size for input, but got:{_sizes(input.shape)}")
    return x, unbatched


def _pool_geometry(fn: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool, dims: int = 2) -> tuple:
    """``(kernel, stride, padding, dilation, output size)`` of a ``dims``-D pool, each a
    ``dims``-tuple, with PyTorch's checks (stride defaults to the kernel)."""
    kernel = _ints(kernel_size, dims, "kernel_size")
    stride = kernel if stride is None or stride == [] or stride == () \
        else _ints(stride, dims, "stride")
    padding, dilation = _ints(padding, dims, "padding"), _ints(dilation, dims, "dilation")
    if min(kernel) <= 0 or min(stride) <= 0 or min(dilation) <= 0:
        raise RuntimeError(f"{fn}: kernel_size, stride and dilation must be greater than zero, "
                           f"but got kernel_size={kernel}, stride={stride}, dilation={dilation}")
    for d in range(dims):
        if not 0 <= padding[d] <= (dilation[d] * (kernel[d] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={padding[d]}, kernel_size={kernel[d]} and "
                               f"dilation={dilation[d]}")
    out = tuple(_pool_size(x.shape[2 + d], kernel[d], stride[d], padding[d], dilation[d],
                           ceil_mode) for d in range(dims))
    if min(out) < 1:
        raise RuntimeError(f"{fn}: given input size: ({'x'.join(map(str, x.shape[1:]))}). "
                           f"Calculated output size: ({x.shape[1]}x{'x'.join(map(str, out))}). "
                           f"Output size is too small")
    return kernel, stride, padding, dilation, out


@on_input_device
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over (kh, kw) windows: (N, C, H, W) -> (N, C, Ho, Wo); stride defaults to the kernel.

    Padding counts as ``-inf``. With ``return_indices`` also returns the position ``h * W + w``
    of each maximum in its input plane (the first one on ties), as PyTorch.

    Example::

        >>> F.max_pool2d(latte.randn(8, 16, 28, 28), 2).shape
        latte.Size([8, 16, 14, 14])
    """
    x, unbatched = _pooled(input, "max_pool2d")
    geometry = _pool_geometry("max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode)
    out = P.MaxPool2d.apply(x, *geometry, return_indices)
    if unbatched:
        out = tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    return out


@on_input_device
def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple:
    """``max_pool2d(..., return_indices=True)``: ``(values, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _as_2d(input: Tensor, fn: str) -> tuple:
    x, unbatched = _batched(input, fn, 3)
    return x.unsqueeze(2), unbatched


def _from_2d(out: Any, unbatched: bool) -> Any:
    if isinstance(out, tuple):
        return tuple(_from_2d(o, unbatched) for o in out)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of length k: (N, C, L) -> (N, C, Lo); runs as ``max_pool2d``."""
    x, unbatched = _as_2d(input, "max_pool1d")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _single(stride, "stride")
    out = max_pool2d(x, (1, k), (1, s), (0, _single(padding, "padding")),
                     (1, _single(dilation, "dilation")), ceil_mode, return_indices)
    return _from_2d(out, unbatched)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple:
    """``max_pool1d(..., return_indices=True)``: ``(values, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@on_input_device
def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over (kh, kw) windows: (N, C, H, W) -> (N, C, Ho, Wo); padding counts as zeros.

    The divisor is the window size including padding (``count_include_pad``) but never the
    ceil-mode overhang, or ``divisor_override``. Example: ``F.avg_pool2d(x, 2)`` halves H, W.
    """
    x, unbatched = _pooled(input, "avg_pool2d")
    if x._data.dtype.kind != "f" and x._data.dtype != np.int64:
        name = _TORCH_NAMES.get(x._data.dtype.name, x._data.dtype.name)
        raise NotImplementedError(f"\"avg_pool2d\" not implemented for '{name}'")
    kernel, stride, padding, _, out_hw = _pool_geometry("avg_pool2d", x, kernel_size, stride,
                                                         padding, 1, ceil_mode)
    xp = x._xp()
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError("avg_pool2d: divisor must be not zero")
        divisor = xp.full((1, 1, 1), divisor_override, x._data.dtype)
    else:
        divisor = P.avg_divisor(xp, x.shape[2:], kernel, stride, padding, out_hw,
                                count_include_pad, x._data.dtype)
    out = P.AvgPool2d.apply(x, kernel, stride, padding, out_hw, divisor)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over windows of length k: (N, C, L) -> (N, C, Lo); runs as ``avg_pool2d``."""
    x, unbatched = _as_2d(input, "avg_pool1d")
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None or stride == [] or stride == () else _single(stride, "stride")
    out = avg_pool2d(x, (1, k), (1, s), (0, _single(padding, "padding")), ceil_mode,
                     count_include_pad)
    return _from_2d(out, unbatched)


def _adaptive_size(fn: str, x: Tensor, output_size: Any, dims: int = 2) -> tuple:
    """The ``dims`` output sizes of an adaptive pool (``None`` keeps the input's), checked."""
    size = (output_size,) * dims if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(size) != dims:
        what = {2: "a pair", 3: "a triple"}.get(dims, f"{dims} ints")
        raise ValueError(f"{fn}: output_size must be an int or {what}, got {output_size!r}")
    size = tuple(x.shape[2 + d] if s is None else int(s) for d, s in enumerate(size))
    if min(size) < 0 or (min(size) == 0 and x.numel() > 0):
        raise RuntimeError(f"{fn}: output_size must be positive, got {size}")
    if min(x.shape[2:]) == 0:
        raise RuntimeError(f"{fn}: expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {_sizes(x.shape)}")
    return size


def _averaging_matrix(x: Tensor, size: int, out: int) -> Tensor:
    """(out, size) matrix whose row i averages PyTorch's adaptive window i."""
    xp = x._xp()
    start, end = P.adaptive_ranges(xp, size, out)
    cols = xp.arange(size)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return Tensor((inside / (end - start)[:, None]).astype(x._data.dtype))


@on_input_device
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over PyTorch's adaptive windows to a fixed (oh, ow): (N, C, H, W) -> (N, C, oh, ow).

    Window i covers ``[floor(i * H / oh), ceil((i + 1) * H / oh))``; ``None`` keeps a size.
    Example: ``F.adaptive_avg_pool2d(x, 1)`` is global average pooling.
    """
    x, unbatched = _batched(input, "adaptive_avg_pool2d", 4)
    oh, ow = _adaptive_size("adaptive_avg_pool2d", x, output_size)
    h, w = x.shape[2:]
    if (oh, ow) == (1, 1):
        out = x.mean((2, 3), keepdim=True)
    elif h % oh == 0 and w % ow == 0:
        out = avg_pool2d(x, (h // oh, w // ow))
    else:
        # uneven windows: one small matrix per spatial dim, (oh, H) @ x @ (W, ow)
        out = _averaging_matrix(x, h, oh) @ x @ _averaging_matrix(x, w, ow).t()
    return out.squeeze(0) if unbatched else out


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive mean pooling of (N, C, L) to (N, C, output_size)."""
    x, unbatched = _as_2d(input, "adaptive_avg_pool1d")
    return _from_2d(adaptive_avg_pool2d(x, (1, _single(output_size, "output_size"))), unbatched)


@on_input_device
def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows: (N, C, H, W) -> (N, C, oh, ow) (and indices)."""
    x, unbatched = _batched(input, "adaptive_max_pool2d", 4)
    oh, ow = _adaptive_size("adaptive_max_pool2d", x, output_size)
    h, w = x.shape[2:]
    if h % oh == 0 and w % ow == 0:
        out = max_pool2d(x, (h // oh, w // ow), return_indices=return_indices)
    else:
        out = P.AdaptiveMaxPool2d.apply(x, (oh, ow))
        if not return_indices:
            out = out[0]
    if unbatched:
        out = tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    return out


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple:
    """``adaptive_max_pool2d(..., return_indices=True)``: ``(values, indices)``."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max pooling of (N, C, L) to (N, C, output_size)."""
    x, unbatched = _as_2d(input, "adaptive_max_pool1d")
    out = adaptive_max_pool2d(x, (1, _single(output_size, "output_size")), return_indices)
    return _from_2d(out, unbatched)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple:
    """``adaptive_max_pool1d(..., return_indices=True)``: ``(values, indices)``."""
    return adaptive_max_pool1d(input, output_size, True)
