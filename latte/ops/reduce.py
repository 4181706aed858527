"""Reductions: sums, extrema, products, cumulative sums and the numerically stable softmaxes."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.index import ScatterAdd
from latte.ops.shape import Cat


def normalize_dims(dim: Any, ndim: int) -> tuple:
    """``dim`` (None, int or sequence, negatives allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) == 0:
        return tuple(range(ndim))
    rank = max(ndim, 1)
    out = []
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-rank}, {rank - 1}], but got {d})")
        out.append(d % rank)
    # a 0-d tensor accepts dim 0 / -1 as PyTorch does, but has no axis to reduce
    return tuple(sorted(set(out))) if ndim else ()


def _keep_shape(shape: tuple, dims: tuple) -> tuple:
    """The shape a reduction over ``dims`` has with ``keepdim=True``."""
    return tuple(1 if i in dims else s for i, s in enumerate(shape))


class Sum(Op):
    def node_name_for(ctx):
        return "SumBackward0" if ctx.all_dims else "SumBackward1"

    def forward(ctx, a, dims, keepdim, np_dtype):
        ctx.shape = a.shape
        ctx.all_dims = not keepdim and len(dims) == a.ndim
        ctx.keep_shape = _keep_shape(a.shape, dims)
        if a.ndim == 0:
            return a.astype(np_dtype, copy=True) if np_dtype else a.copy()
        return get_array_module(a).sum(a, axis=dims, keepdims=keepdim, dtype=np_dtype)

    def backward(ctx, grad):
        return grad.reshape(ctx.keep_shape).expand(ctx.shape), None, None, None


class SumTo(Op):
    """Sum a broadcast array back down to ``shape``: the inverse of broadcasting."""

    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return sum_to_array(a, shape)

    def backward(ctx, grad):
        return grad.expand(ctx.shape), None


def sum_to_array(a: Any, shape: tuple) -> Any:
    """Reduce array ``a`` to ``shape`` by summing the broadcast axes; ValueError if impossible."""
    shape = tuple(shape)
    if a.shape == shape:
        return a
    lead = a.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {a.shape} to {shape}")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and a.shape[lead + i] != 1:
            axes.append(lead + i)
        elif s != a.shape[lead + i]:
            raise ValueError(f"cannot sum shape {a.shape} to {shape}")
    out = a.sum(axis=tuple(axes), keepdims=True) if axes else a
    return out.reshape(shape)


def sum_to(t: Any, shape: tuple) -> Any:
    """Differentiable sum of tensor ``t`` down to ``shape`` (used by the engine)."""
    return SumTo.apply(t, tuple(shape))


class Amax(Op):
    """Max over ``dims``; ties share the gradient evenly, as ``torch.amax``."""

    def node_name_for(ctx):
        return "AmaxBackward0" if ctx.largest else "AminBackward0"

    def forward(ctx, a, dims, keepdim, largest):
        xp = get_array_module(a)
        out = (xp.max if largest else xp.min)(a, axis=dims, keepdims=True)
        ctx.dims, ctx.keep_shape, ctx.largest = dims, out.shape, largest
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape) if i not in dims])
        out = xp.asarray(out)  # the very array the output wraps (never a NumPy scalar)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        mask = function.Tensor(a._data == out._data.reshape(ctx.keep_shape))
        count = mask.sum(dim=ctx.dims, keepdim=True, dtype=a.dtype)
        return grad.reshape(ctx.keep_shape) * mask / count, None, None, None


class MaxDim(Op):
    """``max(dim)`` / ``min(dim)`` giving (values, indices); the gradient goes to the index."""

    non_differentiable_outputs = (1,)

    def node_name_for(ctx):
        return "MaxBackward0" if ctx.largest else "MinBackward0"

    def forward(ctx, a, dim, keepdim, largest):
        xp = get_array_module(a)
        idx = (xp.argmax if largest else xp.argmin)(a, axis=dim, keepdims=True)
        values = xp.take_along_axis(a, idx, axis=dim)
        ctx.shape, ctx.dim, ctx.keep_shape, ctx.largest = a.shape, dim, idx.shape, largest
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        indices = idx.astype(xp.int64)
        ctx.save_for_backward(indices)
        return values, indices

    def backward(ctx, grad, grad_idx):
        (indices,) = ctx.saved_tensors
        g = grad.reshape(ctx.keep_shape)
        zeros = g.new_zeros(ctx.shape)
        return ScatterAdd.apply(zeros, ctx.dim, indices.reshape(ctx.keep_shape), g), None, None, \
            None


class Prod(Op):
    """Product over one dim (or all); the gradient handles zeros without dividing by them."""

    def node_name_for(ctx):
        return "ProdBackward0" if ctx.dim is None else "ProdBackward1"

    def forward(ctx, a, dim, keepdim):
        xp = get_array_module(a)
        ctx.save_for_backward(a)
        ctx.dim, ctx.keepdim = dim, keepdim
        if dim is None:
            return xp.prod(a)
        return xp.prod(a, axis=dim, keepdims=keepdim)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        dim = ctx.dim
        if dim is None:
            flat = a.reshape(-1)
            return _prod_grad(flat, grad.reshape(1), 0).reshape(a.shape), None, None
        if not ctx.keepdim:
            grad = grad.unsqueeze(dim)
        return _prod_grad(a, grad, dim), None, None


def _prod_grad(a: Any, grad: Any, dim: int) -> Any:
    """d prod / d a_i = product of the others: exclusive cumulative products from both sides."""
    n = a.shape[dim]
    one = a.narrow(dim, 0, 1).ones_like()
    if n == 1:
        return grad * one
    left = Cat.apply(dim, one, a.narrow(dim, 0, n - 1)).cumprod(dim)
    right = Cat.apply(dim, one, a.flip(dim).narrow(dim, 0, n - 1)).cumprod(dim).flip(dim)
    return grad * left * right


class Cumsum(Op):
    def forward(ctx, a, dim):
        ctx.dim = dim
        return get_array_module(a).cumsum(a, axis=dim)

    def backward(ctx, grad):
        return grad.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim), None


class Cumprod(Op):
    """Cumulative product along ``dim``."""

    def forward(ctx, a, dim):
        ctx.dim = dim
        out = get_array_module(a).cumprod(a, axis=dim)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        dim = ctx.dim

        def rev_cumsum(t: Any) -> Any:
            return t.flip(dim).cumsum(dim).flip(dim)

        # Branch-free (no host sync to ask whether zeros exist). Where a_k != 0:
        # dL/da_k = (sum_{i>=k} g_i * out_i) / a_k, a reversed cumulative sum.
        zero = a == 0
        if type(a._data) is np.ndarray and not zero._data.any():
            return rev_cumsum(grad * out) / a, None  # on the CPU, asking costs no sync
        nonzero = ~zero
        safe = a.where(nonzero, 1.0)
        grad_a = rev_cumsum(grad * out) / safe
        # Where a_k == 0, out_i / a_k (i >= k) is the product of the other entries: Q_i (the
        # product of the nonzero entries so far) until the next zero, then a multiple of that
        # zero. The multiples of zeros are kept as factors (worth 0, but their gradient flows),
        # so second derivatives stay exact; beyond the second zero, terms are products of two
        # zeros, which contribute nothing to first or second derivatives.
        count = zero.cumsum(dim)
        one, two = count == 1, count == 2
        first, second = zero & one, zero & two
        gq = grad * safe.cumprod(dim)
        a_first = a.where(first, 0.0).cumsum(dim)    # the first zero, from its place on
        a_second = a.where(second, 0.0).cumsum(dim)  # the second zero, from its place on
        at_first = rev_cumsum(gq.where(one, 0.0) + gq.where(two, 0.0) * a_second)
        at_second = rev_cumsum(gq.where(two, 0.0)) * a_first
        return grad_a.where(nonzero, at_first.where(first, at_second.where(second, 0.0))), None


class LogSoftmax(Op):
    """``a - logsumexp(a)``, computed with the max subtracted: never overflows or hits log 0."""

    quiet_fp = True  # a row of -inf: -inf - -inf

    def forward(ctx, a, dim):
        xp = get_array_module(a)
        shifted = a - xp.max(a, axis=dim, keepdims=True)
        out = xp.asarray(shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True)))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - out.exp() * grad.sum(ctx.dim, keepdim=True), None


class Softmax(Op):
    """``exp(a - max) / sum``: stable softmax along ``dim``."""

    quiet_fp = True  # a row of -inf: -inf - -inf

    def forward(ctx, a, dim):
        xp = get_array_module(a)
        e = xp.asarray(xp.exp(a - xp.max(a, axis=dim, keepdims=True)))
        e /= xp.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(e)
        ctx.dim = dim
        return e

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        gy = grad * out
        return gy - out * gy.sum(ctx.dim, keepdim=True), None
