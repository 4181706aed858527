"""Sparse COO tensors in a checkpoint, as torch writes them:
``torch._utils._rebuild_sparse_tensor(torch.sparse_coo, (indices, values, size, coalesced))``."""
from __future__ import annotations

from typing import Any

from latte import dtypes
from latte.serialization._storage import _LoadError
from latte.sparse import sparse_coo_tensor
from latte.tensor import Size, Tensor

__all__: list[str] = []


def _get_layout(name: str) -> dtypes.layout:
    """``torch.serialization._get_layout``: a layout saved by name (``'torch.sparse_coo'``)."""
    layout = getattr(dtypes, name.rpartition(".")[2], None)
    if not isinstance(layout, dtypes.layout):
        raise _LoadError(f"unknown layout {name!r} in checkpoint")
    return layout


def _rebuild_sparse_tensor(layout: Any, data: tuple) -> Tensor:
    """``torch._utils._rebuild_sparse_tensor``: only the COO layout is known to Latte."""
    if layout is not dtypes.sparse_coo:
        raise _LoadError(f"checkpoint holds a sparse tensor of layout {layout}; Latte has only "
                         f"{dtypes.sparse_coo}")
    indices, values, size = data[:3]
    coalesced = data[3] if len(data) > 3 else None
    return sparse_coo_tensor(indices, values, size, is_coalesced=coalesced)


def _reduce_sparse(t: Any) -> tuple:
    """A sparse tensor as torch pickles one (its indices and values as ordinary tensors)."""
    return _rebuild_sparse_tensor, (dtypes.sparse_coo, (t._indices(), t._values().detach(),
                                                        Size(t.shape), t.is_coalesced()))
