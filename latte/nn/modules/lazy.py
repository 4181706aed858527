"""Lazy layers: ``LazyLinear``, ``LazyConv1d/2d/3d``, ``LazyConvTranspose1d/2d/3d``,
``LazyBatchNorm1d/2d/3d`` and ``LazyInstanceNorm1d/2d/3d`` infer their input size (features or
channels) from the first input they see.

Until then their weights are ``UninitializedParameter`` placeholders. The first forward gives
them their shapes (in place: an optimizer built before holds the same objects), initialises
them as the eager layer would, and turns the module into that layer (``LazyLinear`` becomes a
``Linear``), as PyTorch does.
"""
from __future__ import annotations

import itertools
from typing import Any

from latte import creation, dtypes
from latte.nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from latte.nn.modules.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from latte.nn.modules.linear import Linear
from latte.nn.modules.normalization import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from latte.nn.parameter import UninitializedBuffer, UninitializedParameter
from latte.tensor import Tensor

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """Mixin of the lazy layers: ``initialize_parameters(*inputs)`` runs before the first
    forward (a forward pre-hook), then the module becomes ``cls_to_become``.

    A ``load_state_dict`` before the first forward gives the placeholders the checkpoint's
    shapes instead.
    """

    cls_to_become: type | None = None

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters)

    def has_uninitialized_params(self: Any) -> bool:
        """Whether a parameter or buffer of this module is still a placeholder."""
        tensors = itertools.chain(self._parameters.values(), self._buffers.values())
        return any(isinstance(t, (UninitializedParameter, UninitializedBuffer)) for t in tensors)

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        """Give the placeholders their shapes from the first input (each layer's own)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")


def _infer_parameters(module: Any, args: tuple) -> None:
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dim of its first input.

    Example::

        >>> fc = nn.LazyLinear(10)
        >>> fc(latte.randn(4, 20)).shape, type(fc).__name__
        (latte.Size([4, 10]), 'Linear')
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(0, 0, False)
        self.out_features = out_features
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        """``Linear``'s initialisation, once the weight has its shape."""
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        """``in_features = input.shape[-1]``."""
        if not self.has_uninitialized_params():  # loaded from a checkpoint
            self.in_features = self.weight.shape[1]
            return
        self.in_features = input.shape[-1]
        self.weight.materialize((self.out_features, self.in_features))
        if self.bias is not None:
            self.bias.materialize((self.out_features,))
        self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """The shared part of the lazy convolutions: ``in_channels`` from the first input."""

    def __init__(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        # zero channels and no bias until the first input (PyTorch's lazy layers too)
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, dtype=dtype)
        self._placeholders(out_channels, bias, device, dtype)

    def _placeholders(self: Any, out_channels: int, bias: bool, device: Any,
                      dtype: Any) -> None:
        self.out_channels = out_channels
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self: Any) -> None:
        """The convolution's initialisation, once the weight has its shape."""
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self: Any, input: Tensor, *args: Any) -> None:
        """``in_channels`` is the first input's channel dim (dim 0 when unbatched)."""
        if not self.has_uninitialized_params():  # loaded from a checkpoint
            groups = 1 if self._transposed else self.groups
            self.in_channels = self.weight.shape[0 if self._transposed else 1] * groups
            return
        self.in_channels = input.shape[0 if input.dim() == self._dims + 1 else 1]
        if self.in_channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize(shape + tuple(self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class _LazyConvTransposeMixin(_LazyConvMixin):
    def __init__(self: Any, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1, bias: bool = True,
                 dilation: Any = 1, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, stride, padding, output_padding,
                                 groups, False, dilation, padding_mode, dtype=dtype)
        self._placeholders(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConvMixin, Conv1d):
    """``Conv1d`` whose ``in_channels`` is the channel dim of its first input; it takes
    ``Conv1d``'s other arguments. Example: ``nn.LazyConv1d(8, 3)(latte.randn(2, 4, 10))``."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvMixin, Conv2d):
    """``Conv2d`` whose ``in_channels`` is the channel dim of its first input; it takes
    ``Conv2d``'s other arguments.

    Example::

        >>> conv = nn.LazyConv2d(16, 3, padding=1)
        >>> conv(latte.randn(2, 3, 8, 8)).shape, conv.weight.shape
        (latte.Size([2, 16, 8, 8]), latte.Size([16, 3, 3, 3]))
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvMixin, Conv3d):
    """``Conv3d`` whose ``in_channels`` is the channel dim of its first input; it takes
    ``Conv3d``'s other arguments."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTransposeMixin, ConvTranspose1d):
    """``ConvTranspose1d`` whose ``in_channels`` is the channel dim of its first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeMixin, ConvTranspose2d):
    """``ConvTranspose2d`` whose ``in_channels`` is the channel dim of its first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeMixin, ConvTranspose3d):
    """``ConvTranspose3d`` whose ``in_channels`` is the channel dim of its first input."""

    cls_to_become = ConvTranspose3d


class _LazyNormMixin(LazyModuleMixin):
    """The shared part of the lazy batch and instance norms: ``num_features`` from the first
    input; the affine parameters and running statistics wait as placeholders."""

    def __init__(self: Any, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        # PyTorch's lazy instance norms take these defaults too (the eager ones: False, False)
        super().__init__(0, eps, momentum, False, False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.register_buffer("running_mean", UninitializedBuffer(device=device, dtype=dtype))
            self.register_buffer("running_var", UninitializedBuffer(device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked",
                                 creation.tensor(0, dtype=dtypes.int64, device=device))

    def reset_parameters(self: Any) -> None:
        """The norm's initialisation, once its state has its shape."""
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self: Any, input: Tensor, *args: Any) -> None:
        """``num_features`` is the first input's channel dim (dim 0 of an unbatched input of an
        instance norm)."""
        if not self.has_uninitialized_params():  # loaded from a checkpoint
            state = self.weight if self.weight is not None else self.running_mean
            if state is not None:  # else nothing has a size (PyTorch keeps 0 too)
                self.num_features = state.shape[0]
            return
        unbatched = input.dim() == getattr(self, "_spatial", -1) + 1
        self.num_features = input.shape[0 if unbatched else 1]
        for name in ("weight", "bias", "running_mean", "running_var"):
            tensor = getattr(self, name)
            if tensor is not None:
                tensor.materialize((self.num_features,))
        self.reset_parameters()


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """``BatchNorm1d`` whose ``num_features`` is the channel dim of its first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """``BatchNorm2d`` whose ``num_features`` is the channel dim of its first input.

    Example::

        >>> bn = nn.LazyBatchNorm2d()
        >>> bn(latte.randn(4, 3, 5, 5)).shape, bn.running_mean.shape
        (latte.Size([4, 3, 5, 5]), latte.Size([3]))
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """``BatchNorm3d`` whose ``num_features`` is the channel dim of its first input."""

    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNormMixin, InstanceNorm1d):
    """``InstanceNorm1d`` whose ``num_features`` is the channel dim of its first input."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNormMixin, InstanceNorm2d):
    """``InstanceNorm2d`` whose ``num_features`` is the channel dim of its first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNormMixin, InstanceNorm3d):
    """``InstanceNorm3d`` whose ``num_features`` is the channel dim of its first input."""

    cls_to_become = InstanceNorm3d
