"""Power-average pooling: ``(sum over the window of x^p)^(1/p)``, in 1-D, 2-D and 3-D.

Computed as PyTorch does, so values and gradients agree with it for any input sign: the window
sum is ``avg_pool(x^p) * kernel_area``, passed through ``sign(s) * relu(|s|)`` first (a zero sum
then gets a zero gradient before the root). ``p = inf`` is max pooling of ``|x|``.
"""
from __future__ import annotations

from typing import Any

from latte.autograd.function import named_node
from latte.nn.functional.activation import relu
from latte.nn.functional.conv import _ints, _pair, _single
from latte.nn.functional.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from latte.nn.functional.volumetric import avg_pool3d, max_pool3d
from latte.tensor import Tensor

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]

_INF = float("inf")


def _root(window_mean: Tensor, area: int, norm_type: float) -> Tensor:
    """``(window_mean * area)^(1/p)`` with PyTorch's sign-relu guard on the sum."""
    guarded = window_mean.sign() * relu(window_mean.abs())
    return (guarded * area).pow(1.0 / norm_type)


def _node_name(input: Tensor, norm_type: float, *args: Any, **kwargs: Any) -> str | None:
    return None if norm_type in (_INF, -_INF) else "PowBackward0"


@named_node(_node_name)
def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (kh, kw) windows: ``(sum x^p)^(1/p)`` per window.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        norm_type: the power ``p`` (``inf`` gives max pooling of ``|x|``).
        kernel_size: the window, an int or ``(kh, kw)``.
        stride: the step, defaults to ``kernel_size``.
        ceil_mode: round the output size up (a last partial window counts what it covers).

    Shape:
        Input: ``(N, C, H, W)``; output: ``(N, C, Ho, Wo)``, sizes as ``avg_pool2d``
            without padding.

    Example::

        >>> F.lp_pool2d(latte.ones(1, 1, 4, 4), 2, 2)
        tensor([[[[2., 2.],
                  [2., 2.]]]])
    """
    kh, kw = _pair(kernel_size, "kernel_size")
    if norm_type == _INF:
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -_INF:
        return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    mean = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _root(mean, kh * kw, norm_type)


@named_node(_node_name)
def lp_pool1d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over windows of length k: ``(sum x^p)^(1/p)`` per window.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        norm_type: the power ``p`` (``inf`` gives max pooling of ``|x|``).
        kernel_size: the window length.
        stride: the step, defaults to ``kernel_size``.
        ceil_mode: round the output size up (a last partial window counts what it covers).

    Shape:
        Input: ``(N, C, L)``; output: ``(N, C, Lo)``, sizes as ``avg_pool1d`` without padding.

    Example::

        >>> F.lp_pool1d(latte.tensor([[3.0, 4.0]]), 2, 2)
        tensor([[5.]])
    """
    k = _single(kernel_size, "kernel_size")
    if norm_type == _INF:
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -_INF:
        return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    mean = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _root(mean, k, norm_type)


@named_node(_node_name)
def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (kd, kh, kw) windows: ``(sum x^p)^(1/p)`` per window of
    ``(N, C, D, H, W)``; sizes as ``avg_pool3d`` without padding.

    Example: ``F.lp_pool3d(latte.ones(1, 1, 2, 2, 2), 2, 2)`` is ``sqrt(8)``.
    """
    kd, kh, kw = _ints(kernel_size, 3, "kernel_size")
    if norm_type == _INF:
        return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -_INF:
        return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    mean = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return _root(mean, kd * kh * kw, norm_type)
