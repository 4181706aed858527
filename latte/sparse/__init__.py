"""``latte.sparse``: sparse COO tensors and their ops (PyTorch's ``torch.sparse``).

A COO tensor stores an int64 ``(sparse_dim, nnz)`` index array and a values Tensor, memory
``O(nnz)``; make one with :func:`latte.sparse_coo_tensor` or ``Tensor.to_sparse()``. Products
with dense matrices (``@``, ``latte.mm``, ``latte.spmm``, :func:`mm`) and sums are differentiable
w.r.t. the dense operand and the values; other dense ops raise ``NotImplementedError``.
"""
from latte.sparse._coo import SparseTensor
from latte.sparse._creation import sparse_coo_tensor, to_sparse, to_sparse_coo
from latte.sparse._ops import addmm, log_softmax, mm, softmax, spmm, sum
from latte.tensor import Tensor

__all__ = ["SparseTensor", "addmm", "log_softmax", "mm", "softmax", "spmm", "sparse_coo_tensor",
           "sum"]

# the dense Tensor's way in: latte.sparse sits above latte.tensor, so it adds these methods
# itself (``x.to_sparse()``), as ``function.Tensor`` is set from above
Tensor.to_sparse = to_sparse  # type: ignore[attr-defined]
Tensor.to_sparse_coo = to_sparse_coo  # type: ignore[attr-defined]
