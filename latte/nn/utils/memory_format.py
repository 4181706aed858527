"""``convert_conv2d_weight_memory_format`` / ``convert_conv3d_weight_memory_format``.

PyTorch rewrites convolution weights in a memory format (``channels_last``) for its kernels.
Latte keeps every tensor row-major and picks the layout inside its kernels, so these return the
module unchanged, after checking their arguments, so that scripts calling them run.
"""
from __future__ import annotations

from typing import Any

from latte import dtypes

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _checked(module: Any, memory_format: Any) -> Any:
    if not isinstance(memory_format, dtypes.memory_format):
        raise TypeError(f"memory_format must be a latte.memory_format, got "
                        f"{type(memory_format).__name__}")
    return module


def convert_conv2d_weight_memory_format(module: Any, memory_format: Any) -> Any:
    """``module`` itself: Latte chooses the memory layout of convolutions internally."""
    return _checked(module, memory_format)


def convert_conv3d_weight_memory_format(module: Any, memory_format: Any) -> Any:
    """``module`` itself: Latte chooses the memory layout of convolutions internally."""
    return _checked(module, memory_format)
