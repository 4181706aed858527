"""Convolutions: ``conv2d``, ``conv1d``, ``conv_transpose2d``, ``conv_transpose1d``, ``unfold``
and ``fold``, with PyTorch's arguments and checks (the kernels are in ``latte.ops.conv``)."""
from __future__ import annotations

import operator
from typing import Any

from latte.ops import conv as C
from latte.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _ints(value: Any, n: int, name: str) -> tuple:
    """``3`` -> ``(3,) * n``; a sequence of ``n`` (or one) integers stays; else a clear error."""
    try:
        if not hasattr(value, "__len__"):
            return (operator.index(value),) * n
        items = tuple(operator.index(v) for v in value)
    except TypeError:
        items = ()
    if len(items) == 1:
        items *= n
    if len(items) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    return items


def _pair(value: Any, name: str = "argument") -> tuple:
    """``3`` -> ``(3, 3)``; ``(1, 2)`` stays; anything else is a clear error."""
    return _ints(value, 2, name)


def _sizes(shape: Any) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _batched(input: Any, fn: str, rank: int) -> tuple:
    """``input`` with a batch dim (added for an unbatched input) and whether one was added."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim == rank:
        return input, False
    if input.ndim == rank - 1:
        return input.unsqueeze(0), True
    raise RuntimeError(f"Expected {rank - 1}D (unbatched) or {rank}D (batched) input to {fn}, "
                       f"but got input of size: {_sizes(input.shape)}")


def _conv_pads(padding: Any, weight: Tensor, stride: tuple, dilation: tuple) -> tuple:
    """``(before, after)`` of each spatial dim, flat (``(top, bottom, left, right)`` in 2-D),
    from an int, a tuple, ``'valid'`` or ``'same'``."""
    n = len(stride)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * 2 * n
        if padding != "same":
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             f"{{'valid', 'same'}}")
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        pads: list = []
        for d in range(n):
            total = dilation[d] * (weight.shape[2 + d] - 1)
            # PyTorch puts the odd extra row/column of an even kernel at the bottom/right
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    sizes = _ints(padding, n, "padding")
    if min(sizes) < 0:
        raise RuntimeError(f"negative padding is not supported, got {sizes}")
    return tuple(p for p in sizes for _ in range(2))


def _check_geometry(stride: tuple, dilation: tuple, groups: int) -> None:
    if min(stride) <= 0:
        raise RuntimeError(f"non-positive stride is not supported, got {stride}")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, got {dilation}")
    if groups <= 0:
        raise RuntimeError(f"non-positive groups is not supported, got {groups}")


def _check_channels(x: Tensor, weight: Tensor, bias: Tensor | None, groups: int) -> None:
    """PyTorch's errors for an input, weight and bias of a convolution that do not agree."""
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_sizes(weight.shape)}, expected "
            f"input{_sizes(x.shape)} to have {weight.shape[1] * groups} channels, but got "
            f"{x.shape[1]} channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size {_sizes(weight.shape)} "
                           f"instead")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"Given weight of size {_sizes(weight.shape)}, expected bias to be "
                           f"1-dimensional with {weight.shape[0]} elements, but got bias of size "
                           f"{_sizes(bias.shape)} instead")


def _check_fits(x: Tensor, weight: Tensor, pads: tuple, dilation: tuple) -> None:
    """PyTorch's error when the (dilated) kernel is larger than the padded input."""
    n = len(dilation)
    padded = [x.shape[2 + d] + pads[2 * d] + pads[2 * d + 1] for d in range(n)]
    effective = [dilation[d] * (weight.shape[2 + d] - 1) + 1 for d in range(n)]
    if any(p < e for p, e in zip(padded, effective)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater "
            f"than actual input size")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation: input (N, C, H, W), weight (O, C/groups, kh, kw) -> (N, O, Ho, Wo).

    ``Ho = (H + pad_top + pad_bottom - dilation * (kh - 1) - 1) // stride + 1``. ``padding`` is
    an int, a pair, ``'valid'`` or ``'same'`` (stride 1; even kernels pad one more at the
    bottom/right, as PyTorch). An unbatched (C, H, W) input gives a (O, Ho, Wo) output.

    Example::

        >>> x = latte.randn(8, 3, 32, 32)
        >>> F.conv2d(x, latte.randn(16, 3, 3, 3), padding=1).shape
        latte.Size([8, 16, 32, 32])
    """
    x, unbatched = _batched(input, "conv2d", 4)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    _check_geometry(stride, dilation, groups)
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: expected a 4D weight (out_channels, in_channels/groups, kH, "
                           f"kW), got weight of size {_sizes(weight.shape)}")
    _check_channels(x, weight, bias, groups)
    pads = _conv_pads(padding, weight, stride, dilation)
    _check_fits(x, weight, pads, dilation)
    out = C.Conv2d.apply(x, weight, bias, stride, pads, dilation, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation: input (N, C, L), weight (O, C/groups, k) -> (N, O, Lo).

    Runs as ``conv2d`` over a height-1 image. Example: ``F.conv1d(latte.randn(4, 2, 10),
    latte.randn(3, 2, 5), padding='same').shape == (4, 3, 10)``.
    """
    x, unbatched = _batched(input, "conv1d", 3)
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: expected a 3D weight (out_channels, in_channels/groups, "
                           f"kW), got weight of size {_sizes(weight.shape)}")
    if not isinstance(padding, str):
        padding = (0, _single(padding, "padding"))
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _single(stride, "stride")),
                 padding, (1, _single(dilation, "dilation")), groups)
    out = out.squeeze(2)
    return out.squeeze(0) if unbatched else out


def _single(value: Any, name: str) -> int:
    return _ints(value, 1, name)[0]


def _check_transposed(x: Tensor, weight: Tensor, bias: Tensor | None, stride: tuple,
                      dilation: tuple, output_padding: tuple, groups: int) -> None:
    """PyTorch's errors for the operands and output padding of a transposed convolution."""
    if x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_sizes(weight.shape)}, expected "
            f"input{_sizes(x.shape)} to have {weight.shape[0]} channels, but got {x.shape[1]} "
            f"channels instead")
    if any(op >= max(s, d) or op < 0 for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(
            f"output padding must be smaller than either stride or dilation, but got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    if bias is not None and tuple(bias.shape) != (weight.shape[1] * groups,):
        raise RuntimeError(f"Given transposed=1, weight of size {_sizes(weight.shape)}, "
                           f"expected bias to be 1-dimensional with {weight.shape[1] * groups} "
                           f"elements, but got bias of size {_sizes(bias.shape)} instead")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """Transposed convolution (the gradient of ``conv2d`` in its input), as PyTorch's.

    input (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw) -> (N, Cout, Ho, Wo) with
    ``Ho = (H - 1) * stride - 2 * padding + dilation * (kh - 1) + output_padding + 1``.

    Example::

        >>> F.conv_transpose2d(latte.randn(1, 4, 5, 5), latte.randn(4, 2, 3, 3), stride=2).shape
        latte.Size([1, 2, 11, 11])
    """
    x, unbatched = _batched(input, "conv_transpose2d", 4)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    padding, output_padding = _pair(padding, "padding"), _pair(output_padding, "output_padding")
    _check_geometry(stride, dilation, groups)
    if weight.ndim != 4:
        raise RuntimeError(f"conv_transpose2d: expected a 4D weight (in_channels, "
                           f"out_channels/groups, kH, kW), got weight of size "
                           f"{_sizes(weight.shape)}")
    _check_transposed(x, weight, bias, stride, dilation, output_padding, groups)
    out_hw = tuple((x.shape[2 + d] - 1) * stride[d] - 2 * padding[d]
                   + dilation[d] * (weight.shape[2 + d] - 1) + output_padding[d] + 1
                   for d in range(2))
    if min(out_hw) < 1:
        raise RuntimeError(f"conv_transpose2d: calculated output size {out_hw} is too small "
                           f"for input of size {_sizes(x.shape)}")
    pads = (padding[0], padding[0], padding[1], padding[1])
    out = C.ConvTranspose2d.apply(x, weight, bias, stride, pads, dilation, groups, out_hw)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-D transposed convolution: input (N, Cin, L), weight (Cin, Cout/groups, k)."""
    x, unbatched = _batched(input, "conv_transpose1d", 3)
    out = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias,
                           (1, _single(stride, "stride")), (0, _single(padding, "padding")),
                           (0, _single(output_padding, "output_padding")), groups,
                           (1, _single(dilation, "dilation"))).squeeze(2)
    return out.squeeze(0) if unbatched else out


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Sliding patches (im2col): (N, C, H, W) -> (N, C * kh * kw, L), channel-major.

    Example: ``F.unfold(latte.randn(2, 3, 4, 4), 2).shape == (2, 12, 9)``.
    """
    x, unbatched = _batched(input, "unfold", 4)
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    _check_geometry(stride, dilation, 1)
    pads = (padding[0], padding[0], padding[1], padding[1])
    for d in range(2):
        if C.out_size(x.shape[2 + d], kernel[d], stride[d], dilation[d], 2 * padding[d]) < 1:
            raise RuntimeError(f"unfold: kernel {kernel} with dilation {dilation} does not fit "
                               f"the padded input of size {_sizes(x.shape)}")
    out = C.Unfold.apply(x, kernel, stride, pads, dilation)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """Sum sliding patches back into an image (col2im): (N, C*kh*kw, L) -> (N, C, H, W).

    The adjoint of ``unfold``. Example: ``F.fold(F.unfold(x, 2), (4, 4), 2)`` for ``x`` of shape
    (N, C, 4, 4) counts each pixel once per window it falls in.
    """
    cols, unbatched = _batched(input, "fold", 3)
    size, kernel = _pair(output_size, "output_size"), _pair(kernel_size, "kernel_size")
    dilation, padding = _pair(dilation, "dilation"), _pair(padding, "padding")
    stride = _pair(stride, "stride")
    _check_geometry(stride, dilation, 1)
    blocks = [C.out_size(size[d], kernel[d], stride[d], dilation[d], 2 * padding[d])
              for d in range(2)]
    if cols.shape[1] % (kernel[0] * kernel[1]):
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={cols.shape[1]} and "
                           f"kernel_size={kernel}")
    if cols.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation="
                           f"{dilation}, padding={padding}, stride={stride}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={cols.shape[2]}.")
    pads = (padding[0], padding[0], padding[1], padding[1])
    out = C.Fold.apply(cols, size, kernel, stride, pads, dilation)
    return out.squeeze(0) if unbatched else out
