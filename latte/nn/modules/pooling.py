"""Pooling layers: max, average, power-average and adaptive pooling in 1-D, 2-D and 3-D (see
``F.max_pool2d``), and max unpooling, their partial inverse."""
from __future__ import annotations

from typing import Any

from latte.nn.functional import lp_pool, unpool, volumetric
from latte.nn.functional import pooling as F
from latte.nn.modules.module import Module
from latte.tensor import Tensor

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "MaxUnpool1d",
           "MaxUnpool2d", "LPPool1d", "LPPool2d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
           "AdaptiveMaxPool3d", "MaxUnpool3d", "LPPool3d"]


def _check_rank(module: Module, input: Any, rank: int) -> None:
    """Name the layer and the shape when the input is not (un)batched ``rank``-D."""
    if not isinstance(input, Tensor) or input.ndim not in (rank - 1, rank):
        got = f"input of shape {tuple(input.shape)}" if isinstance(input, Tensor) \
            else type(input).__name__
        raise RuntimeError(f"{module!r}: expected a {rank - 1}D (unbatched) or {rank}D "
                           f"(batched) input, got {got}")


class _MaxPoolNd(Module):
    _rank = 4

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")

    def forward(self, input: Tensor) -> Any:
        _check_rank(self, input, self._rank)
        fn = {3: F.max_pool1d, 4: F.max_pool2d, 5: volumetric.max_pool3d}[self._rank]
        return fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                  self.ceil_mode, self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over (kh, kw) windows: (N, C, H, W) -> (N, C, Ho, Wo); stride defaults to kernel.

    Example::

        >>> nn.MaxPool2d(2)(latte.randn(64, 32, 28, 28)).shape
        latte.Size([64, 32, 14, 14])
    """


class MaxPool1d(_MaxPoolNd):
    """Max over windows of length k: (N, C, L) -> (N, C, Lo)."""

    _rank = 3


class MaxPool3d(_MaxPoolNd):
    """Max over (kd, kh, kw) windows: (N, C, D, H, W) -> (N, C, Do, Ho, Wo), see
    ``F.max_pool3d``. Example: ``nn.MaxPool3d(2)(latte.randn(1, 4, 8, 8, 8)).shape ==
    (1, 4, 4, 4, 4)``."""

    _rank = 5


class _AvgPoolNd(Module):
    _rank = 4

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, self._rank)
        fn = F.avg_pool2d if self._rank == 4 else volumetric.avg_pool3d
        return fn(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                  self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPoolNd):
    """Mean over (kh, kw) windows: (N, C, H, W) -> (N, C, Ho, Wo), see ``F.avg_pool2d``.

    Example: ``nn.AvgPool2d(2)(latte.randn(1, 3, 8, 8)).shape == (1, 3, 4, 4)``.
    """


class AvgPool3d(_AvgPoolNd):
    """Mean over (kd, kh, kw) windows: (N, C, D, H, W) -> (N, C, Do, Ho, Wo), see
    ``F.avg_pool3d``. Example: ``nn.AvgPool3d(2)(latte.randn(1, 2, 4, 4, 4)).shape ==
    (1, 2, 2, 2, 2)``."""

    _rank = 5


def _single(value: Any) -> tuple:
    return (value,) if isinstance(value, int) else tuple(value)


class AvgPool1d(Module):
    """Mean over windows of length k: (N, C, L) -> (N, C, Lo)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        # PyTorch keeps these as 1-tuples here (and plain values in the 2-D layer)
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 3)
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class _AdaptivePoolNd(Module):
    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Mean over adaptive windows to a fixed (oh, ow); ``AdaptiveAvgPool2d(1)`` is global
    average pooling. Example: ``nn.AdaptiveAvgPool2d((5, 7))(latte.randn(1, 64, 8, 9))``."""

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 4)
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Mean over adaptive windows of (N, C, L) to (N, C, output_size)."""

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 3)
        return F.adaptive_avg_pool1d(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over adaptive windows to a fixed (oh, ow), optionally with indices."""

    def forward(self, input: Tensor) -> Any:
        _check_rank(self, input, 4)
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max over adaptive windows of (N, C, L) to (N, C, output_size), optionally with indices."""

    def forward(self, input: Tensor) -> Any:
        _check_rank(self, input, 3)
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """Mean over adaptive windows of (N, C, D, H, W) to a fixed (od, oh, ow);
    ``AdaptiveAvgPool3d(1)`` is global average pooling (see ``F.adaptive_avg_pool3d``)."""

    def forward(self, input: Tensor) -> Tensor:
        _check_rank(self, input, 5)
        return volumetric.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max over adaptive windows of (N, C, D, H, W) to a fixed (od, oh, ow), optionally with
    indices (see ``F.adaptive_max_pool3d``)."""

    def forward(self, input: Tensor) -> Any:
        _check_rank(self, input, 5)
        return volumetric.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class _MaxUnpoolNd(Module):
    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool2d``: each pooled value goes back to the position its index
    names, zeros elsewhere (see :func:`latte.nn.functional.max_unpool2d`).

    Args:
        kernel_size, stride, padding: those of the ``MaxPool2d`` being undone (stride defaults
            to kernel_size); kept as pairs.

    Shape:
        Input: ``(N, C, H, W)``; output: ``(N, C, Ho, Wo)`` with
            ``Ho = (H - 1) * stride - 2 * padding + kernel_size``, or ``output_size``
            given to ``forward``.

    Example::

        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> unpool(*pool(latte.randn(1, 1, 5, 5)), output_size=(5, 5)).shape
        latte.Size([1, 1, 5, 5])
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride if stride is not None else kernel_size)
        self.padding = _pair(padding)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return unpool.max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding,
                                   output_size)


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool1d``: (N, C, L) values and indices -> (N, C, Lo), zeros
    where no index points; ``Lo = (L - 1) * stride - 2 * padding + kernel_size`` or
    ``output_size``. Example: ``nn.MaxUnpool1d(2)(*nn.MaxPool1d(2, return_indices=True)(x))``.
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return unpool.max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding,
                                   output_size)


class MaxUnpool3d(_MaxUnpoolNd):
    """Partial inverse of ``MaxPool3d``: (N, C, D, H, W) values and indices -> (N, C, Do, Ho,
    Wo), zeros where no index points (see :func:`latte.nn.functional.max_unpool3d`)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = _triple(kernel_size)
        self.stride = _triple(stride if stride is not None else kernel_size)
        self.padding = _triple(padding)

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return unpool.max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding,
                                   output_size)


def _pair(value: Any) -> tuple:
    return (value, value) if isinstance(value, int) else tuple(value)


def _triple(value: Any) -> tuple:
    return (value,) * 3 if isinstance(value, int) else tuple(value)


class _LPPoolNd(Module):
    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool2d(_LPPoolNd):
    """Power-average pooling ``(sum over the window of x^p)^(1/p)`` over (kh, kw) windows; p = 1
    is sum pooling, p = inf max pooling (see :func:`latte.nn.functional.lp_pool2d`).

    Args:
        norm_type: the power ``p``.
        kernel_size: the window, an int or ``(kh, kw)``.
        stride: the step, defaults to ``kernel_size``.
        ceil_mode: round the output size up.

    Shape:
        Input: ``(N, C, H, W)``; output: ``(N, C, Ho, Wo)``, ``Ho = floor((H - kh) / stride) + 1``.

    Example::

        >>> nn.LPPool2d(2, 3, stride=2)(latte.randn(20, 16, 50, 32)).shape
        latte.Size([20, 16, 24, 15])
    """

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool.lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride,
                                 self.ceil_mode)


class LPPool1d(_LPPoolNd):
    """Power-average pooling ``(sum over the window of x^p)^(1/p)`` over windows of length k:
    (N, C, L) -> (N, C, Lo). Example: ``nn.LPPool1d(2, 3, stride=2)(latte.randn(20, 16, 50))``.
    """

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool.lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride,
                                 self.ceil_mode)


class LPPool3d(_LPPoolNd):
    """Power-average pooling ``(sum over the window of x^p)^(1/p)`` over (kd, kh, kw) windows
    of (N, C, D, H, W) (see :func:`latte.nn.functional.lp_pool3d`)."""

    def forward(self, input: Tensor) -> Tensor:
        return lp_pool.lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride,
                                 self.ceil_mode)
