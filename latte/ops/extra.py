"""PyTorch's less common tensor functions, composed from existing differentiable Tensor ops.

BLAS-style fused products (``addmm``...), diagonals, ``cross``/``kron``/``tensordot``, stable
elementwise pairs (``logaddexp``, ``xlogy``...), index writes (``index_add``, ``scatter_reduce``,
``masked_scatter``...) and small constructors (``block_diag``, ``vander``...). Each is both a
``latte.xxx`` function and, where PyTorch has one, a Tensor method (the first argument is
``self``). Gradients come from the ops they are built of; array work outside an op goes through
the input's array module so everything also runs on a GPU.
"""
from __future__ import annotations

import builtins
import itertools
from typing import Any

import numpy as np

from latte import backend
from latte.ops.index import IndexPut, IndexPutZeros

__all__ = [
    "addmm", "addbmm", "baddbmm", "addmv", "addr", "diag", "diag_embed", "nan_to_num", "trace",
    "cross", "kron", "tensordot", "var_mean", "std_mean", "nanmean", "logaddexp", "logaddexp2",
    "hypot", "xlogy", "clamp_min", "clamp_max", "take_along_dim", "index_add", "index_copy",
    "diagflat",
    "index_fill", "scatter_reduce", "masked_scatter", "block_diag", "cartesian_prod",
    "combinations", "vander", "ldexp"]


def _tensor(x: Any, like: Any) -> Any:
    """``x`` as a Tensor; a Python number becomes a 0-d tensor of ``like``'s dtype and device."""
    from latte.tensor import Tensor
    if isinstance(x, Tensor):
        return x
    dtype = like._data.dtype if like._data.dtype.kind == "f" or isinstance(x, builtins.int) \
        else np.result_type(like._data.dtype, np.float32)
    return Tensor(backend.array_on(like._data, "asarray", x, dtype=dtype))


def _scaled_sum(input: Any, beta: Any, product: Any, alpha: Any) -> Any:
    """``beta * input + alpha * product``; with ``beta == 0`` input is ignored (NaN included),
    as PyTorch documents."""
    out = product if alpha == 1 else product * alpha
    if beta == 0:
        # a zero that still takes input's (zero) gradient, whatever input holds
        never = backend.array_on(input._data, "zeros", (), dtype=bool)
        return out + input.where(never, 0.0)
    return (input if beta == 1 else input * beta) + out


def _check_rank(name: str, **tensors: Any) -> None:
    for label, (t, rank) in tensors.items():
        if t.ndim != rank:
            raise RuntimeError(f"{name}: {label} must be a {rank}-D tensor, got shape "
                               f"{tuple(t.shape)}")


# --- fused products ----------------------------------------------------------------------------
def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices ``(n, m) @ (m, p)``.

    Example: ``latte.addmm(bias, x, w.t())`` is a linear layer.
    """
    _check_rank("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
    return _scaled_sum(input, beta, mat1.mm(mat2), alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * bmm(batch1, batch2)`` for batches ``(b, n, m) @ (b, m, p)``."""
    _check_rank("baddbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum(input, beta, batch1.bmm(batch2), alpha)


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``: a ``(n, p)`` result."""
    _check_rank("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum(input, beta, batch1.bmm(batch2).sum(0), alpha)


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat @ vec)`` for ``(n, m) @ (m,)``."""
    _check_rank("addmv", mat=(mat, 2), vec=(vec, 1))
    return _scaled_sum(input, beta, mat.matmul(vec), alpha)


def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    _check_rank("addr", vec1=(vec1, 1), vec2=(vec2, 1))
    return _scaled_sum(input, beta, vec1.outer(vec2), alpha)


# --- diagonals -------------------------------------------------------------------------------
def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Matrices with the last dim of ``input`` on their ``offset`` diagonal, placed at output
    dims ``dim1``/``dim2``: ``(..., n) -> (..., n + |offset|, n + |offset|)``."""
    rank = input.ndim + 1
    d1, d2 = dim1 % rank, dim2 % rank
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = input.shape[-1] if input.ndim else 1
    x = input.reshape(1) if input.ndim == 0 else input
    n = m + builtins.abs(offset)
    xp = x._xp()
    rows = backend.run_on(x._data, lambda: xp.arange(m) + builtins.max(-offset, 0))
    cols = backend.run_on(x._data, lambda: xp.arange(m) + builtins.max(offset, 0))
    # the diagonal dim first, so that one (rows, cols) index pair addresses every batch
    front = x.movedim(-1, 0)
    out = IndexPutZeros.apply(front, (rows, cols), (n, n) + tuple(front.shape[1:]))
    return out.movedim((0, 1), (d1, d2))


def diag(input: Any, diagonal: int = 0) -> Any:
    """A 1-D input becomes a square matrix with it on the ``diagonal``; a 2-D input gives that
    diagonal as a 1-D tensor."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return input.diagonal(diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def trace(input: Any) -> Any:
    """Sum of the main diagonal of a 2-D tensor."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return input.diagonal().sum()


# --- products of vectors and tensors ---------------------------------------------------------
def cross(input: Any, other: Any, dim: Any = None) -> Any:
    """Cross product of 3-vectors along ``dim`` (None: the first dim of size 3, as
    ``torch.cross``); the operands broadcast."""
    from latte.functional import broadcast_tensors
    a, b = broadcast_tensors(input, other)
    if dim is None:
        dim = next((i for i, s in enumerate(a.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (shapes {tuple(input.shape)} "
                               f"and {tuple(other.shape)})")
    if a.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{tuple(input.shape)} and {tuple(other.shape)}")
    # (a x b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}
    return a.roll(-1, dim) * b.roll(-2, dim) - a.roll(-2, dim) * b.roll(-1, dim)


def kron(input: Any, other: Any) -> Any:
    """Kronecker product: blocks ``input[i, j] * other``, for any number of dims."""
    nd = builtins.max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = input.reshape([v for s in sa for v in (s, 1)])
    b = other.reshape([v for s in sb for v in (1, s)])
    return (a * b).reshape([x * y for x, y in zip(sa, sb)])


def tensordot(a: Any, b: Any, dims: Any = 2) -> Any:
    """Sum of products over ``dims``: an int (the last ``dims`` of ``a`` with the first of
    ``b``) or a pair of dim lists."""
    if isinstance(dims, builtins.int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, builtins.int) else list(d) for d in dims)
        if hasattr(da, "tolist"):
            da, db = da.tolist(), db.tolist()
    da = [d % a.ndim for d in da]
    db = [d % b.ndim for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in dim "
                               f"{y} (shapes {tuple(a.shape)} and {tuple(b.shape)})")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da], dtype=np.int64))
    left = a.permute(*(free_a + da)).reshape(-1, k)
    right = b.permute(*(db + free_b)).reshape(k, -1)
    return left.matmul(right).reshape([a.shape[d] for d in free_a] +
                                      [b.shape[d] for d in free_b])


# --- reductions --------------------------------------------------------------------------------
def var_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """``(var, mean)`` over ``dim`` in one call."""
    return (input.var(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def std_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
             correction: Any = None) -> tuple:
    """``(std, mean)`` over ``dim`` in one call."""
    return (input.std(dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def nanmean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """Mean over ``dim`` ignoring NaNs (NaN where a slice holds only NaNs)."""
    x = input if dtype is None else input.to(dtype)
    keep = ~x.isnan()
    count = keep.sum(dim, keepdim).to(x.dtype)
    return x.where(keep, 0.0).sum(dim, keepdim) / count


# --- elementwise pairs -------------------------------------------------------------------------
def logaddexp(input: Any, other: Any) -> Any:
    """``log(exp(input) + exp(other))`` without overflow."""
    other = _tensor(other, input)
    m = input.detach().maximum(other.detach())
    m = m.where(m.isfinite(), 0.0)  # both -inf (or an inf): no shift, the sum says it
    return ((input - m).exp() + (other - m).exp()).log() + m


def logaddexp2(input: Any, other: Any) -> Any:
    """``log2(2**input + 2**other)`` without overflow."""
    ln2 = builtins.float(np.log(2.0))
    return logaddexp(input * ln2, _tensor(other, input) * ln2) / ln2


def hypot(input: Any, other: Any) -> Any:
    """``sqrt(input**2 + other**2)`` elementwise."""
    return (input * input + other * other).sqrt()


def xlogy(input: Any, other: Any) -> Any:
    """``input * log(other)``, 0 where ``input == 0`` (unless ``other`` is NaN)."""
    from latte.tensor import Tensor
    if not isinstance(input, Tensor):
        input = _tensor(input, other)
    other = _tensor(other, input)
    # log of 1 where input is 0 and log(other) infinite: the result is 0 there, and neither it
    # nor the gradients become -inf * 0 = NaN; elsewhere d/dinput = log(other), as PyTorch
    zero = (input == 0) & ((other == 0) | other.isinf())
    return input * other.where(~zero, 1.0).log()


def clamp_min(input: Any, min: Any) -> Any:
    """``max(input, min)`` elementwise (``clamp(min=...)``)."""
    return input.clamp(min=min)


def clamp_max(input: Any, max: Any) -> Any:
    """``min(input, max)`` elementwise (``clamp(max=...)``)."""
    return input.clamp(max=max)


def nan_to_num(input: Any, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """NaN to ``nan``, +inf/-inf to ``posinf``/``neginf`` (the dtype's extremes by default)."""
    if input._data.dtype.kind != "f":
        return input.clone()
    info = np.finfo(input._data.dtype)
    posinf = builtins.float(info.max) if posinf is None else posinf
    neginf = builtins.float(info.min) if neginf is None else neginf
    out = input.where(~input.isnan(), nan)
    out = out.where(input != builtins.float("inf"), posinf)
    return out.where(input != -builtins.float("inf"), neginf)


def ldexp(input: Any, other: Any) -> Any:
    """``input * 2 ** other``."""
    x = input._floating()
    return x * (2.0 ** _tensor(other, x))


# --- indexed writes ------------------------------------------------------------------------
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
        if list(source.shape) != want and not (source.ndim == 0 and not want):
            raise RuntimeError(f"{name}(): source shape {tuple(source.shape)} does not match "
                               f"input shape {tuple(input.shape)} with {index.numel()} indices "
                               f"along dim {dim}")


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
    """A copy of ``input`` with ``alpha * source`` added at rows ``index`` along ``dim``;
    repeated indices accumulate."""
    d = input._dim(dim) if input.ndim else 0
    _check_index_1d("index_add", input, d, index, source)
    if input.ndim == 0:
        return input + source * alpha * (index.numel())
    front = source.movedim(d, 0)
    shape = (input.shape[d],) + tuple(front.shape[1:])
    added = IndexPutZeros.apply(front, (_flat(index),), shape).movedim(0, d)
    return input + (added if alpha == 1 else added * alpha)


def index_copy(input: Any, dim: int, index: Any, source: Any) -> Any:
    """A copy of ``input`` with the rows ``index`` along ``dim`` replaced by ``source``."""
    d = input._dim(dim) if input.ndim else 0
    _check_index_1d("index_copy", input, d, index, source)
    if input.ndim == 0:
        return source.to(input.dtype).clone()
    return IndexPut.apply(input, _along(input, d, index), source.to(input.dtype))


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:
    """A copy of ``input`` with ``value`` in the rows ``index`` along ``dim``."""
    d = input._dim(dim) if input.ndim else 0
    _check_index_1d("index_fill", input, d, index)
    if input.ndim == 0:
        return _tensor(value, input).to(input.dtype).expand(()).clone()
    value = _tensor(value, input).to(input.dtype)
    return IndexPut.apply(input, _along(input, d, index), value)


def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Any:
    """Reduce ``src`` into ``input`` at ``index`` along ``dim`` with ``reduce`` in ``'sum'``,
    ``'prod'``, ``'mean'``, ``'amax'``, ``'amin'``; ``include_self=False`` leaves the old
    values out of the reduction where something is scattered."""
    from latte.ops.scan import ScatterReduce
    input._check_index(dim, index, "scatter_reduce")
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


def masked_scatter(input: Any, mask: Any, source: Any) -> Any:
    """A copy of ``input`` with the elements of ``source``, in order, where ``mask`` holds."""
    from latte.tensor import Tensor
    if mask._data.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    m = mask.expand(shape).reshape(-1)
    # the k-th True takes source element k: a running count, no host round trip for the count
    xp, flat = input._xp(), m._data
    order = Tensor(backend.run_on(flat, lambda: xp.clip(xp.cumsum(flat) - 1, 0,
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


# --- constructors --------------------------------------------------------------------------
def diagflat(input: Any, offset: int = 0) -> Any:
    """A square matrix with the flattened ``input`` on its ``offset`` diagonal."""
    return diag_embed(input.reshape(-1), offset)


def block_diag(*tensors: Any) -> Any:
    """A block-diagonal matrix of the given 0-, 1- or 2-D tensors."""
    from latte.functional import cat, pad_constant
    from latte.tensor import _promote_all
    mats = [t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t
            for t in _promote_all(list(tensors))]
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    width = builtins.sum(m.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        rows.append(pad_constant(m, (left, width - left - m.shape[1])))
        left += m.shape[1]
    return cat(rows, 0)


def cartesian_prod(*tensors: Any) -> Any:
    """Every combination of one element from each 1-D tensor, as rows (``itertools.product``)."""
    from latte.functional import meshgrid, stack
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Any:
    """The length-``r`` subsequences of a 1-D tensor, as rows (``itertools.combinations``)."""
    from latte.tensor import Tensor
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(range(input.shape[0]), r))
    if r == 0:
        return input.new_zeros((0,))
    index = backend.array_on(input._data, "asarray", np.array(rows, dtype=np.int64).reshape(
        len(rows), r))
    return input[Tensor(index)]


def vander(x: Any, N: Any = None, increasing: bool = False) -> Any:
    """The Vandermonde matrix: columns ``x ** (N-1), ..., x, 1`` (or reversed)."""
    from latte.functional import stack
    if x.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else builtins.int(N)
    if x._data.dtype.kind == "b":
        x = x._cast(np.int64)
    cols, power = [], x.new_ones(tuple(x.shape))
    for _ in range(n):
        cols.append(power)
        power = power * x  # repeated products: no x ** 0 = 0 * x ** -1 in the gradient at 0
    out = stack(cols, 1) if cols else x.new_zeros((x.shape[0], 0))
    return out if increasing else out.flip((1,))



def inplace(name: str) -> Any:
    """The in-place method ``name_`` of the out-of-place method ``name``: recorded by autograd
    when the tensor or a tensor operand requires grad, else written straight into memory."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        others = [a for a in (*args, *kwargs.values()) if hasattr(a, "requires_grad")]
        if self._records(*others):
            return self._write(lambda old: getattr(old, name)(*args, **kwargs), *others)
        return self._unary_(name, *args, **kwargs)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``."
    return method


def linalg_function(name: str) -> Any:
    """``latte.linalg.<name>`` as a Tensor method, looked up when called (``latte.linalg``
    imports the Tensor class, so it cannot be imported while that class is being built)."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        from latte import linalg
        return getattr(linalg, name)(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``latte.linalg.{name}(self, ...)``."
    return method
