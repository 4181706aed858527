"""BLAS-style fused products (``addmm``, ``baddbmm``...) and products of vectors and tensors
(``cross``, ``kron``, ``tensordot``), composed from matmul and shape ops."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import backend
from latte._functional.joining import broadcast_tensors
from latte.autograd.function import named_node

__all__ = ["addmm", "addbmm", "baddbmm", "addmv", "addr", "cross", "kron", "tensordot", "vdot"]


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


@named_node("AddmmBackward0")
def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices ``(n, m) @ (m, p)``.

    Example: ``latte.addmm(bias, x, w.t())`` is a linear layer.
    """
    _check_rank("addmm", mat1=(mat1, 2), mat2=(mat2, 2))
    return _scaled_sum(input, beta, mat1.mm(mat2), alpha)


@named_node("BaddbmmBackward0")
def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * bmm(batch1, batch2)`` for batches ``(b, n, m) @ (b, m, p)``."""
    _check_rank("baddbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum(input, beta, batch1.bmm(batch2), alpha)


@named_node("AddbmmBackward0")
def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``: a ``(n, p)`` result."""
    _check_rank("addbmm", batch1=(batch1, 3), batch2=(batch2, 3))
    return _scaled_sum(input, beta, batch1.bmm(batch2).sum(0), alpha)


@named_node("AddmvBackward0")
def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * (mat @ vec)`` for ``(n, m) @ (m,)``."""
    _check_rank("addmv", mat=(mat, 2), vec=(vec, 1))
    return _scaled_sum(input, beta, mat.matmul(vec), alpha)


@named_node("AddrBackward0")
def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    _check_rank("addr", vec1=(vec1, 1), vec2=(vec2, 1))
    return _scaled_sum(input, beta, vec1.outer(vec2), alpha)


@named_node("LinalgCrossBackward0")
def cross(input: Any, other: Any, dim: Any = None) -> Any:
    """Cross product of 3-vectors along ``dim`` (None: the first dim of size 3, as
    ``torch.cross``); the operands broadcast."""
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



@named_node("VdotBackward0")
def vdot(input: Any, other: Any) -> Any:
    """The dot product of two 1-D tensors, the first conjugated (for real tensors, ``dot``).

    Example::

        >>> latte.vdot(latte.tensor([1, 2]), latte.tensor([3, 4]))
        tensor(11)
    """
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D "
                           f"tensors")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and "
                           f"src [{other.shape[0]}] to have the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]} elements respectively")
    if input.dtype != other.dtype:
        raise RuntimeError(f"vdot : expected both vectors to have same dtype, but found "
                           f"{input.dtype} and {other.dtype}")
    return input.matmul(other)
