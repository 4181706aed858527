"""The out-of-place scatters into a view: ``slice_scatter``, ``select_scatter``,
``diagonal_scatter`` and ``as_strided_scatter`` return ``input`` with one of its views replaced
by ``src``, differentiable in both (a ``ViewPut``, the op in-place writes through views record;
``as_strided_scatter`` an ``index_put`` at the view's flat places)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from latte import backend
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops.index import ViewPut

__all__ = ["slice_scatter", "select_scatter", "diagonal_scatter", "as_strided_scatter"]


def _scatter(input: Any, src: Any, view_fn: Callable) -> Any:
    target = view_fn(input.detach())
    if tuple(src.shape) != tuple(target.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(target.shape)}")
    return ViewPut.apply(input, src._cast(input._data.dtype), view_fn)


@named_node("SliceScatterBackward0")
def slice_scatter(input: Any, src: Any, dim: int = 0, start: Any = None, end: Any = None,
                  step: int = 1) -> Any:
    """``input`` with ``input[start:end:step]`` along ``dim`` replaced by ``src`` (a new
    tensor: ``out = input.clone(); out[..., start:end:step, ...] = src``).

    Example::

        >>> latte.slice_scatter(latte.zeros(3, 2), latte.ones(2, 2), start=0, step=2)
        tensor([[1., 1.],
                [0., 0.],
                [1., 1.]])
    """
    d = input._dim(dim)
    key = (slice(None),) * d + (slice(start, end, step),)
    return _scatter(input, src, lambda t: t[key])


@named_node("SelectScatterBackward0")
def select_scatter(input: Any, src: Any, dim: int, index: int) -> Any:
    """``input`` with the slice ``input.select(dim, index)`` replaced by ``src``.

    Example::

        >>> latte.select_scatter(latte.zeros(2, 2), latte.ones(2), 0, 0)
        tensor([[1., 1.],
                [0., 0.]])
    """
    d = input._dim(dim)
    return _scatter(input, src, lambda t: t.select(d, index))


@named_node("DiagonalScatterBackward0")
def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Any:
    """``input`` with its diagonal ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``.

    Example::

        >>> latte.diagonal_scatter(latte.zeros(2, 2), latte.ones(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    return _scatter(input, src, lambda t: t.diagonal(offset, dim1, dim2))


@named_node("AsStridedScatterBackward0")
def as_strided_scatter(input: Any, src: Any, size: Any, stride: Any,
                       storage_offset: Any = None) -> Any:
    """``input`` with the view ``as_strided(size, stride, storage_offset)`` replaced by
    ``src``; ``stride`` and ``storage_offset`` count elements of input's values laid out
    contiguously (PyTorch reads a non-contiguous input's own layout instead).

    Example::

        >>> latte.as_strided_scatter(latte.zeros(2, 2), latte.ones(2), (2,), (3,))
        tensor([[1., 0.],
                [0., 1.]])
    """
    size, stride = tuple(int(n) for n in size), tuple(int(n) for n in stride)
    offset = 0 if storage_offset is None else int(storage_offset)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if tuple(src.shape) != size:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(size)}")
    # the flat place of each element of the view: known from the geometry alone
    places = np.full(size, offset, dtype=np.int64)
    for k, (n, step) in enumerate(zip(size, stride)):
        along = [1] * len(size)
        along[k] = n
        places = places + (np.arange(n) * step).reshape(along)
    if places.size and (places.min() < 0 or places.max() >= input.numel()):
        raise RuntimeError(f"as_strided_scatter: size {list(size)}, stride {list(stride)} and "
                           f"storage offset {offset} reach outside the {input.numel()} elements "
                           f"of input")
    index = function.Tensor(backend.to_device(places.reshape(-1), input.device))
    flat = input.reshape(-1).index_put((index,), src.reshape(-1)._cast(input._data.dtype))
    return flat.reshape(input.shape)
