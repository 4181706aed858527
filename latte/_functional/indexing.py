"""Indexed writes composed from scatter and index-put ops: ``index_add``, ``index_copy``,
``index_fill``, ``scatter_reduce``, ``masked_scatter``, ``take_along_dim``."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import backend
from latte._functional.common import tensor_like
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops.index import IndexPut, IndexPutZeros
from latte.ops.scan import ScatterReduce

__all__ = ["index_add", "index_copy", "index_fill", "scatter_reduce", "masked_scatter",
           "take_along_dim", "index_put", "put"]


def _flat(index: Any) -> Any:
    """The array of an integer index tensor as 1-D (under its GPU, where CuPy works)."""
    return backend.run_on(index._data, index._data.reshape, -1)


def _along(t: Any, dim: int, index: Any) -> tuple:
    """The key selecting ``index`` (a 1-D integer tensor) along ``dim``."""
    return (slice(None),) * dim + (_flat(index),)


def _check_index_1d(name: str, input: Any, dim: int, index: Any, source: Any = None) -> None:
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index, got {index.dtype}")
    if index.ndim > 1:
        raise RuntimeError(f"{name}(): Index is supposed to be a vector, got shape "
                           f"{tuple(index.shape)}")
    if source is not None:
        want = list(input.shape)
        if want:
            want[dim] = index.numel()
        # a 0-d source stands for one element, as PyTorch reads it
        if list(source.shape) != want and not (source.ndim == 0 and index.numel() == 1
                                               and input.ndim <= 1):
            raise RuntimeError(f"{name}(): source shape {tuple(source.shape)} does not match "
                               f"input shape {tuple(input.shape)} with {index.numel()} indices "
                               f"along dim {dim}")


def as_vectors(input: Any, index: Any, src: Any = None, *, dim: Any = None) -> tuple:
    """PyTorch reads a 0-d input, index or source of gather/scatter as a one-element vector
    (its shape checks use ``max(ndim, 1)``). Returns ``(input, index)`` as vectors, or, given
    ``dim``, the ``(input, 0, index, src)`` arguments of a scatter along the only dim."""
    input._dim(dim if dim is not None else 0)  # the dim must be valid for the 0-d tensor too
    vector = input.reshape(-1) if input.ndim == 0 else input
    indices = index.reshape(-1) if index.ndim == 0 else index
    if dim is None:
        return vector, indices
    if hasattr(src, "_data") and src.ndim == 0:
        src = src.reshape(-1)
    return vector, 0, indices, src


@named_node("IndexAddBackward0")
def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
    """A copy of ``input`` with ``alpha * source`` added at rows ``index`` along ``dim``;
    repeated indices accumulate."""
    d = input._dim(dim) if input.ndim else 0
    _check_index_1d("index_add", input, d, index, source)
    if input.ndim == 0:
        return input + source * alpha * (index.numel())
    if source.ndim == 0:
        source = source.reshape(1)
    front = source.movedim(d, 0)
    shape = (input.shape[d],) + tuple(front.shape[1:])
    added = IndexPutZeros.apply(front, (_flat(index),), shape).movedim(0, d)
    return input + (added if alpha == 1 else added * alpha)


@named_node("IndexCopyBackward0")
def index_copy(input: Any, dim: int, index: Any, source: Any) -> Any:
    """A copy of ``input`` with the rows ``index`` along ``dim`` replaced by ``source``."""
    d = input._dim(dim) if input.ndim else 0
    _check_index_1d("index_copy", input, d, index, source)
    if input.ndim == 0:
        return source.to(input.dtype).reshape(()).clone()
    if source.ndim == 0:
        source = source.reshape(1)
    return IndexPut.apply(input, _along(input, d, index), source.to(input.dtype))


@named_node("IndexFillBackward0")
def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:
    """A copy of ``input`` with ``value`` in the rows ``index`` along ``dim``."""
    d = input._dim(dim) if input.ndim else 0
    _check_index_1d("index_fill", input, d, index)
    if input.ndim == 0:
        # NumPy has no axis to check the index against: PyTorch reads the 0-d input as size 1
        bad = index._data[(index._data < -1) | (index._data > 0)]
        if bad.size:
            raise IndexError(f"index {int(bad.flat[0])} is out of bounds for dimension 0 with "
                             f"size 1")
        return tensor_like(value, input).to(input.dtype).expand(()).clone()
    value = tensor_like(value, input).to(input.dtype)
    return IndexPut.apply(input, _along(input, d, index), value)


@named_node("ScatterReduceBackward0")
def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Any:
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with ``reduce`` in ``'sum'``,
    ``'prod'``, ``'mean'``, ``'amax'``, ``'amin'``; ``include_self=False`` leaves the old
    values out of the reduction where something is scattered."""
    input._check_index(dim, index, "scatter_reduce", src)
    if index.ndim == 0 or input.ndim == 0:
        vector, d, indices, src = as_vectors(input, index, src, dim=dim)
        return scatter_reduce(vector, d, indices, src, reduce,
                              include_self=include_self).reshape(input.shape)
    d = input._dim(dim) if input.ndim else 0
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    src = src.to(input.dtype)
    base = input if include_self else input.scatter(d, index, 0)
    if reduce == "sum":
        return base.scatter_add(d, index, src)
    if reduce == "mean":
        ones = src.new_ones(tuple(index.shape))
        count = ones.new_zeros(tuple(input.shape)).scatter_add(d, index, ones)
        count = count + 1 if include_self else count.where(count > 0, 1)
        total = base.scatter_add(d, index, src)
        if input._data.dtype.kind in "iu":
            return total.div(count, rounding_mode="floor").to(input.dtype)
        return total / count
    return ScatterReduce.apply(input, d, index, src, reduce, include_self)


@named_node("MaskedScatterBackward0")
def masked_scatter(input: Any, mask: Any, source: Any) -> Any:
    """A copy of ``input`` with the elements of ``source``, in order, where ``mask`` holds."""
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    m = mask.expand(shape).reshape(-1)
    # the k-th True takes source element k: a running count, no host round trip for the count
    xp, flat = input._xp(), m._data
    order = function.Tensor(backend.run_on(flat, lambda: xp.clip(xp.cumsum(flat) - 1, 0,
                                                        builtins.max(source.numel() - 1, 0))))
    picked = source.reshape(-1)[order]
    return picked.reshape(shape).where(m.reshape(shape), input.expand(shape))


def take_along_dim(input: Any, indices: Any, dim: Any = None) -> Any:
    """``gather`` with broadcasting: values at ``indices`` along ``dim`` (flattened if None)."""
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    d = input._dim(dim)
    if input.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    a_shape, i_shape = list(input.shape), list(indices.shape)
    a_shape[d] = i_shape[d] = 1
    common = list(np.broadcast_shapes(tuple(a_shape), tuple(i_shape)))
    a_target, i_target = list(common), list(common)
    a_target[d], i_target[d] = input.shape[d], indices.shape[d]
    return input.expand(a_target).gather(d, indices.expand(i_target))


@named_node("IndexPutBackward0")
def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Any:
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (a tuple of index or
    mask tensors); ``accumulate=True`` adds them instead, repeated indices adding up."""
    key = tuple(i._data if isinstance(i, function.Tensor) else i for i in indices)
    values = tensor_like(values, input).to(input.dtype)
    if accumulate:
        return input + IndexPutZeros.apply(values, key, tuple(input.shape))
    return IndexPut.apply(input, key, values)


@named_node("PutBackward0")
def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    """A copy of ``input`` with ``source`` written at the flat positions ``index`` (negative
    ones count from the end), as if ``input`` were 1-D; ``accumulate=True`` adds instead."""
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"put(): Expected a long tensor for index, but got {index.dtype}")
    if index.numel() != source.numel():
        raise RuntimeError(f"put(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.numel()}, "
                           f"index.numel() = {index.numel()}")
    flat_index = index.reshape(-1) % builtins.max(input.numel(), 1)
    flat = index_put(input.reshape(-1), (flat_index,), source.reshape(-1), accumulate)
    return flat.reshape(input.shape)
