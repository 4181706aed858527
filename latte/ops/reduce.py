"""Reductions: sums, extrema, products, cumulative sums and the numerically stable softmaxes.

Float32 sums are as accurate as PyTorch's (whose CPU sums are cascaded): NumPy's ``sum`` is
pairwise only along the contiguous axis and adds outer slices one after the other, so a sum
over a leading or middle axis of 1e5 elements loses three digits. ``sum_array`` keeps NumPy's
pairwise sum where it applies and otherwise adds float32 partial sums over short blocks in
float64 (or, for layouts it does not recognise, accumulates in float64). Cumulative sums and
products of float32 data accumulate in float64, as PyTorch's CPU kernels do.
"""
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


_BLOCK = 64  # elements per float32 partial sum: its rounding stays within a few units


def row_sums(xp: Any, a: Any, b: Any = None) -> Any:
    """Sums along the last axis of the 2-D ``a`` (of ``a * b`` if ``b`` is given), in float64:
    float32 partial sums over blocks of ``_BLOCK`` contiguous elements (one fused einsum or
    dot, no temporary), added in float64. About as fast as one float32 einsum, and about as
    accurate as a float64 sum."""
    a, b = _at_least_single(xp, a, b)
    rows, n = a.shape
    if not rows or not n:
        return xp.zeros(rows, dtype=xp.float64)
    main = n - n % _BLOCK
    total = 0.0
    for lo, hi, shape in ((0, main, (rows, main // _BLOCK, _BLOCK)),
                          (main, n, (rows, 1, n - main))):
        if hi == lo:
            continue
        pa = a[:, lo:hi].reshape(shape)
        part = xp.einsum("rjb->rj", pa) if b is None else _dot(xp, pa, b[:, lo:hi].reshape(shape))
        total = total + part.sum(axis=1, dtype=xp.float64)
    return total


def _at_least_single(xp: Any, a: Any, b: Any) -> tuple:
    """Half-precision data as float32: its partial sums would round to 11 bits."""
    if a.dtype.itemsize < 4:
        a = a.astype(xp.float32)
        b = None if b is None else b.astype(xp.float32)
    return a, b


def _dot(xp: Any, a: Any, b: Any) -> Any:
    vecdot = getattr(xp, "vecdot", None)  # NumPy >= 2: a blocked dot; einsum's is sequential
    return vecdot(a, b) if vecdot is not None else xp.einsum("...i,...i->...", a, b)


def column_sums(xp: Any, a: Any, b: Any = None) -> Any:
    """Sums over the first axis of the 2-D ``a`` (of ``a * b`` if ``b`` is given), in float64:
    float32 partial sums over blocks of 32 rows (one fused einsum), added in float64."""
    a, b = _at_least_single(xp, a, b)
    rows, n = a.shape
    main = rows - rows % 32
    total = xp.zeros(n, dtype=xp.float64)
    for lo, hi, shape in ((0, main, (main // 32, 32, n)), (main, rows, (1, rows - main, n))):
        if hi == lo:
            continue
        pa = a[lo:hi].reshape(shape)
        part = xp.einsum("jbc->jc", pa) if b is None else \
            xp.einsum("jbc,jbc->jc", pa, b[lo:hi].reshape(shape))
        total += part.sum(axis=0, dtype=xp.float64)
    return total


def _outer_inner(shape: tuple, dims: tuple) -> tuple | None:
    """``(R, K, L)`` when reducing ``dims`` of a C-contiguous ``shape`` is reducing the first
    and last axes of its reshape to ``(R, K, L)``; None for other layouts. Size-1 axes count
    as either."""
    runs: list = []  # [reduced?, size] for runs of consecutive axes
    for i, s in enumerate(shape):
        if s == 1:
            continue
        red = i in dims
        if runs and runs[-1][0] == red:
            runs[-1][1] *= s
        else:
            runs.append([red, s])
    flags = [r for r, _ in runs]
    if flags not in ([True, False], [True, False, True]):
        return None
    return runs[0][1], runs[1][1], runs[2][1] if len(runs) == 3 else 1


def sum_array(a: Any, dims: tuple, keepdims: bool = False, dtype: Any = None) -> Any:
    """``a.sum(axis=dims, keepdims=keepdims, dtype=dtype)``, accurately for float32 (and
    float16) data: float64 partial sums where NumPy's would add slices one by one."""
    xp = get_array_module(a)
    dims = tuple(sorted(d % a.ndim for d in dims)) if a.ndim else ()
    out_dtype = np.dtype(dtype) if dtype is not None else a.dtype
    if a.dtype.kind != "f" or a.dtype.itemsize >= 8 or out_dtype.itemsize >= 8 or not dims:
        return xp.sum(a, axis=dims, keepdims=keepdims, dtype=dtype)
    out_shape = tuple(1 if i in dims else s for i, s in enumerate(a.shape)) if keepdims else \
        tuple(s for i, s in enumerate(a.shape) if i not in dims)
    # the axes in memory order: a dense array in another layout (a channels-last activation)
    # is a C-contiguous view of them, and reduced as one
    order = sorted(range(a.ndim), key=lambda d: -a.strides[d])
    view = a.transpose(order)
    blocked = view.flags.c_contiguous and a.dtype.itemsize == 4
    rkl = _outer_inner(view.shape, tuple(order.index(d) for d in dims)) if blocked else None
    if rkl is None:
        trailing = dims == tuple(range(a.ndim - len(dims), a.ndim))
        if trailing and a.flags.c_contiguous:  # NumPy's pairwise sum
            return xp.sum(a, axis=dims, keepdims=keepdims, dtype=dtype)
        total = xp.sum(a, axis=dims, keepdims=keepdims, dtype=xp.float64)
    else:
        r, k, length = rkl
        if length >= 8:
            total = row_sums(xp, view.reshape(r * k, length)).reshape(r, k).sum(axis=0)
        else:
            total = column_sums(xp, view.reshape(r, k * length)).reshape(k, length).sum(axis=1)
        kept = [d for d in order if d not in dims]  # the result's axes, in memory order
        total = total.reshape([a.shape[d] for d in kept]).transpose(
            sorted(range(len(kept)), key=kept.__getitem__))
    return xp.asarray(total.astype(out_dtype)).reshape(out_shape)


class Sum(Op):
    def node_name_for(ctx):
        return "SumBackward0" if ctx.all_dims else "SumBackward1"

    def forward(ctx, a, dims, keepdim, np_dtype):
        ctx.shape = a.shape
        ctx.all_dims = not keepdim and len(dims) == a.ndim
        ctx.keep_shape = _keep_shape(a.shape, dims)
        if a.ndim == 0:
            return a.astype(np_dtype, copy=True) if np_dtype else a.copy()
        return sum_array(a, dims, keepdim, np_dtype)

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
    out = sum_array(a, tuple(axes), True) if axes else a
    return out.reshape(shape)


def sum_to(t: Any, shape: tuple) -> Any:
    """Differentiable sum of tensor ``t`` down to ``shape`` (used by the engine)."""
    return SumTo.apply(t, tuple(shape))


def _matches(a: Any, value: Any) -> Any:
    """Where ``a`` equals ``value``, a NaN ``value`` matching the NaNs of ``a`` (PyTorch's
    ``evenly_distribute_backward``, for the reductions that pick one element's value)."""
    xp = get_array_module(a)
    return xp.where(xp.isnan(value), xp.isnan(a), a == value)


class Amax(Op):
    """Max over ``dims``; ties share the gradient evenly, as ``torch.amax``. With ``nan_shares``
    (``max()`` and ``min()`` of all elements) a NaN result's gradient goes to the NaNs, where
    ``amax``'s is NaN everywhere, as PyTorch's."""

    def node_name_for(ctx):
        return "AmaxBackward0" if ctx.largest else "AminBackward0"

    def forward(ctx, a, dims, keepdim, largest, nan_shares=False):
        xp = get_array_module(a)
        out = (xp.max if largest else xp.min)(a, axis=dims, keepdims=True)
        ctx.dims, ctx.keep_shape, ctx.largest = dims, out.shape, largest
        ctx.nan_shares = nan_shares and a.dtype.kind == "f"
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(out.shape) if i not in dims])
        out = xp.asarray(out)  # the very array the output wraps (never a NumPy scalar)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        value = out._data.reshape(ctx.keep_shape)
        mask = function.Tensor(_matches(a._data, value) if ctx.nan_shares else a._data == value)
        count = mask.sum(dim=ctx.dims, keepdim=True, dtype=a.dtype)
        return grad.reshape(ctx.keep_shape) * mask / count, None, None, None, None


class MedianAll(Op):
    """The lower median of all elements, NaN where any element is NaN (as ``torch.median()``);
    the elements equal to it share the gradient evenly, a NaN median's among the NaNs
    (PyTorch's, unlike ``median(dim)``, whose gradient goes to one index)."""

    node_name = "MedianBackward0"

    def forward(ctx, a):
        xp = get_array_module(a)
        flat = a.reshape(-1)
        if flat.size == 0:
            out = xp.full((), xp.nan, a.dtype)
        else:  # chosen on the device: no copy to the host to test for NaN
            k = (flat.size - 1) // 2
            out = xp.partition(flat, k)[k]
            if a.dtype.kind == "f":
                out = xp.where(xp.isnan(flat).any(), xp.nan, out).astype(a.dtype)
            out = xp.asarray(out)
        ctx.save_for_backward(a, out)
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        mask = function.Tensor(_matches(a._data, out._data))
        return grad * mask / mask.sum(dtype=a.dtype)


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
    if n == 0:  # an empty product's gradient is empty, shaped like ``a``
        return grad * a.ones_like()
    one = a.narrow(dim, 0, 1).ones_like()
    if n == 1:
        return grad * one
    left = Cat.apply(dim, one, a.narrow(dim, 0, n - 1)).cumprod(dim)
    right = Cat.apply(dim, one, a.flip(dim).narrow(dim, 0, n - 1)).cumprod(dim).flip(dim)
    return grad * left * right


def _accumulate(scan: Any, a: Any, dim: int) -> Any:
    """``scan(a, axis=dim)``, with a float64 accumulator for float32/float16 data."""
    if a.dtype.kind == "f" and a.dtype.itemsize < 8:
        return scan(a, axis=dim, dtype=np.float64).astype(a.dtype)
    return scan(a, axis=dim)


class Cumsum(Op):
    def forward(ctx, a, dim):
        ctx.dim = dim
        return _accumulate(get_array_module(a).cumsum, a, dim)

    def backward(ctx, grad):
        return grad.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim), None


class Cumprod(Op):
    """Cumulative product along ``dim``."""

    def forward(ctx, a, dim):
        ctx.dim = dim
        out = _accumulate(get_array_module(a).cumprod, a, dim)
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
        out = xp.asarray(shifted - xp.log(sum_array(xp.exp(shifted), (dim,), True)))
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
        e /= sum_array(e, (dim,), True)
        ctx.save_for_backward(e)
        ctx.dim = dim
        return e

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        gy = grad * out
        return gy - out * gy.sum(ctx.dim, keepdim=True), None
