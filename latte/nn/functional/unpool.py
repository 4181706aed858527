"""Max unpooling: the partial inverse of ``max_pool1d/2d/3d``, writing each pooled value back at
the position its index names and zeros everywhere else.

The indices are ``max_pool``'s (``return_indices=True``): the flat position ``h * W + w`` (or
``(d * H + h) * W + w``) of each maximum in its input plane. The result is one scatter into a
zero plane, so its gradient is the matching gather (PyTorch's ``max_unpool2d`` backward).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte._out_argument import _TORCH_NAMES
from latte.autograd.function import named_node
from latte.nn.functional._device import on_input_device
from latte.nn.functional.conv import _ints, _pair, _single, _sizes
from latte.tensor import Tensor

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


def _unpool_size(input: Tensor, kernel: tuple, stride: tuple, padding: tuple,
                 output_size: Any) -> tuple:
    """The spatial output size: PyTorch's default ``(L - 1) * s + k - 2p`` per dim, or a
    requested ``output_size`` (spatial dims, or with ``(N, C)`` in front) within ``s`` of it."""
    rank = len(kernel)
    default = tuple((input.shape[input.ndim - rank + d] - 1) * stride[d] + kernel[d]
                    - 2 * padding[d] for d in range(rank))
    if output_size is None:
        return default
    if len(output_size) == rank + 2:
        output_size = output_size[2:]
    if len(output_size) != rank:
        raise ValueError(f"output_size should be a sequence containing {rank} or {rank + 2} "
                         f"elements, but it has a length of '{len(output_size)}'")
    for d in range(rank):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < output_size[d] < high:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                             f'{low} and {high})')
    return tuple(int(s) for s in output_size)


def _unpool(input: Tensor, indices: Tensor, size: tuple) -> Tensor:
    """Scatter ``input`` (N, C, *pooled) or (C, *pooled) into zero planes (volumes) of ``size``
    at ``indices``."""
    rank = len(size)
    if input.ndim not in (rank + 1, rank + 2):
        raise RuntimeError(f"Input to max_unpooling{rank}d should be a {rank + 1}d or "
                           f"{rank + 2}d Tensor, but got a tensor with {input.ndim} dimensions.")
    if indices._data.dtype != np.int64:
        name = _TORCH_NAMES.get(indices._data.dtype.name, indices._data.dtype.name)
        raise RuntimeError(f"elements in indices should be type int64 but got: {name}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({_sizes(input.shape)}) but got indices tensor with shape: "
                           f"{_sizes(indices.shape)}")
    unbatched = input.ndim == rank + 1
    x = input.unsqueeze(0) if unbatched else input
    n, c = x.shape[:2]
    plane = int(np.prod(size))
    flat = indices.reshape(n, c, -1)
    # checked on the CPU only: on a GPU the check would read back to the host every call (the
    # scatter below still refuses an index outside the plane)
    bad = (flat._data < 0) | (flat._data >= plane) if type(flat._data) is np.ndarray else None
    if bad is not None and bad.any():
        # PyTorch names the first index it meets that lies outside the output plane
        first = int(flat._data.reshape(-1)[int(bad.reshape(-1).argmax())])
        raise RuntimeError(f"Found an invalid max index: {first} (output volumes are of size "
                           f"{'x'.join(map(str, size))})")
    zeros = Tensor(x._xp().zeros((n, c, plane), dtype=x._data.dtype))
    out = zeros.scatter(2, flat, x.reshape(n, c, -1)).reshape(n, c, *size)
    return out.squeeze(0) if unbatched else out


@named_node("MaxUnpool2DBackward0")
@on_input_device
def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Partial inverse of ``max_pool2d``: (N, C, H, W) values and indices -> (N, C, Ho, Wo).

    Each value goes to the flat position ``h * Wo + w`` its index names; every other output is
    0. ``Ho = (H - 1) * stride - 2 * padding + kernel_size`` unless ``output_size`` (which may
    include ``(N, C)``) asks for a size within ``stride`` of it, to undo a ceil-mode or odd
    input size.

    Args:
        input: the pooled values, ``(N, C, H, W)`` or ``(C, H, W)``.
        indices: ``max_pool2d(..., return_indices=True)``'s int64 indices, same shape.
        kernel_size, stride, padding: those of the pooling (stride defaults to kernel_size).
        output_size: the size to restore, ``(Ho, Wo)`` or ``(N, C, Ho, Wo)``.

    Shape:
        Input: ``(N, C, H, W)``; output: ``(N, C, Ho, Wo)``; ``(C, H, W)`` -> ``(C, Ho, Wo)``.

    Example::

        >>> x = latte.randn(1, 1, 4, 4)
        >>> out, idx = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(out, idx, 2).shape
        latte.Size([1, 1, 4, 4])
    """
    kernel = _pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _pair(stride, "stride")
    size = _unpool_size(input, kernel, stride, _pair(padding, "padding"), output_size)
    return _unpool(input, indices, size)


@on_input_device
def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Partial inverse of ``max_pool1d``: (N, C, L) values and indices -> (N, C, Lo).

    ``Lo = (L - 1) * stride - 2 * padding + kernel_size`` unless ``output_size`` says otherwise
    (within ``stride``); runs as ``max_unpool2d`` on a trailing dim of 1, as PyTorch.

    Args:
        input: the pooled values, ``(N, C, L)`` or ``(C, L)``.
        indices: ``max_pool1d(..., return_indices=True)``'s int64 indices, same shape.
        kernel_size, stride, padding: those of the pooling (stride defaults to kernel_size).
        output_size: the size to restore, ``(Lo,)`` or ``(N, C, Lo)``.

    Shape:
        Input: ``(N, C, L)``; output: ``(N, C, Lo)``; ``(C, L)`` -> ``(C, Lo)``.

    Example::

        >>> out, idx = F.max_pool1d(latte.randn(1, 2, 6), 2, return_indices=True)
        >>> F.max_unpool1d(out, idx, 2).shape
        latte.Size([1, 2, 6])
    """
    k = _single(kernel_size, "kernel_size")
    s = k if stride is None else _single(stride, "stride")
    (size,) = _unpool_size(input, (k,), (s,), (_single(padding, "padding"),), output_size)
    return _unpool(input.unsqueeze(-1), indices.unsqueeze(-1), (size, 1)).squeeze(-1)


@named_node("MaxUnpool3DBackward0")
@on_input_device
def max_unpool3d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Partial inverse of ``max_pool3d``: (N, C, D, H, W) values and indices -> (N, C, Do, Ho,
    Wo), each value at the flat position ``(d * Ho + h) * Wo + w`` its index names and zeros
    elsewhere; sizes as ``max_unpool2d``'s per dim (or ``output_size``).

    Example::

        >>> out, idx = F.max_pool3d(latte.randn(1, 1, 4, 4, 4), 2, return_indices=True)
        >>> F.max_unpool3d(out, idx, 2).shape
        latte.Size([1, 1, 4, 4, 4])
    """
    kernel = _ints(kernel_size, 3, "kernel_size")
    stride = kernel if stride is None else _ints(stride, 3, "stride")
    size = _unpool_size(input, kernel, stride, _ints(padding, 3, "padding"), output_size)
    return _unpool(input, indices, size)
