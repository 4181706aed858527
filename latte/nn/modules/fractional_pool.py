"""``FractionalMaxPool2d`` and ``FractionalMaxPool3d``."""
from __future__ import annotations

from typing import Any

from latte.nn.functional.conv import _ints
from latte.nn.functional.fractional_pool import fractional_max_pool2d, fractional_max_pool3d
from latte.nn.modules.module import Module
from latte.tensor import Tensor

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class _FractionalMaxPoolNd(Module):
    _d = 2

    def __init__(self, kernel_size: Any, output_size: Any = None, output_ratio: Any = None,
                 return_indices: bool = False, _random_samples: Tensor | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if self._d == 3 and any(k <= 0 for k in _ints(kernel_size, 3, "kernel_size")):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = _ints(kernel_size, self._d, "kernel_size")
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = (_ints(output_size, self._d, "output_size")
                            if output_size is not None else None)
        self.output_ratio = (tuple(float(r) for r in _ratio_tuple(output_ratio, self._d))
                             if output_ratio is not None else None)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling "
                             f"ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Any:
        fn = fractional_max_pool2d if self._d == 2 else fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio,
                  self.return_indices, _random_samples=self._random_samples)


def _ratio_tuple(value: Any, d: int) -> tuple:
    if isinstance(value, (int, float)):
        return (value,) * d
    return tuple(value)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """2-D fractional max pooling of ``(N, C, H, W)``: ``kernel_size`` windows at
    pseudo-random steps, to ``output_size`` or ``output_ratio`` of the input; see
    :func:`latte.nn.functional.fractional_max_pool2d`.

    Example::

        >>> pool = nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))
        >>> pool(latte.randn(1, 2, 10, 10)).shape
        latte.Size([1, 2, 5, 5])
    """

    _d = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """3-D fractional max pooling of ``(N, C, T, H, W)``; see
    :func:`latte.nn.functional.fractional_max_pool3d`.

    Example::

        >>> pool = nn.FractionalMaxPool3d(2, output_size=(3, 3, 3))
        >>> pool(latte.randn(1, 2, 6, 6, 6)).shape
        latte.Size([1, 2, 3, 3, 3])
    """

    _d = 3
