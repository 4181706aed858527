"""Padding layers over :func:`latte.nn.functional.pad`: constant (zero), reflect, replicate and
circular, for 1, 2 or 3 trailing dims.

The classes differ only in their mode and dim count: ``_padding`` builds each on one of two
bases, ``_PadNd`` or ``_ConstantPadNd`` (which adds the fill ``value``); ZeroPad2d, with its
example, is written out."""
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


def _padding(name: str, dims: int, base: type[_PadNd], mode: str, what: str) -> type[_PadNd]:
    """The class ``name``: ``what`` padding of the last ``dims`` dims."""
    doc = f"{what} padding of the last {dims} dim{'s' if dims > 1 else ''}."
    return type(name, (base,), {"__doc__": doc, "__module__": __name__, "__qualname__": name,
                                "_dims": dims, "_mode": mode})


class ZeroPad2d(_PadNd):
    """Zero padding of the last 2 dims: ``(N, C, H, W)`` with ``padding=(left, right, top,
    bottom)`` gives ``(N, C, H + top + bottom, W + left + right)``.

    Example::

        >>> nn.ZeroPad2d((1, 1, 2, 0))(latte.ones(1, 1, 3, 3)).shape
        latte.Size([1, 1, 5, 5])
    """

    _dims = 2


_ZERO = "Zero"
_CONSTANT = "Constant (``value``)"
_REFLECT = "Mirror (edge excluded)"
_REPLICATE = "Edge-repeating"
_CIRCULAR = "Wrap-around"

ZeroPad1d = _padding("ZeroPad1d", 1, _PadNd, "constant", _ZERO)
ZeroPad3d = _padding("ZeroPad3d", 3, _PadNd, "constant", _ZERO)
ConstantPad1d = _padding("ConstantPad1d", 1, _ConstantPadNd, "constant", _CONSTANT)
ConstantPad2d = _padding("ConstantPad2d", 2, _ConstantPadNd, "constant", _CONSTANT)
ConstantPad3d = _padding("ConstantPad3d", 3, _ConstantPadNd, "constant", _CONSTANT)
ReflectionPad1d = _padding("ReflectionPad1d", 1, _PadNd, "reflect", _REFLECT)
ReflectionPad2d = _padding("ReflectionPad2d", 2, _PadNd, "reflect", _REFLECT)
ReflectionPad3d = _padding("ReflectionPad3d", 3, _PadNd, "reflect", _REFLECT)
ReplicationPad1d = _padding("ReplicationPad1d", 1, _PadNd, "replicate", _REPLICATE)
ReplicationPad2d = _padding("ReplicationPad2d", 2, _PadNd, "replicate", _REPLICATE)
ReplicationPad3d = _padding("ReplicationPad3d", 3, _PadNd, "replicate", _REPLICATE)
CircularPad1d = _padding("CircularPad1d", 1, _PadNd, "circular", _CIRCULAR)
CircularPad2d = _padding("CircularPad2d", 2, _PadNd, "circular", _CIRCULAR)
CircularPad3d = _padding("CircularPad3d", 3, _PadNd, "circular", _CIRCULAR)
