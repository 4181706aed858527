"""Convolution layers (``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``) and the patch layers
``Unfold`` (im2col) and ``Fold`` (col2im)."""
from __future__ import annotations

import math
from typing import Any

from latte import creation
from latte.backend import run_on
from latte.nn import init
from latte.nn.functional import conv as F
from latte.nn.functional import volumetric
from latte.nn.functional.conv import _ints
from latte.nn.modules.module import Module, place
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
           "Fold", "Unfold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _edge_index(xp: Any, size: int, before: int, after: int, mode: str) -> Any:
    """Source positions for padding one dim by ``before``/``after`` with ``mode``."""
    i = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(i, 0, size - 1)
    if mode == "circular":
        return i % size
    i = xp.abs(i)  # reflect: mirror around the first and the last element
    return xp.where(i > size - 1, 2 * (size - 1) - i, i)


class _ConvNd(Module):
    """Shared constructor, initialisation and ``repr`` of the convolution layers."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, groups: int, bias: bool, padding_mode: str,
                 output_padding: Any = 0, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        n = self._dims
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                             f"padding_mode='{padding_mode}'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _ints(kernel_size, n, "kernel_size")
        self.stride = _ints(stride, n, "stride")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 f"{{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding = padding
        else:
            self.padding = _ints(padding, n, "padding")
        self.dilation = _ints(dilation, n, "dilation")
        self.transposed = self._transposed
        self.output_padding = _ints(output_padding, n, "output_padding")
        self.groups = groups
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(creation.empty(*shape, dtype=dtype))
        if bias:
            self.bias = Parameter(creation.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight ``kaiming_uniform_(a=sqrt(5))``, bias U(±1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        n = self._dims
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input: Any) -> None:
        """Name this layer and both shapes when the input's rank or channel count is wrong."""
        rank = self._dims + 2
        if not isinstance(input, Tensor) or input.ndim not in (rank - 1, rank):
            got = f"input of shape {tuple(input.shape)}" if isinstance(input, Tensor) \
                else type(input).__name__
            raise RuntimeError(f"{self!r}: expected a {rank - 1}D (unbatched) or {rank}D "
                               f"(batched) input, got {got}")
        channels = input.shape[-self._dims - 1]
        if channels != self.in_channels:
            raise RuntimeError(f"{self!r}: expected input with {self.in_channels} channels, "
                               f"got input of shape {tuple(input.shape)}")

    def _pad_input(self, input: Tensor) -> tuple:
        """Apply a non-zero ``padding_mode`` by gathering edge rows; return the conv padding."""
        if self.padding_mode == "zeros":
            return input, self.padding
        if self.padding == "valid":
            return input, self.padding
        if self.padding == "same":
            pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                    for k, d in zip(self.kernel_size, self.dilation)]
        else:
            pads = [(p, p) for p in self.padding]
        xp = input._xp()
        out = input
        for i, (before, after) in enumerate(pads):
            axis = input.ndim - self._dims + i
            if before or after:
                size = input.shape[axis]
                index = run_on(input._data, _edge_index, xp, size, before, after,
                               self.padding_mode)  # made on the input's GPU
                out = out[(slice(None),) * axis + (Tensor(index),)]
        return out, 0


class Conv2d(_ConvNd):
    """2-D convolution layer: (N, C_in, H, W) -> (N, C_out, Ho, Wo), see ``F.conv2d``.

    ``weight`` is (C_out, C_in/groups, kh, kw); ``padding`` may be an int, a pair, ``'valid'``
    or ``'same'``; ``padding_mode`` is ``'zeros'``, ``'reflect'``, ``'replicate'`` or
    ``'circular'``.

    Example::

        >>> conv = nn.Conv2d(1, 32, 3, padding=1)
        >>> conv(latte.randn(64, 1, 28, 28)).shape
        latte.Size([64, 32, 28, 28])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype)
        place(self, device)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        x, padding = self._pad_input(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class Conv1d(_ConvNd):
    """1-D convolution layer: (N, C_in, L) -> (N, C_out, Lo), see ``F.conv1d``.

    Example: ``nn.Conv1d(16, 33, 3, stride=2)(latte.randn(20, 16, 50)).shape == (20, 33, 24)``.
    """

    _dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype)
        place(self, device)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        x, padding = self._pad_input(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                        self.groups)


class Conv3d(_ConvNd):
    """3-D convolution layer: (N, C_in, D, H, W) -> (N, C_out, Do, Ho, Wo), see ``F.conv3d``;
    ``weight`` is (C_out, C_in/groups, kd, kh, kw).

    Example::

        >>> nn.Conv3d(3, 8, 3, padding=1)(latte.randn(2, 3, 4, 16, 16)).shape
        latte.Size([2, 8, 4, 16, 16])
    """

    _dims = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, dtype=dtype)
        place(self, device)

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        x, padding = self._pad_input(input)
        return volumetric.conv3d(x, self.weight, self.bias, self.stride, padding, self.dilation,
                                 self.groups)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, output_padding: Any, groups: int, bias: bool, dilation: Any,
                 padding_mode: str, dtype: Any) -> None:
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for '
                             f'{type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not support string padding")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype=dtype)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple:
        """``output_padding``, or the one that gives ``output_size`` (checked to be reachable)."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        output_size = tuple(output_size)[-n:]
        result = []
        for d in range(n):
            smallest = ((input.shape[-n + d] - 1) * self.stride[d] - 2 * self.padding[d]
                        + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            largest = smallest + self.stride[d] - 1
            if not smallest <= output_size[d] <= largest:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes "
                                 f"range from {smallest} to {largest} (for an input of "
                                 f"{tuple(input.shape[-n:])})")
            result.append(output_size[d] - smallest)
        return tuple(result)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: (N, C_in, H, W) -> (N, C_out, Ho, Wo), see
    ``F.conv_transpose2d``; ``weight`` is (C_in, C_out/groups, kh, kw).

    Example::

        >>> up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        >>> up(latte.randn(1, 16, 7, 7)).shape
        latte.Size([1, 8, 14, 14])
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, dtype)
        place(self, device)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        self._check_input(input)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: (N, C_in, L) -> (N, C_out, Lo); weight (C_in, C_out/g, k)."""

    _dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, dtype)
        place(self, device)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        self._check_input(input)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: (N, C_in, D, H, W) -> (N, C_out, Do, Ho, Wo), see
    ``F.conv_transpose3d``; ``weight`` is (C_in, C_out/groups, kd, kh, kw).

    Example::

        >>> nn.ConvTranspose3d(8, 4, 2, stride=2)(latte.randn(1, 8, 2, 4, 4)).shape
        latte.Size([1, 4, 4, 8, 8])
    """

    _dims = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, dtype)
        place(self, device)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        self._check_input(input)
        return volumetric.conv_transpose3d(input, self.weight, self.bias, self.stride,
                                           self.padding, self._output_padding(input, output_size),
                                           self.groups, self.dilation)


class Unfold(Module):
    """Sliding patches: (N, C, H, W) -> (N, C * kh * kw, L), see ``F.unfold``.

    Example: ``nn.Unfold(kernel_size=(2, 3))(latte.randn(2, 5, 3, 4)).shape == (2, 30, 4)``.
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Sum sliding patches into an image: (N, C * kh * kw, L) -> (N, C, H, W), see ``F.fold``.

    Example: ``nn.Fold((4, 5), (2, 2))(latte.randn(1, 12, 12)).shape == (1, 3, 4, 5)``.
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
