"""``SparseTensor``: a COO tensor, an int64 ``(sparse_dim, nnz)`` index array plus a values Tensor.

It is a ``latte.Tensor`` (so ``isinstance`` checks and Tensor-typed arguments accept it) that holds
no dense array: memory is ``O(nnz)``. The values Tensor carries the autograd history, so every
sparse op is a dense op on the values with the indices as constants.

Only the methods this class defines (and a few safe inherited ones) can run on it; any other
Tensor method raises PyTorch's ``NotImplementedError`` naming the op and the sparse backend, and a
dense op that reaches for the (absent) dense array raises the same kind of error.
"""
from __future__ import annotations

import builtins
import inspect
from typing import Any

import numpy as np

from latte import _tensor_str, backend, dtypes
from latte._functional import cat
from latte._size import Size
from latte.sparse import _ops
from latte.sparse._kernels import SegmentSum
from latte.tensor import Tensor

__all__ = ["SparseTensor", "unsupported"]


def unsupported(name: str | None, device: Any = None) -> NotImplementedError:
    """PyTorch's error for an op with no sparse kernel, naming the op (when known) and the
    backend."""
    dispatch = "SparseCUDA" if device is not None and device.type == "cuda" else "SparseCPU"
    what = f"'aten::{name}'" if name else "a dense operation"
    return NotImplementedError(
        f"Could not run {what} with arguments from the '{dispatch}' backend. Latte's "
        f"sparse_coo tensors support only the ops in latte.sparse, matrix products with dense "
        f"tensors, sums, addition and scaling; call .to_dense() first.")


class SparseTensor(Tensor):
    """A sparse COO tensor of ``layout=latte.sparse_coo``: make one with
    :func:`latte.sparse_coo_tensor` or ``Tensor.to_sparse()``.

    ``indices`` is an int64 backend array ``(sparse_dim, nnz)``, ``values`` a Tensor
    ``(nnz, *dense_shape)`` and ``shape`` the full shape ``sparse_shape + dense_shape``.
    """

    def __init__(self, indices: Any, values: Tensor, shape: tuple, coalesced: bool = False) -> None:
        # Tensor.__init__ would wrap a dense array; set only the bookkeeping the engine reads
        d = self.__dict__
        d["_sp_indices"], d["_sp_values"] = indices, values
        d["_sp_shape"], d["_sp_coalesced"] = tuple(builtins.int(n) for n in shape), coalesced
        self._output_nr = 0
        self._vc = [0]
        self._hooks = None
        self._post_accumulate_hooks = None

    def __getattribute__(self, name: str) -> Any:
        if name in _UNSUPPORTED:
            device = object.__getattribute__(self, "device")
            if name in _METHODS:  # as in PyTorch, the method exists and its call fails
                def refused(*args: Any, **kwargs: Any) -> Any:
                    raise unsupported(name, device)
                return refused
            raise unsupported(name, device)
        return object.__getattribute__(self, name)

    @property
    def _data(self) -> Any:  # type: ignore[override]
        # dense code paths (ops, operators) read ``_data``: there is none to give them
        raise unsupported(None, self.device)

    def _like(self, values: Tensor, indices: Any = None, shape: tuple | None = None,
              coalesced: bool | None = None) -> SparseTensor:
        """A sparse tensor with new values (and, if given, new indices, shape or flag)."""
        return SparseTensor(self._sp_indices if indices is None else indices, values,
                            self._sp_shape if shape is None else shape,
                            self._sp_coalesced if coalesced is None else coalesced)

    # --- attributes ----------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._sp_shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of one dimension."""
        if dim is None:
            return Size(self._sp_shape)
        return self._sp_shape[self._dim(dim)]

    def dim(self) -> int:
        return len(self._sp_shape)

    ndimension = dim

    @property
    def ndim(self) -> int:
        return len(self._sp_shape)

    def numel(self) -> int:
        """The number of elements of the dense tensor this one stands for."""
        return builtins.int(np.prod(self._sp_shape, dtype=np.int64))

    nelement = numel

    def _dim(self, dim: int) -> int:
        rank = max(len(self._sp_shape), 1)
        if not -rank <= dim < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-rank}, {rank - 1}], but got {dim})")
        return dim % rank

    @property
    def dtype(self) -> dtypes.dtype:
        return self._sp_values.dtype

    @property
    def device(self) -> backend.device:
        return self._sp_values.device

    @property
    def is_cuda(self) -> builtins.bool:
        return self._sp_values.is_cuda

    @property
    def layout(self) -> dtypes.layout:
        """``latte.sparse_coo``."""
        return dtypes.sparse_coo

    @property
    def is_sparse(self) -> builtins.bool:
        return True

    def is_floating_point(self) -> builtins.bool:
        return self._sp_values.is_floating_point()

    def element_size(self) -> int:
        return self._sp_values.element_size()

    def _xp(self) -> Any:
        return backend.get_array_module(self._sp_indices)

    # --- autograd: the values carry it ---------------------------------------------------
    @property
    def requires_grad(self) -> builtins.bool:  # type: ignore[override]
        return self._sp_values.requires_grad

    @requires_grad.setter
    def requires_grad(self, value: builtins.bool) -> None:
        self._sp_values.requires_grad_(value)

    @property
    def grad_fn(self) -> Any:  # type: ignore[override]
        return self._sp_values.grad_fn

    @grad_fn.setter
    def grad_fn(self, value: Any) -> None:
        raise RuntimeError("the history of a sparse tensor is that of its values")

    @property
    def is_leaf(self) -> builtins.bool:
        return self._sp_values.is_leaf

    @property
    def grad(self) -> Any:  # type: ignore[override]
        """The gradient, a sparse tensor on the same indices (as PyTorch's for sparse leaves)."""
        g = self._sp_values.grad
        return None if g is None else self._like(g)

    @grad.setter
    def grad(self, value: Any) -> None:
        if value is not None:
            raise RuntimeError("assigning a gradient to a sparse tensor is not supported")
        self._sp_values.grad = None

    def requires_grad_(self, requires_grad: builtins.bool = True) -> SparseTensor:
        """Set whether autograd records operations on this tensor (its values); returns it."""
        self._sp_values.requires_grad_(requires_grad)
        return self

    @property
    def data(self) -> SparseTensor:  # type: ignore[override]
        """The same indices and values, detached from the graph."""
        return self.detach()

    def detach(self) -> SparseTensor:
        """The same indices and values with no history."""
        return self._like(self._sp_values.detach())

    def clone(self, memory_format: Any = None) -> SparseTensor:
        """A copy of indices and values (the values stay in the graph)."""
        return self._like(self._sp_values.clone(), self._sp_indices.copy())

    # --- COO structure -------------------------------------------------------------------
    def sparse_dim(self) -> int:
        """The number of sparse dimensions (rows of the index array)."""
        return builtins.int(self._sp_indices.shape[0])

    def dense_dim(self) -> int:
        """The number of dense dimensions (those of each value after the first)."""
        return self._sp_values.ndim - 1

    def _nnz(self) -> int:
        """The number of stored entries (duplicates included when uncoalesced)."""
        return builtins.int(self._sp_indices.shape[1])

    def is_coalesced(self) -> builtins.bool:
        """Whether the indices are sorted and unique (``coalesce()`` makes them so)."""
        return self._sp_coalesced

    def _indices(self) -> Tensor:
        """The ``(sparse_dim, nnz)`` int64 indices as stored, coalesced or not."""
        return Tensor(self._sp_indices)

    def _values(self) -> Tensor:
        """The ``(nnz, *dense_shape)`` values as stored (in the graph)."""
        return self._sp_values

    def indices(self) -> Tensor:
        """The indices of a coalesced tensor (call ``coalesce()`` first)."""
        if not self._sp_coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return Tensor(self._sp_indices)

    def values(self) -> Tensor:
        """The values of a coalesced tensor (call ``coalesce()`` first)."""
        if not self._sp_coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._sp_values

    def _flat_index(self, dims: Any = None) -> tuple:
        """Row-major linear index of each entry over the sparse ``dims`` (all by default), and
        the number of positions."""
        dims = range(self.sparse_dim()) if dims is None else dims
        flat = self._xp().zeros(self._nnz(), dtype=np.int64)
        count = 1
        for d in dims:
            flat = flat * self._sp_shape[d] + self._sp_indices[d]
            count *= self._sp_shape[d]
        return flat, count

    def coalesce(self) -> SparseTensor:
        """This tensor with duplicate indices summed and entries sorted row-major.

        Example::

            >>> s = latte.sparse_coo_tensor([[0, 0, 1], [1, 1, 0]], [1., 2., 3.], (2, 2))
            >>> s.coalesce().values()
            tensor([3., 3.])
        """
        if self._sp_coalesced:
            return self
        xp = self._xp()
        flat, _ = self._flat_index()
        keys, inverse = xp.unique(flat, return_inverse=True)
        values = SegmentSum.apply(self._sp_values, inverse.reshape(-1), builtins.int(keys.size))
        sparse_shape = self._sp_shape[:self.sparse_dim()]
        indices = xp.stack(xp.unravel_index(keys, sparse_shape)) if sparse_shape else \
            xp.zeros((0, keys.size), dtype=np.int64)
        return SparseTensor(indices.astype(np.int64, copy=False).reshape(len(sparse_shape), -1),
                            values, self._sp_shape, True)

    def to_dense(self, dtype: Any = None, *, masked_grad: Any = None) -> Tensor:
        """The dense tensor this one stands for (differentiable w.r.t. the values)."""
        flat, count = self._flat_index()
        out = SegmentSum.apply(self._sp_values, flat, count).reshape(self._sp_shape)
        return out if dtype is None else out.to(dtype)

    def to_sparse(self, *args: Any, layout: Any = None, **kwargs: Any) -> SparseTensor:
        """Itself: it is already sparse COO."""
        if layout not in (None, dtypes.sparse_coo):
            raise unsupported(f"to_sparse ({layout})", self.device)
        return self

    to_sparse_coo = to_sparse

    # --- conversion ----------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> SparseTensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``: convert the values (and move the
        indices with them)."""
        values = self._sp_values.to(*args, **kwargs)
        if values is self._sp_values:
            return self
        indices = self._sp_indices
        if values.device != self.device:
            indices = backend.to_device(indices, values.device)
        return self._like(values, indices)

    def _cast(self, np_dtype: Any) -> SparseTensor:
        values = self._sp_values._cast(np_dtype)
        return self if values is self._sp_values else self._like(values)

    def t(self) -> SparseTensor:
        """The transpose of a 2-D sparse tensor (indices rows swapped; uncoalesced after)."""
        if self.sparse_dim() != 2 or self.dense_dim() != 0:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but got {self.sparse_dim()} sparse and {self.dense_dim()} dense "
                               f"dimensions")
        return self.transpose(0, 1)

    @property
    def T(self) -> SparseTensor:
        return self.t()

    def transpose(self, dim0: int, dim1: int) -> SparseTensor:
        """Swap two sparse dimensions."""
        d0, d1 = self._dim(dim0), self._dim(dim1)
        if max(d0, d1) >= self.sparse_dim():
            raise unsupported("transpose of a dense dimension", self.device)
        if d0 == d1:
            return self._like(self._sp_values)
        order = list(range(self.sparse_dim()))
        order[d0], order[d1] = d1, d0
        shape = list(self._sp_shape)
        shape[d0], shape[d1] = shape[d1], shape[d0]
        return SparseTensor(self._sp_indices[order], self._sp_values, tuple(shape), False)

    # --- arithmetic ----------------------------------------------------------------------
    def mul(self, other: Any) -> SparseTensor:
        """Multiply by a number, a one-element tensor or a dense tensor of the same shape
        (the result keeps this tensor's indices)."""
        if isinstance(other, SparseTensor):
            raise unsupported("mul (sparse * sparse)", self.device)
        if isinstance(other, Tensor) and other.ndim > 0:
            if tuple(other.shape) != self._sp_shape:
                raise RuntimeError(f"mul: a sparse tensor of size {list(self._sp_shape)} times "
                                   f"a dense one of size {list(other.shape)} is not supported")
            picked = other[tuple(Tensor(row) for row in self._sp_indices)]
            return self._like(self._sp_values * picked)
        return self._like(self._sp_values * other)

    __mul__ = __rmul__ = multiply = mul

    def div(self, other: Any) -> SparseTensor:
        """Divide by a number or a one-element tensor."""
        if isinstance(other, Tensor) and other.ndim > 0:
            raise unsupported("div (sparse / tensor)", self.device)
        return self._like(self._sp_values / other)

    __truediv__ = divide = true_divide = div

    def neg(self) -> SparseTensor:
        """``-self``."""
        return self._like(-self._sp_values)

    __neg__ = negative = neg

    def add(self, other: Any, *, alpha: Any = 1) -> SparseTensor:
        """``self + alpha * other`` for a sparse ``other`` of the same shape (sparse result).

        A dense ``other`` is refused, as PyTorch does: write ``dense + sparse``.
        """
        if not isinstance(other, SparseTensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        if other._sp_shape != self._sp_shape:
            raise RuntimeError(f"add: expected 'self' and 'other' to have same size, but self has "
                               f"size {list(self._sp_shape)} while other has size "
                               f"{list(other._sp_shape)} (FYI: dense-sparse addition does not "
                               f"currently support broadcasting)")
        if other.sparse_dim() != self.sparse_dim():
            raise RuntimeError("add: expected 'self' and 'other' to have the same sparse dims")
        xp = self._xp()
        theirs = other._sp_values if alpha == 1 else other._sp_values * alpha
        dtype = dtypes.from_numpy_dtype(dtypes.result_type(dtypes.to_numpy_dtype(self.dtype),
                                                           dtypes.to_numpy_dtype(theirs.dtype)))
        values = cat([self._sp_values.to(dtype), theirs.to(dtype)])
        out = SparseTensor(xp.concatenate([self._sp_indices, other._sp_indices], axis=1), values,
                           self._sp_shape, False)
        # two coalesced operands merge into a coalesced sum, as PyTorch's
        return out.coalesce() if self._sp_coalesced and other._sp_coalesced else out

    def __add__(self, other: Any) -> Any:
        return self.add(other)

    def __radd__(self, other: Any) -> Any:
        # dense + sparse (Python tries this first: the subclass's reflected method wins)
        if isinstance(other, SparseTensor):
            return other.add(self)
        if not isinstance(other, Tensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        return other + self.to_dense()

    def sub(self, other: Any, *, alpha: Any = 1) -> SparseTensor:
        """``self - alpha * other`` for a sparse ``other`` of the same shape."""
        return self.add(other, alpha=-alpha)

    subtract = sub

    def __sub__(self, other: Any) -> Any:
        return self.sub(other)

    def __rsub__(self, other: Any) -> Any:
        return (-self).__radd__(other)

    # --- products and sums ---------------------------------------------------------------
    def mm(self, mat2: Any) -> Tensor:
        """``self @ mat2`` for a 2-D sparse ``self`` ``(n, m)`` and dense ``mat2`` ``(m, p)``:
        a dense ``(n, p)``, differentiable w.r.t. both (see ``latte.sparse.mm``)."""
        return _ops.mm(self, mat2)

    def matmul(self, other: Any) -> Tensor:
        """``self @ other``: as ``mm``, and a 1-D ``other`` gives a 1-D result."""
        return _ops.matmul(self, other)

    def __matmul__(self, other: Any) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def sum(self, dim: Any = None, keepdim: builtins.bool = False, *,
            dtype: Any = None) -> Tensor:
        """The sum of all entries (a dense 0-d tensor), or over ``dim`` (``latte.sparse.sum``)."""
        if keepdim:
            raise unsupported("sum (keepdim=True)", self.device)
        return _ops.sum(self, dim, dtype=dtype)

    # --- Python protocol -----------------------------------------------------------------
    def __len__(self) -> int:
        if not self._sp_shape:
            raise TypeError("len() of a 0-d tensor")
        return self._sp_shape[0]

    def __repr__(self) -> str:
        return _sparse_repr(self)

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> tuple:
        # plain pickling (deepcopy, DataLoader workers): indices, values and the flag
        return (_rebuild, (backend.to_device(self._sp_indices, backend.cpu), self._sp_values,
                           self._sp_shape, self._sp_coalesced))

    def __deepcopy__(self, memo: dict) -> SparseTensor:
        out = self._like(self._sp_values.__deepcopy__(memo), self._sp_indices.copy())
        memo[id(self)] = out
        return out


def _refuse(name: str) -> Any:
    def method(self: SparseTensor, *args: Any, **kwargs: Any) -> Any:
        raise unsupported(name, self.device)
    method.__name__ = f"__{name}__"
    return method


# Python finds operators on the type, past __getattribute__: refuse these by name
for _op in ("getitem", "setitem", "iter", "bool", "float", "int", "index", "abs", "pow", "rpow",
            "floordiv", "rfloordiv", "mod", "rmod", "rtruediv", "eq", "ne", "lt", "le", "gt", "ge",
            "and", "or", "xor", "invert", "iadd", "isub", "imul", "itruediv", "array"):
    setattr(SparseTensor, f"__{_op}__", _refuse(_op))
SparseTensor.__hash__ = Tensor.__hash__  # type: ignore[method-assign]


def _rebuild(indices: Any, values: Tensor, shape: tuple, coalesced: bool) -> SparseTensor:
    return SparseTensor(backend.to_device(indices, values.device), values, shape, coalesced)


# inherited methods that only read what this class overrides (or nothing at all)
_KEPT = {"float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte", "bool",
         "cpu", "cuda", "type", "get_device", "is_cpu", "is_xpu", "is_mps", "is_meta",
         "is_sparse_csr", "is_quantized", "is_mkldnn", "is_vulkan", "is_ipu", "is_hpu", "is_maia",
         "is_mtia", "is_nested", "is_complex", "is_pinned", "pin_memory"}
_UNSUPPORTED = frozenset(
    name for name in dir(Tensor)
    if not name.startswith("_") and name not in SparseTensor.__dict__ and name not in _KEPT)
_METHODS = frozenset(name for name in _UNSUPPORTED
                     if callable(inspect.getattr_static(Tensor, name)))


def _plain_repr(t: Tensor, indent: int) -> str:
    """``tensor([...])`` of a dense tensor with no suffix, its lines shifted by ``indent``, as
    PyTorch prints the parts of a sparse tensor."""
    data = backend.to_device(t.detach()._data, backend.cpu)
    if data.size == 0:
        return f"tensor([], size={tuple(data.shape)})"
    if data.dtype == np.float16:
        data = data.astype(np.float32)
    summarize = data.size > _tensor_str._THRESHOLD
    fmt = _tensor_str._Formatter(_tensor_str._summarized(data) if summarize else data)
    body = _tensor_str._body(data, len("tensor("), summarize, fmt)
    return ("tensor(" + body + ")").replace("\n", "\n" + " " * indent)


def _sparse_repr(s: SparseTensor) -> str:
    indent = len("tensor(")
    values = s._sp_values
    lines = ["tensor(indices=" + _plain_repr(Tensor(s._sp_indices), indent + len("indices=")),
             "values=" + _plain_repr(values, indent + len("values="))]
    suffixes = [f"size={s._sp_shape}", f"nnz={s._nnz()}"]
    if values.dtype.name not in (dtypes.get_default_dtype().name, "int64", "bool"):
        suffixes.append(f"dtype=latte.{values.dtype.name}")
    if s.device.type != "cpu":
        suffixes.append(f"device='{s.device}'")
    suffixes.append(f"layout={dtypes.sparse_coo}")
    if values.grad_fn is not None and values.requires_grad:
        suffixes.append(f"grad_fn=<{type(values.grad_fn).__name__}>")
    elif values.requires_grad:
        suffixes.append("requires_grad=True")
    head = ",\n       ".join(lines) + ",\n       " + suffixes[0]
    return _tensor_str._add_suffixes(head, suffixes[1:], indent)
