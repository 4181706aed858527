"""Padding layers over :func:`latte.nn.functional.pad`: constant (zero), reflect, replicate and
circular, for 1, 2 or 3 trailing dims."""
from __future__ import annotations

from typing import Any

from latte.nn.functional.misc import pad
from latte.nn.modules.module import Module
from latte.tensor import Tensor

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """``padding``: one int for every side, or ``(left, right[, top, bottom[, front, back]])``."""

    _dims = 1
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        n = 2 * self._dims
        if isinstance(padding, int):
            padding = (padding,) * n
        if len(padding) != n:
            raise ValueError(f"{type(self).__name__}: expected padding of {n} ints, got "
                             f"{padding!r}")
        self.padding = tuple(padding)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad1d(_PadNd):
    """Zero padding of the last 1 dim."""

    _dims = 1


class ZeroPad2d(_PadNd):
    """Zero padding of the last 2 dims: ``(N, C, H, W)`` with ``padding=(left, right, top,
    bottom)`` gives ``(N, C, H + top + bottom, W + left + right)``.

    Example::

        >>> nn.ZeroPad2d((1, 1, 2, 0))(latte.ones(1, 1, 3, 3)).shape
        latte.Size([1, 1, 5, 5])
    """

    _dims = 2


class ZeroPad3d(_PadNd):
    """Zero padding of the last 3 dims."""

    _dims = 3


class ConstantPad1d(_ConstantPadNd):
    """Constant (``value``) padding of the last 1 dim."""

    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Constant (``value``) padding of the last 2 dims."""

    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Constant (``value``) padding of the last 3 dims."""

    _dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror (edge excluded) padding of the last 1 dim."""

    _dims = 1
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    """Mirror (edge excluded) padding of the last 2 dims."""

    _dims = 2
    _mode = "reflect"


class ReflectionPad3d(_PadNd):
    """Mirror (edge excluded) padding of the last 3 dims."""

    _dims = 3
    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Edge-repeating padding of the last 1 dim."""

    _dims = 1
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    """Edge-repeating padding of the last 2 dims."""

    _dims = 2
    _mode = "replicate"


class ReplicationPad3d(_PadNd):
    """Edge-repeating padding of the last 3 dims."""

    _dims = 3
    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Wrap-around padding of the last 1 dim."""

    _dims = 1
    _mode = "circular"


class CircularPad2d(_PadNd):
    """Wrap-around padding of the last 2 dims."""

    _dims = 2
    _mode = "circular"


class CircularPad3d(_PadNd):
    """Wrap-around padding of the last 3 dims."""

    _dims = 3
    _mode = "circular"
