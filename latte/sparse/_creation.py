"""Making sparse COO tensors: ``latte.sparse_coo_tensor`` and ``Tensor.to_sparse``."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import backend, dtypes
from latte.creation import tensor as _tensor
from latte.sparse._coo import SparseTensor
from latte.tensor import Tensor

__all__ = ["sparse_coo_tensor", "to_sparse"]


def _as_tensor(data: Any, dtype: Any = None) -> Tensor:
    return data if isinstance(data, Tensor) else _tensor(data, dtype=dtype)


def _check_indices(indices: Any, shape: tuple) -> None:
    """PyTorch's invariant checks (always on here: a bad index would corrupt the segment sums)."""
    if indices.shape[1] == 0:
        return
    low, high = indices.min(axis=1), indices.max(axis=1)
    for d in range(indices.shape[0]):
        if builtins.int(low[d]) < 0:
            raise RuntimeError(f"found negative index {builtins.int(low[d])} for dim {d}")
        if builtins.int(high[d]) >= shape[d]:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                               f"{shape[d]} but found index {builtins.int(high[d])}")


def sparse_coo_tensor(indices: Any, values: Any, size: Any = None, *, dtype: Any = None,
                      device: Any = None, pin_memory: builtins.bool = False,
                      requires_grad: builtins.bool = False, check_invariants: Any = None,
                      is_coalesced: Any = None) -> SparseTensor:
    """A sparse COO tensor with ``values[k]`` at position ``indices[:, k]`` (duplicates sum).

    Args:
        indices (array_like): ``(sparse_dim, nnz)`` integer coordinates (kept as int64).
        values (array_like): ``(nnz, *dense_shape)`` values.
        size (list, tuple or latte.Size, optional): the full shape; inferred as one past the
            largest index of each sparse dim, followed by ``values.shape[1:]``.
        dtype (latte.dtype, optional): the dtype of the values.
        device (latte.device, optional): where to put indices and values.
        requires_grad (bool): whether autograd records operations on the result.
        check_invariants (bool, optional): accepted; indices are always checked.
        is_coalesced (bool, optional): declare the indices sorted and unique.

    Example::

        >>> latte.sparse_coo_tensor([[0, 1], [1, 0]], [2., 3.], (2, 2)).to_dense()
        tensor([[0., 2.],
                [3., 0.]])
    """
    index = _as_tensor(indices)
    if index.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(index.shape)}")
    vals = _as_tensor(values, dtype)
    if device is not None:
        vals = vals.to(device)
    if dtype is not None:
        vals = vals.to(dtype)
    if not vals.requires_grad:
        vals = vals.detach()
    if vals.ndim == 0:
        raise RuntimeError("values must have at least one dimension (nnz)")
    index_array = backend.to_device(index.detach()._data.astype(np.int64, copy=False), vals.device)
    sparse_dim, nnz = index_array.shape
    if vals.shape[0] != nnz:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{nnz}, nnz from values: {vals.shape[0]}")
    dense_shape = tuple(vals.shape[1:])
    if size is None:
        if nnz and builtins.int(index_array.min()) < 0:
            low = index_array.min(axis=1)
            d = builtins.int(np.flatnonzero(backend.to_device(low, backend.cpu) < 0)[0])
            raise RuntimeError(f"found negative index {builtins.int(low[d])} for dim {d}")
        high = index_array.max(axis=1) + 1 if nnz else [0] * sparse_dim
        shape = tuple(builtins.int(h) for h in high) + dense_shape
    else:
        shape = tuple(builtins.int(n) for n in size)
        if len(shape) != sparse_dim + len(dense_shape):
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                               f"len(size) = {len(shape)}, sparse_dim = {sparse_dim}, "
                               f"dense_dim = {len(dense_shape)}")
        if shape[sparse_dim:] != dense_shape:
            raise RuntimeError(f"values has incorrect size, expected "
                               f"{[nnz, *shape[sparse_dim:]]}, got {list(vals.shape)}")
    _check_indices(index_array, shape)
    if requires_grad:
        if vals.grad_fn is not None:
            vals = vals.detach()
        vals.requires_grad_(True)
    # at most one entry is coalesced by definition (as PyTorch marks it)
    coalesced = builtins.bool(is_coalesced) if is_coalesced is not None else nnz <= 1
    return SparseTensor(index_array, vals, shape, coalesced)


def to_sparse(self: Tensor, sparse_dim: Any = None, *, layout: Any = None,
              blocksize: Any = None, dense_dim: Any = None) -> Tensor:
    """This dense tensor as a sparse COO tensor of its nonzero entries (coalesced; the values
    stay in the graph).

    Args:
        sparse_dim (int, optional): how many leading dims are sparse (all by default); each
            entry then holds a dense slice of the rest.
        layout (latte.layout, optional): only ``latte.sparse_coo``.

    Example::

        >>> latte.eye(2).to_sparse().indices()
        tensor([[0, 1],
                [0, 1]])
    """
    if layout not in (None, dtypes.sparse_coo) or blocksize is not None:
        raise NotImplementedError(f"to_sparse: layout {layout} is not supported; Latte has only "
                                  f"{dtypes.sparse_coo}")
    sparse_dim = self.ndim if sparse_dim is None else builtins.int(sparse_dim)
    if not 0 <= sparse_dim <= self.ndim:
        raise RuntimeError(f"sparse_dim must be in [0, {self.ndim}], got {sparse_dim}")
    data = self.detach()._data
    xp = backend.get_array_module(data)
    if sparse_dim == 0:
        return SparseTensor(xp.zeros((0, 1), dtype=np.int64), self.unsqueeze(0), tuple(self.shape),
                            True)
    mask = data != 0
    if sparse_dim < self.ndim:
        mask = mask.any(axis=tuple(range(sparse_dim, self.ndim)))
    positions = xp.nonzero(mask)  # row-major order: the result is coalesced
    indices = xp.stack(positions).astype(np.int64, copy=False).reshape(sparse_dim, -1)
    values = self[tuple(Tensor(p) for p in positions)]
    return SparseTensor(indices, values, tuple(self.shape), True)


def to_sparse_coo(self: Tensor) -> Tensor:
    """This dense tensor as a sparse COO tensor, as ``to_sparse()``."""
    return to_sparse(self)
