"""Shape primitives: reshape, permute, expand, concatenate, pad, flip and roll.

Reshape, permute and expand return views of their input where the backend can; those share the
input's version counter (``is_view``) so an in-place write through either one is noticed. A
reshape that had to copy (a non-contiguous input) is a new tensor, as PyTorch's: it keeps a
counter of its own, so writing into it never invalidates what the input's graph saved.
"""
from __future__ import annotations

from typing import Any

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.index import GetItemCopy, IndexPutZeros


class Reshape(Op):
    is_view = True

    def node_name_for(ctx):
        return "ViewBackward0" if ctx.is_view else "UnsafeViewBackward0"

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        out = a.reshape(shape)
        if not get_array_module(a).may_share_memory(out, a):
            ctx.is_view = False  # the backend copied: Op.apply then gives out its own counter
        return out

    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Op):
    is_view = True

    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    def backward(ctx, grad):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return grad.permute(*inverse), None


class Expand(Op):
    """Broadcast to a larger shape without copying; the engine sums the gradient back."""

    is_view = True

    def forward(ctx, a, shape):
        return get_array_module(a).broadcast_to(a, shape)

    def backward(ctx, grad):
        return grad, None


class Cat(Op):
    """Concatenate along ``dim``: ``Cat.apply(dim, *tensors)``."""

    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return get_array_module(*arrays).concatenate(arrays, axis=dim)

    def backward(ctx, grad):
        grads = [None]
        start = 0
        for size, need in zip(ctx.sizes, ctx.needs_input_grad[1:]):
            grads.append(grad.narrow(ctx.dim, start, size) if need else None)
            start += size
        return tuple(grads)




class ConstantPad(Op):
    """Pad with a constant; ``pads`` lists non-negative (before, after) pairs, first dim first."""
    node_name = "ConstantPadNdBackward0"  # PyTorch's name of the node

    def forward(ctx, a, pads, value):
        ctx.crop = tuple(slice(lo, a.shape[i] + lo) for i, (lo, _) in enumerate(pads))
        return get_array_module(a).pad(a, pads, mode="constant", constant_values=value)

    def backward(ctx, grad):
        return grad[ctx.crop], None, None


class Flip(Op):
    def forward(ctx, a, dims):
        ctx.dims = dims
        return get_array_module(a).flip(a, axis=dims).copy()

    def backward(ctx, grad):
        return grad.flip(ctx.dims), None


class Roll(Op):
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return get_array_module(a).roll(a, shifts, axis=dims)

    def backward(ctx, grad):
        negated = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) \
            else -ctx.shifts
        return grad.roll(negated, ctx.dims), None, None


# --- strided views: as_strided, diagonal, unfold ----------------------------------------------
def _strided(xp: Any, a: Any, shape: tuple, strides: tuple) -> Any:
    """A writable view of ``a``'s memory with ``strides`` in bytes, from ``a``'s first element."""
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def storage_root(a: Any) -> Any:
    """The array that owns ``a``'s memory (a tensor's storage, in PyTorch's words)."""
    while getattr(a, "base", None) is not None and hasattr(a.base, "strides"):
        a = a.base
    return a


def _pointer(a: Any) -> int:
    if hasattr(a, "__array_interface__"):
        return a.__array_interface__["data"][0]
    return int(a.data.ptr)


def storage_offset(a: Any) -> int:
    """The element offset of ``a``'s first element in its storage."""
    return (_pointer(a) - _pointer(storage_root(a))) // a.itemsize


def _storage_flat(a: Any) -> Any:
    """The storage of ``a`` as one flat view in memory order."""
    root = storage_root(a)
    if root.flags.c_contiguous:
        return root.reshape(-1)
    if root.flags.f_contiguous:
        return root.T.reshape(-1)
    raise RuntimeError("as_strided: the tensor's storage is not one contiguous block")


def _positions(xp: Any, shape: tuple, strides: tuple, offset: int) -> Any:
    """The storage index of every element of a strided view, as an array of ``shape``."""
    pos = xp.full(shape, offset, dtype=xp.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        pos += (xp.arange(n, dtype=xp.int64) * s).reshape((1,) * d + (n,)
                                                           + (1,) * (len(shape) - d - 1))
    return pos


class AsStrided(Op):
    """``a``'s storage seen with ``size``, ``stride`` (in elements) from ``offset``.

    Backward (PyTorch's ``as_strided_backward`` for inputs whose elements do not overlap): the
    gradient is summed into a buffer shaped like the storage, at each output element's place,
    then read back at the input's places.
    """

    is_view = True

    def forward(ctx, a, size, stride, offset):
        flat = _storage_flat(a)
        need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
        if need > flat.size:
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset "
                f"{offset}, and itemsize {a.itemsize} requiring a storage size of "
                f"{need * a.itemsize} are out of bounds for storage of size "
                f"{flat.size * a.itemsize}")
        ctx.geometry = (size, stride, offset, a.shape,
                        tuple(s // a.itemsize for s in a.strides), storage_offset(a), flat.size)
        xp = get_array_module(a)
        return _strided(xp, flat[offset:], size, tuple(s * a.itemsize for s in stride))

    def backward(ctx, grad):
        size, stride, offset, shape, in_stride, in_offset, n = ctx.geometry
        xp = get_array_module(grad._data)
        out_pos = _positions(xp, size, stride, offset).reshape(-1)
        in_pos = _positions(xp, shape, in_stride, in_offset)
        storage = IndexPutZeros.apply(grad.reshape(-1), (out_pos,), (n,))
        return GetItemCopy.apply(storage, (in_pos,)), None, None, None


class Diagonal(Op):
    """The diagonal ``offset`` of dims ``dim1``, ``dim2``, as a new last dim: a view."""

    is_view = True

    def forward(ctx, a, offset, dim1, dim2):
        ctx.args, ctx.shape = (offset, dim1, dim2), a.shape
        xp = get_array_module(a)
        m = xp.moveaxis(a, (dim1, dim2), (-2, -1))[..., max(-offset, 0):, max(offset, 0):]
        length = max(min(m.shape[-2], m.shape[-1]), 0)
        return _strided(xp, m, m.shape[:-2] + (length,), m.strides[:-2]
                        + (m.strides[-2] + m.strides[-1],))

    def backward(ctx, grad):
        return DiagonalScatter.apply(grad, ctx.shape, *ctx.args), None, None, None


class DiagonalScatter(Op):
    """Zeros of ``shape`` with ``values`` on a diagonal: the adjoint of ``Diagonal``."""

    def forward(ctx, values, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = get_array_module(values).zeros(shape, dtype=values.dtype)
        Diagonal.forward(ctx, out, offset, dim1, dim2)[...] = values
        return out

    def backward(ctx, grad):
        return Diagonal.apply(grad, *ctx.args), None, None, None, None


class Unfold(Op):
    """Windows of ``size`` every ``step`` along ``dim``, as a new last dim: a view (windows
    overlap in memory when ``step < size``, as PyTorch's)."""

    is_view = True

    def forward(ctx, a, dim, size, step):
        ctx.args, ctx.shape = (dim, size, step), a.shape
        count = (a.shape[dim] - size) // step + 1
        shape = a.shape[:dim] + (count,) + a.shape[dim + 1:] + (size,)
        strides = a.strides[:dim] + (a.strides[dim] * step,) + a.strides[dim + 1:] + \
            (a.strides[dim],)
        return _strided(get_array_module(a), a, shape, strides)

    def backward(ctx, grad):
        return UnfoldBackward.apply(grad, ctx.shape, *ctx.args), None, None, None


class UnfoldBackward(Op):
    """The windows' values summed back into an array of ``shape``: the adjoint of ``Unfold``."""

    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        out = get_array_module(g).zeros(shape, dtype=g.dtype)
        count = g.shape[dim]
        for k in range(size):  # window element k of every window at once
            lead = (slice(None),) * dim + (slice(k, k + step * (count - 1) + 1, step),)
            out[lead] += g[..., k]
        return out

    def backward(ctx, grad):
        return Unfold.apply(grad, *ctx.args), None, None, None, None
