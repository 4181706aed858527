"""3-D convolution and pooling over (N, C, D, H, W) volumes, composed from the 2-D kernels.

Depth is the one extra dim: a 3-D window is ``kd`` depth slices of a 2-D window. A convolution
stacks the ``kd`` depth slices as extra input channels of one ``conv2d`` (one matrix product,
the weight's depth taps as channels); a transposed convolution runs one ``conv_transpose2d``
whose output channels are the depth taps, then adds each tap at its depth; pooling reduces
over the ``kd`` depth slices first and then pools each (H, W) plane in 2-D. Gradients come from
the 2-D kernels' and the slicing ops' backward, so there is no 3-D backward to keep right.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import creation
from latte import functional as L
from latte._out_argument import _TORCH_NAMES
from latte.nn.functional._device import on_input_device
from latte.nn.functional.conv import (
    _batched,
    _check_channels,
    _check_fits,
    _check_geometry,
    _check_transposed,
    _conv_pads,
    _ints,
    _sizes,
)
from latte.nn.functional.pooling import (
    _adaptive_size,
    _averaging_matrix,
    _pool_geometry,
    _pooled,
    adaptive_max_pool2d,
    avg_pool2d,
    max_pool2d,
)
from latte.ops import conv as C
from latte.ops import pool as P
from latte.tensor import Tensor

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d",
           "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices"]


def _depth_taps(x: Tensor, taps: int, stride: int, dilation: int, out: int) -> list:
    """The ``taps`` depth slices of x (N, D, ...) that window position ``k`` reads, each
    (N, out, ...): slice k holds depths ``k * dilation + stride * arange(out)``."""
    return [x[:, k * dilation:k * dilation + stride * (out - 1) + 1:stride] for k in range(taps)]


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation: input (N, C, D, H, W), weight (O, C/groups, kd, kh, kw) ->
    (N, O, Do, Ho, Wo), each output size as ``conv2d``'s; ``padding`` is an int, a triple,
    ``'valid'`` or ``'same'``. An unbatched (C, D, H, W) input gives a (O, Do, Ho, Wo) output.

    Example::

        >>> F.conv3d(latte.randn(2, 3, 8, 16, 16), latte.randn(4, 3, 3, 3, 3), padding=1).shape
        latte.Size([2, 4, 8, 16, 16])
    """
    x, unbatched = _batched(input, "conv3d", 5)
    stride, dilation = _ints(stride, 3, "stride"), _ints(dilation, 3, "dilation")
    _check_geometry(stride, dilation, groups)
    if weight.ndim != 5:
        raise RuntimeError(f"conv3d: expected a 5D weight (out_channels, in_channels/groups, kD, "
                           f"kH, kW), got weight of size {_sizes(weight.shape)}")
    _check_channels(x, weight, bias, groups)
    pads = _conv_pads(padding, weight, stride, dilation)
    _check_fits(x, weight, pads, dilation)
    n, c, _, h, w = x.shape
    out_ch, kd = weight.shape[0], weight.shape[2]
    if pads[0] or pads[1]:
        x = L.cat([x.new_zeros((n, c, pads[0], h, w)), x, x.new_zeros((n, c, pads[1], h, w))], 2)
    depth = (x.shape[2] - dilation[0] * (kd - 1) - 1) // stride[0] + 1
    # (N, Do, kd, C, H, W) -> channels ordered (group, tap, channel) to match the weight below
    taps = L.stack(_depth_taps(x.movedim(2, 1), kd, stride[0], dilation[0], depth), 2)
    cg = c // groups
    planes = taps.reshape(n * depth, kd, groups, cg, h, w).transpose(1, 2)
    planes = planes.reshape(n * depth, groups * kd * cg, h, w)
    flat_weight = weight.transpose(1, 2).reshape(out_ch, kd * cg, *weight.shape[3:])
    out = C.Conv2d.apply(planes, flat_weight, bias, stride[1:], pads[2:], dilation[1:], groups)
    out = out.reshape(n, depth, out_ch, *out.shape[2:]).movedim(1, 2).contiguous()
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """3-D transposed convolution (the gradient of ``conv3d`` in its input), as PyTorch's.

    input (N, Cin, D, H, W), weight (Cin, Cout/groups, kd, kh, kw) -> (N, Cout, Do, Ho, Wo),
    ``Do = (D - 1) * stride - 2 * padding + dilation * (kd - 1) + output_padding + 1``.

    Example::

        >>> F.conv_transpose3d(latte.randn(1, 4, 3, 5, 5), latte.randn(4, 2, 2, 2, 2),
        ...                    stride=2).shape
        latte.Size([1, 2, 6, 10, 10])
    """
    x, unbatched = _batched(input, "conv_transpose3d", 5)
    stride, dilation = _ints(stride, 3, "stride"), _ints(dilation, 3, "dilation")
    padding = _ints(padding, 3, "padding")
    output_padding = _ints(output_padding, 3, "output_padding")
    _check_geometry(stride, dilation, groups)
    if weight.ndim != 5:
        raise RuntimeError(f"conv_transpose3d: expected a 5D weight (in_channels, "
                           f"out_channels/groups, kD, kH, kW), got weight of size "
                           f"{_sizes(weight.shape)}")
    _check_transposed(x, weight, bias, stride, dilation, output_padding, groups)
    n, cin, depth = x.shape[:3]
    cg, kd = weight.shape[1], weight.shape[2]
    out_size = tuple((x.shape[2 + d] - 1) * stride[d] - 2 * padding[d]
                     + dilation[d] * (weight.shape[2 + d] - 1) + output_padding[d] + 1
                     for d in range(3))
    if min(out_size) < 1:
        raise RuntimeError(f"conv_transpose3d: calculated output size {out_size} is too small "
                           f"for input of size {_sizes(x.shape)}")
    # one 2-D transposed convolution per input depth, its output channels (group, tap, channel)
    planes = x.movedim(2, 1).reshape(n * depth, cin, *x.shape[3:])
    flat_weight = weight.transpose(1, 2).reshape(cin, kd * cg, *weight.shape[3:])
    pads = (padding[1], padding[1], padding[2], padding[2])
    y = C.ConvTranspose2d.apply(planes, flat_weight, None, stride[1:], pads, dilation[1:],
                                groups, out_size[1:])
    y = y.reshape(n, depth, groups, kd, cg, *out_size[1:])
    # tap k of input depth i lands at output depth i * stride + k * dilation - padding
    full = (depth - 1) * stride[0] + dilation[0] * (kd - 1) + 1
    spread = (depth - 1) * stride[0] + 1
    total = None
    for k in range(kd):
        tap = y[:, :, :, k].reshape(n, depth, 1, groups * cg, *out_size[1:])
        if stride[0] > 1:  # stride - 1 zero depths after each input depth
            tap = L.cat([tap, tap.new_zeros((n, depth, stride[0] - 1) + tap.shape[3:])], 2)
        tap = tap.reshape(n, depth * stride[0], *tap.shape[3:])[:, :spread]
        before = k * dilation[0]
        tap = _pad_dim1(tap, before, full - spread - before)
        total = tap if total is None else total + tap
    total = _pad_dim1(total, 0, max(0, padding[0] + out_size[0] - full))
    out = total[:, padding[0]:padding[0] + out_size[0]].movedim(1, 2)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1, 1)
    out = out.contiguous()
    return out.squeeze(0) if unbatched else out


def _pad_dim1(x: Tensor, before: int, after: int) -> Tensor:
    """``x`` with ``before`` and ``after`` zero slices added along dim 1."""
    rest = tuple(x.shape[2:])
    parts = [x.new_zeros((x.shape[0], before) + rest)] if before else []
    parts.append(x)
    if after:
        parts.append(x.new_zeros((x.shape[0], after) + rest))
    return L.cat(parts, 1) if len(parts) > 1 else x


# --- pooling --------------------------------------------------------------------------------
def _framed(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple,
            out: tuple, value: Any) -> Tensor:
    """x padded with ``value`` (cropped where no window reaches) so that exactly the ``out``
    windows fit: every later step pools without padding or ceil mode."""
    for d in range(3):
        axis, size = 2 + d, x.shape[2 + d]
        length = (out[d] - 1) * stride[d] + dilation[d] * (kernel[d] - 1) + 1
        after = length - padding[d] - size
        if padding[d] or after > 0:
            shape = list(x.shape)
            parts = []
            for p in (padding[d], max(after, 0)):
                shape[axis] = p
                parts.append(creation.full(tuple(shape), value, dtype=x.dtype, device=x.device))
            x = L.cat([parts[0], x, parts[1]], axis)
        x = x.narrow(axis, 0, length)
    return x


def _lowest(x: Tensor) -> Any:
    dtype = x._data.dtype
    return -float("inf") if dtype.kind == "f" else np.iinfo(dtype).min


@on_input_device
def max_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over (kd, kh, kw) windows: (N, C, D, H, W) -> (N, C, Do, Ho, Wo); stride defaults
    to the kernel, padding counts as ``-inf``. With ``return_indices`` also returns the position
    ``(d * H + h) * W + w`` of each maximum in its input volume.

    Example::

        >>> F.max_pool3d(latte.randn(2, 4, 8, 8, 8), 2).shape
        latte.Size([2, 4, 4, 4, 4])
    """
    x, unbatched = _pooled(input, "max_pool3d", 3)
    kernel, stride, padding, dilation, out = _pool_geometry(
        "max_pool3d", x, kernel_size, stride, padding, dilation, ceil_mode, 3)
    n, c, depth, h, w = x.shape
    framed = _framed(x, kernel, stride, padding, dilation, out, _lowest(x))
    taps = L.stack(_depth_taps(framed.movedim(2, 1), kernel[0], stride[0], dilation[0],
                               out[0]), 0)
    deepest, tap = taps.max(0)  # (N, Do, C, Hf, Wf): the max over the window's depths
    hf, wf = deepest.shape[3:]
    planes = deepest.movedim(1, 2).reshape(n, c * out[0], hf, wf)
    result = max_pool2d(planes, kernel[1:], stride[1:], 0, dilation[1:], False, return_indices)
    if not return_indices:
        result = result.reshape(n, c, *out)
        return result.squeeze(0) if unbatched else result
    values, flat = result
    # the depth tap at the winning (h, w) of each window, then back to unpadded coordinates
    tap = tap.movedim(1, 2).reshape(n, c * out[0], hf * wf).gather(2, flat.flatten(2))
    d_index = (creation.arange(out[0], device=x.device).reshape(-1, 1) * stride[0] - padding[0]
               + tap.reshape(n, c, out[0], -1) * dilation[0])
    flat = flat.reshape(n, c, out[0], -1)
    index = (d_index * h + flat // wf - padding[1]) * w + flat % wf - padding[2]
    values, index = values.reshape(n, c, *out), index.reshape(n, c, *out)
    return (values.squeeze(0), index.squeeze(0)) if unbatched else (values, index)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple:
    """``max_pool3d(..., return_indices=True)``: ``(values, indices)``."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


@on_input_device
def avg_pool3d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over (kd, kh, kw) windows: (N, C, D, H, W) -> (N, C, Do, Ho, Wo); padding counts
    as zeros, the divisor as ``avg_pool2d``'s (padding inside with ``count_include_pad``, never
    the ceil-mode overhang) or ``divisor_override``.

    Example: ``F.avg_pool3d(latte.randn(1, 2, 4, 4, 4), 2).shape == (1, 2, 2, 2, 2)``.
    """
    x, unbatched = _pooled(input, "avg_pool3d", 3)
    if x._data.dtype.kind != "f" and x._data.dtype != np.int64:
        name = _TORCH_NAMES.get(x._data.dtype.name, x._data.dtype.name)
        raise NotImplementedError(f"\"avg_pool3d\" not implemented for '{name}'")
    kernel, stride, padding, dilation, out = _pool_geometry(
        "avg_pool3d", x, kernel_size, stride, padding, 1, ceil_mode, 3)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("avg_pool3d: divisor must be not zero")
    n, c = x.shape[:2]
    framed = _framed(x, kernel, stride, padding, dilation, out, 0)
    taps = _depth_taps(framed.movedim(2, 1), kernel[0], stride[0], 1, out[0])
    summed = taps[0]
    for tap in taps[1:]:
        summed = summed + tap
    planes = summed.movedim(1, 2).reshape(n, c * out[0], *summed.shape[3:])
    sums = avg_pool2d(planes, kernel[1:], stride[1:], 0, divisor_override=1)
    sums = sums.reshape(n, c, *out)
    xp = x._xp()
    if divisor_override is not None:
        divisor = xp.full((1,), divisor_override, x._data.dtype)
    else:
        divisor = P.avg_divisor(xp, x.shape[2:], kernel, stride, padding, out,
                                count_include_pad, x._data.dtype)[..., 0]
    if x._data.dtype.kind == "f":
        result = sums / Tensor(divisor)
    else:  # PyTorch's int64 pooling divides in integers, rounding toward zero
        result = L.div(sums, Tensor(divisor), rounding_mode="trunc")
    return result.squeeze(0) if unbatched else result


def _check_defaults(input: Tensor, output_size: Any) -> None:
    """PyTorch's error for a size triple (whose ``None`` would be read from the input) given
    with an input of fewer than 4 dims."""
    if not isinstance(output_size, int) and input.ndim < 4:
        raise ValueError("Input dimension should be at least 4")


@on_input_device
def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    """Mean over PyTorch's adaptive windows to a fixed (od, oh, ow): (N, C, D, H, W) ->
    (N, C, od, oh, ow); window i of a dim covers ``[floor(i * D / od), ceil((i + 1) * D / od))``
    and ``None`` keeps a size. ``F.adaptive_avg_pool3d(x, 1)`` is global average pooling."""
    _check_defaults(input, output_size)
    x, unbatched = _batched(input, "adaptive_avg_pool3d", 5)
    od, oh, ow = _adaptive_size("adaptive_avg_pool3d", x, output_size, 3)
    d, h, w = x.shape[2:]
    if (od, oh, ow) == (1, 1, 1):
        out = x.mean((2, 3, 4), keepdim=True)
    elif d % od == 0 and h % oh == 0 and w % ow == 0:
        out = avg_pool3d(x, (d // od, h // oh, w // ow))
    else:  # one small averaging matrix per dim
        out = _averaging_matrix(x, h, oh) @ x @ _averaging_matrix(x, w, ow).t()
        out = (out.movedim(2, 4) @ _averaging_matrix(x, d, od).t()).movedim(4, 2).contiguous()
    return out.squeeze(0) if unbatched else out


@on_input_device
def adaptive_max_pool3d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over PyTorch's adaptive windows: (N, C, D, H, W) -> (N, C, od, oh, ow), and with
    ``return_indices`` the flat positions ``(d * H + h) * W + w`` of the maxima."""
    _check_defaults(input, output_size)
    x, unbatched = _batched(input, "adaptive_max_pool3d", 5)
    od, oh, ow = _adaptive_size("adaptive_max_pool3d", x, output_size, 3)
    d, h, w = x.shape[2:]
    if d % od == 0 and h % oh == 0 and w % ow == 0:
        out = max_pool3d(x, (d // od, h // oh, w // ow), return_indices=return_indices)
    else:
        starts, ends = P.adaptive_ranges(np, d, od)
        values, indices = [], []
        for start, end in zip(starts.tolist(), ends.tolist()):
            deepest, tap = x[:, :, start:end].max(2)  # (N, C, H, W) and its depth
            v, flat = adaptive_max_pool2d(deepest, (oh, ow), True)
            depth_at = tap.flatten(2).gather(2, flat.flatten(2)).reshape(flat.shape) + start
            values.append(v)
            indices.append(depth_at * (h * w) + flat)
        values = L.stack(values, 2).contiguous()
        out = (values, L.stack(indices, 2).contiguous()) if return_indices else values
    if unbatched:
        out = tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    return out


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple:
    """``adaptive_max_pool3d(..., return_indices=True)``: ``(values, indices)``."""
    return adaptive_max_pool3d(input, output_size, True)
