"""The ops of sparse COO tensors: matrix products with dense tensors, sums, softmax.

Each is a composition of the primitives in ``_kernels`` and dense ops on the values, so it is
differentiable w.r.t. the dense operand and the sparse values. A sparse operand is recognised by
``is_sparse`` (this file sits below the COO class, which calls into it).
"""
from __future__ import annotations

import builtins
from typing import Any

from latte.autograd import function
from latte.ops.reduce import normalize_dims
from latte.sparse._kernels import SegmentSum, SpMM, segment_max

__all__ = ["mm", "matmul", "spmm", "addmm", "sum", "softmax", "log_softmax"]


def _is_sparse(x: Any) -> builtins.bool:
    return getattr(x, "is_sparse", False)


def _no_kernel(what: str, x: Any) -> NotImplementedError:
    dispatch = "SparseCUDA" if x.device.type == "cuda" else "SparseCPU"
    return NotImplementedError(f"Could not run 'aten::{what}' with arguments from the "
                               f"'{dispatch}' backend.")


def _check_matrix(sparse: Any) -> None:
    if sparse.sparse_dim() != 2 or sparse.dense_dim() != 0:
        raise RuntimeError(f"mm: expected a 2-D sparse matrix with no dense dimensions, got "
                           f"sparse_dim={sparse.sparse_dim()} and dense_dim={sparse.dense_dim()}")


def _check_dtypes(sparse: Any, dense: Any) -> None:
    if sparse.dtype != dense.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(sparse.dtype)} but found "
                           f"{_scalar_name(dense.dtype)}")


def _scalar_name(dtype: Any) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dtype.name, dtype.name)


def _sparse_times_dense(sparse: Any, dense: Any) -> Any:
    """``(n, m)`` sparse @ ``(m, p)`` dense -> ``(n, p)`` dense."""
    _check_matrix(sparse)
    if dense.ndim != 2:
        raise RuntimeError(f"mm: expected a 2-D dense matrix, got {dense.ndim}-D")
    if dense.shape[0] != sparse.shape[1]:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {sparse.shape[1]}, "
                           f"got {dense.shape[0]}")
    _check_dtypes(sparse, dense)
    rows, cols = sparse._sp_indices
    return SpMM.apply(sparse._values(), dense, rows, cols, sparse.shape[0])


def mm(mat1: Any, mat2: Any) -> Any:
    """The matrix product of a 2-D sparse COO tensor and a dense matrix (either order): a dense
    tensor, differentiable w.r.t. the dense matrix and the sparse values.

    Args:
        mat1 (Tensor): ``(n, m)``, sparse or dense.
        mat2 (Tensor): ``(m, p)``, dense or sparse (one of the two sparse).

    Shape:
        ``(n, m) @ (m, p) -> (n, p)``.

    Example::

        >>> s = latte.sparse_coo_tensor([[0, 1], [1, 0]], [2., 3.], (2, 2))
        >>> latte.sparse.mm(s, latte.ones(2, 1))
        tensor([[2.],
                [3.]])
    """
    if _is_sparse(mat1) and _is_sparse(mat2):
        raise _no_kernel("mm (sparse @ sparse)", mat1)
    if _is_sparse(mat1):
        return _sparse_times_dense(mat1, mat2)
    if _is_sparse(mat2):
        # D @ S = (S^T @ D^T)^T: the same kernel with rows and columns swapped
        _check_matrix(mat2)
        if mat1.ndim != 2:
            raise RuntimeError(f"mm: expected a 2-D dense matrix, got {mat1.ndim}-D")
        if mat1.shape[1] != mat2.shape[0]:
            raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size "
                               f"{mat2.shape[0]}, got {mat1.shape[1]}")
        _check_dtypes(mat2, mat1)
        rows, cols = mat2._sp_indices
        return SpMM.apply(mat2._values(), mat1.t(), cols, rows, mat2.shape[1]).t()
    return mat1.mm(mat2)


def spmm(input: Any, mat2: Any) -> Any:
    """``torch.spmm``: the matrix product of a sparse (or dense) ``input`` and ``mat2``, as
    :func:`latte.sparse.mm`.

    Args:
        input (Tensor): ``(n, m)``.
        mat2 (Tensor): ``(m, p)``.

    Example::

        >>> s = latte.eye(2).to_sparse()
        >>> latte.spmm(s, latte.ones(2, 3)).shape
        latte.Size([2, 3])
    """
    return mm(input, mat2)


def matmul(input: Any, other: Any) -> Any:
    """``input @ other`` with one sparse 2-D operand: as :func:`mm`, and a 1-D dense operand
    gives a 1-D result."""
    if _is_sparse(other) and not _is_sparse(input) and input.ndim == 1:
        return mm(input.unsqueeze(0), other).squeeze(0)
    if _is_sparse(input) and not _is_sparse(other) and other.ndim == 1:
        return mm(input, other.unsqueeze(1)).squeeze(1)
    return mm(input, other)


def addmm(mat: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Any:
    """``beta * mat + alpha * (mat1 @ mat2)`` for a sparse ``mat1`` and dense ``mat``, ``mat2``.

    Args:
        mat (Tensor): ``(n, p)`` dense, added.
        mat1 (Tensor): ``(n, m)`` sparse.
        mat2 (Tensor): ``(m, p)`` dense.
        beta (Number): the factor of ``mat``.
        alpha (Number): the factor of the product.

    Example::

        >>> s = latte.eye(2).to_sparse()
        >>> latte.sparse.addmm(latte.ones(2, 2), s, latte.ones(2, 2))
        tensor([[2., 2.],
                [2., 2.]])
    """
    product = mm(mat1, mat2)
    if alpha != 1:
        product = product * alpha
    return product if beta == 0 else (mat if beta == 1 else mat * beta) + product


def sum(input: Any, dim: Any = None, *, dtype: Any = None) -> Any:
    """The sum of a sparse COO tensor: over everything (a dense 0-d tensor), or over ``dim``:
    a sparse tensor of the remaining dims, dense once every sparse dim is summed.

    Args:
        input (Tensor): a sparse COO tensor.
        dim (int or tuple of ints, optional): the dims to sum over; all by default.
        dtype (latte.dtype, optional): the dtype to sum in.

    Example::

        >>> s = latte.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3., 4., 5.], (2, 3))
        >>> latte.sparse.sum(s)
        tensor(12.)
        >>> latte.sparse.sum(s, 1).to_dense()
        tensor([3., 9.])
    """
    values = input._values()
    if dtype is not None:
        values = values.to(dtype)
    if dim is None:
        return values.sum()
    dims = normalize_dims(dim, input.ndim)
    n_sparse = input.sparse_dim()
    dense_dims = [d - n_sparse + 1 for d in dims if d >= n_sparse]
    if dense_dims:
        values = values.sum(dense_dims)
    kept = [d for d in range(n_sparse) if d not in dims]
    rest = [input.shape[d] for d in range(n_sparse, input.ndim) if d not in dims]
    if len(kept) == n_sparse:
        return input._like(values, shape=tuple([input.shape[d] for d in kept] + rest))
    if not kept:
        return values.sum(0)
    xp = input._xp()
    flat, _ = input._flat_index(kept)
    keys, inverse = xp.unique(flat, return_inverse=True)
    summed = SegmentSum.apply(values, inverse.reshape(-1), builtins.int(keys.size))
    kept_shape = tuple(input.shape[d] for d in kept)
    indices = xp.stack(xp.unravel_index(keys, kept_shape)).astype("int64", copy=False)
    return input._like(summed, indices, kept_shape + tuple(rest), True)


def _groups(input: Any, dim: int) -> tuple:
    """Entries of a coalesced sparse tensor grouped by all their sparse indices but ``dim``."""
    if input.dense_dim() != 0:
        raise _no_kernel("_sparse_softmax (dense dims)", input)
    dim = normalize_dims(dim, input.ndim)[0]
    xp = input._xp()
    others = [d for d in range(input.sparse_dim()) if d != dim]
    flat, _ = input._flat_index(others)
    keys, inverse = xp.unique(flat, return_inverse=True)
    return inverse.reshape(-1), builtins.int(keys.size)


def _shifted(input: Any, dim: int) -> tuple:
    input = input.coalesce()
    groups, n = _groups(input, dim)
    values = input._values()
    peak = segment_max(values.detach()._data, groups, n)[groups]
    shifted = values - function.Tensor(peak)
    total = SegmentSum.apply(shifted.exp(), groups, n)
    return input, groups, shifted, total


def softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:
    """Softmax over the specified entries along ``dim`` (unspecified ones count as ``-inf``, so
    they stay zero): a sparse tensor on the coalesced indices.

    Args:
        input (Tensor): a sparse COO tensor with no dense dims.
        dim (int): the dimension to normalise along.
        dtype (latte.dtype, optional): the dtype to compute in.

    Example::

        >>> s = latte.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3., 4., 5.], (2, 3))
        >>> latte.sparse.softmax(s, 1).values()
        tensor([1.0000, 0.2689, 0.7311])
    """
    if dtype is not None:
        input = input.to(dtype)
    input, groups, shifted, total = _shifted(input, dim)
    return input._like(shifted.exp() / total.index_select(0, function.Tensor(groups)))


def log_softmax(input: Any, dim: int, *, dtype: Any = None) -> Any:
    """The log of :func:`softmax`, computed stably: ``v - max - log(sum(exp(v - max)))`` over
    each group of specified entries along ``dim``.

    Args:
        input (Tensor): a sparse COO tensor with no dense dims.
        dim (int): the dimension to normalise along.
        dtype (latte.dtype, optional): the dtype to compute in.

    Example::

        >>> s = latte.sparse_coo_tensor([[0, 1, 1], [2, 0, 2]], [3., 4., 5.], (2, 3))
        >>> latte.sparse.log_softmax(s, 1).values()
        tensor([ 0.0000, -1.3133, -0.3133])
    """
    if dtype is not None:
        input = input.to(dtype)
    input, groups, shifted, total = _shifted(input, dim)
    return input._like(shifted - total.log().index_select(0, function.Tensor(groups)))
