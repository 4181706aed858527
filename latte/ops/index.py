"""Indexing primitives: ``a[index]``, writes into an index, gather and scatter."""
from __future__ import annotations

from typing import Any

from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import array_on, get_array_module


def save_index(ctx: Any, index: Any) -> None:
    """Save ``index`` for backward: its arrays through ``save_for_backward`` (so they are freed
    after backward), the rest (ints, slices, None, Ellipsis) as ``ctx.index``."""
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [i for i in parts if hasattr(i, "shape")]
    if not arrays:
        ctx.index = index
        return
    ctx.index = (isinstance(index, tuple),
                 tuple(None if hasattr(i, "shape") else (i,) for i in parts))
    ctx.save_for_backward(*arrays)


def saved_index(ctx: Any, saved: tuple) -> Any:
    """The index ``save_index`` kept, rebuilt from the saved tensors ``saved``."""
    if not saved:
        return ctx.index
    is_tuple, template = ctx.index
    arrays = iter(t._data for t in saved)
    parts = tuple(next(arrays) if p is None else p[0] for p in template)
    return parts if is_tuple else parts[0]


def is_basic(index: tuple) -> bool:
    """True when ``index`` uses only ints, slices, None and Ellipsis (so ``a[index]`` is a view)."""
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in index)


class GetItem(Op):
    """``a[index]`` for a basic index (ints, slices, None, ...): a view of ``a``."""

    is_view = True

    def node_name_for(ctx):
        # PyTorch indexes one entry after another: the last that does something names the node
        for entry in reversed(ctx.index):
            if isinstance(entry, slice) and entry == slice(None) or entry is Ellipsis:
                continue
            if hasattr(entry, "shape") and entry.ndim:
                return "IndexBackward0"  # an index or mask array
            return ("UnsqueezeBackward0" if entry is None else "SliceBackward0"
                    if isinstance(entry, slice) else "SelectBackward0")
        return "AliasBackward0"

    def forward(ctx, a, index):
        ctx.index, ctx.shape = index, a.shape
        if Ellipsis not in index:
            # ``a[0, ...]`` is a 0-d view where ``a[0]`` would be a detached NumPy scalar
            index = index + (Ellipsis,)
        return a[index]

    def backward(ctx, grad):
        index = saved_index(ctx, ctx.saved_tensors)
        return IndexPutZeros.apply(grad, index, ctx.shape), None


class GetItemCopy(GetItem):
    """``a[index]`` for an advanced index (integer arrays, masks): a copy, not a view."""
    node_name = "IndexBackward0"  # PyTorch's name of the node
    node_name_for = None  # always IndexBackward0, whatever the index holds

    is_view = False

    def forward(ctx, a, index):
        ctx.shape = a.shape
        save_index(ctx, index)
        return a[index]


class IndexPutZeros(Op):
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices accumulate)."""

    def forward(ctx, values, index, shape):
        xp = get_array_module(values)
        save_index(ctx, index)
        out = xp.zeros(shape, dtype=values.dtype)
        if is_basic(index if isinstance(index, tuple) else (index,)):
            out[index] = values
        else:
            xp.add.at(out, index, values)
        return out

    def backward(ctx, grad):
        return grad[saved_index(ctx, ctx.saved_tensors)], None, None


class IndexPut(Op):
    """``a`` with ``a[index] = values`` applied, out of place (``__setitem__`` builds on it)."""

    def forward(ctx, a, index, values):
        save_index(ctx, index)
        ctx.values_shape = values.shape if hasattr(values, "shape") else ()
        out = a.copy()
        out[index] = values
        return out

    def backward(ctx, grad):
        need_a = ctx.needs_input_grad[0]
        need_values = ctx.needs_input_grad[2]
        index = saved_index(ctx, ctx.saved_tensors)
        grad_a = None
        if need_a:
            keep = array_on(grad._data, "ones", grad.shape, dtype=bool)
            keep[index] = False
            grad_a = grad * function.Tensor(keep)
        grad_values = None
        if need_values:
            grad_values = grad[index].sum_to_size(ctx.values_shape)
        return grad_a, None, grad_values


class ViewPut(Op):
    """``base`` with its view ``view_fn(base)`` replaced by ``values``, out of place: how an
    in-place write through a view rewrites the base's history (PyTorch's ``CopySlices``)."""
    node_name = "CopySlices"  # PyTorch's name of the node

    def forward(ctx, base, values, view_fn):
        ctx.view_fn, ctx.shape = view_fn, base.shape
        out = base.copy()
        view_fn(function.Tensor(out))._data[...] = values
        return out

    def backward(ctx, grad):
        grad_base = grad_values = None
        if ctx.needs_input_grad[0]:
            keep = array_on(grad._data, "ones", ctx.shape, dtype=bool)
            ctx.view_fn(function.Tensor(keep))._data[...] = False
            grad_base = grad * function.Tensor(keep)
        if ctx.needs_input_grad[1]:
            grad_values = ctx.view_fn(grad)
        return grad_base, grad_values, None


class Gather(Op):
    """``out[i][j] = a[i][index[i][j]]`` along ``dim`` (``torch.gather``)."""

    def forward(ctx, a, dim, index):
        ctx.dim, ctx.shape = dim, a.shape
        ctx.save_for_backward(index)
        # as in PyTorch, index may be smaller than ``a`` in the other dims: use the leading block
        block = tuple(slice(None) if i == dim else slice(0, s) for i, s in enumerate(index.shape))
        return get_array_module(a).take_along_axis(a[block], index, axis=dim)

    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        return ScatterAdd.apply(grad.new_zeros(ctx.shape), ctx.dim, index, grad), None, None


def open_grids(xp: Any, shape: tuple) -> list:
    """``xp.indices(shape, sparse=True)`` built by hand: cupy.indices has no ``sparse=``."""
    n = len(shape)
    return [xp.arange(s).reshape((1,) * i + (s,) + (1,) * (n - i - 1))
            for i, s in enumerate(shape)]


def _scatter_positions(xp: Any, index: Any, dim: int) -> tuple:
    """Full coordinate arrays addressing ``out[..., index, ...]`` for scatter along ``dim``."""
    grids = open_grids(xp, index.shape)
    grids[dim] = index
    return tuple(grids)


class ScatterAdd(Op):
    """``a`` plus ``src`` added at ``index`` along ``dim`` (``torch.scatter_add``)."""

    def forward(ctx, a, dim, index, src):
        xp = get_array_module(a)
        ctx.dim, ctx.src_shape = dim, src.shape
        ctx.save_for_backward(index)
        out = a.copy()
        src = src[tuple(slice(0, s) for s in index.shape)]
        xp.add.at(out, _scatter_positions(xp, index, dim), src)
        return out

    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_src = None
        if ctx.needs_input_grad[3]:
            grad_src = _pad_to(grad.gather(ctx.dim, index), ctx.src_shape)
        return grad, None, None, grad_src


class Scatter(Op):
    """``a`` with ``src`` written at ``index`` along ``dim``; ``src`` may be a Python number."""

    def node_name_for(ctx):
        return "ScatterBackward0" if ctx.src_is_tensor else "ScatterBackward1"

    def forward(ctx, a, dim, index, src):
        xp = get_array_module(a)
        ctx.dim, ctx.src_shape = dim, getattr(src, "shape", ())
        ctx.src_is_tensor = hasattr(src, "shape")
        ctx.save_for_backward(index)
        out = a.copy()
        if hasattr(src, "shape") and src.ndim:
            src = src[tuple(slice(0, s) for s in index.shape)]
        out[_scatter_positions(xp, index, dim)] = src
        return out

    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        grad_a = grad.scatter(ctx.dim, index, 0.0) if ctx.needs_input_grad[0] else None
        grad_src = None
        if len(ctx.needs_input_grad) > 3 and ctx.needs_input_grad[3]:
            grad_src = _pad_to(grad.gather(ctx.dim, index), ctx.src_shape)
        return grad_a, None, None, grad_src


def _pad_to(grad: Any, shape: tuple) -> Any:
    """Place a gradient for the leading ``index``-shaped block of a larger ``src`` (zeros after)."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    return IndexPutZeros.apply(grad, tuple(slice(0, s) for s in grad.shape), shape)
