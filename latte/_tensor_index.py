"""Tensor indexing: ``t[...]``, gather/scatter, masks, sorting and top-k."""
from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from latte import _functional as X
from latte import backend, dtypes
from latte._functional.indexing import as_vectors
from latte._tensor_method_factories import inplace
from latte._tensor_views import track_view
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops import index as I
from latte.ops import reduce as R
from latte.return_types import values_indices


def to_array_index(index: Any) -> Any:
    """Turn an index that may hold Tensors or lists into one NumPy understands."""
    if isinstance(index, tuple):
        return tuple(to_array_index(i) for i in index)
    if isinstance(index, function.Tensor):
        if index._data.dtype == np.uint8:  # PyTorch's old byte masks: a mask, with a warning
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a "
                          "dtype torch.bool instead.", UserWarning, stacklevel=3)
            return index._data.astype(bool)
        if index._data.ndim == 0 and index._data.dtype.kind in "iu":
            return builtins.int(index._data)
        return index._data
    if isinstance(index, list):
        return _list_index(index)
    if isinstance(index, (np.integer,)):
        return builtins.int(index)
    if isinstance(index, slice) and index.step is not None and index.step <= 0:
        raise ValueError("step must be greater than zero")  # PyTorch has no reversed views
    return index


def _list_index(index: list) -> Any:
    """A list index as one array: on the device of the tensors it holds (else on the CPU, as
    NumPy indexes a GPU array with a host list too: CuPy copies it over)."""
    arrays = [i._data for i in index if isinstance(i, function.Tensor)]
    if not index:  # x[[]]: no rows, as an int index (NumPy would make it float)
        return np.zeros(0, np.int64)
    if not arrays:
        return np.asarray(index)
    xp = backend.get_array_module(*arrays)
    if xp is np:
        return np.asarray([to_array_index(i) for i in index])
    # stack on the device: never pull the index tensors back to the host
    return xp.stack([i._data if isinstance(i, function.Tensor) else xp.asarray(i) for i in index])


def _on_device_of(t: Any, key: tuple) -> tuple:
    """``key`` with its host arrays (from Python lists) copied to ``t``'s device."""
    if not any(type(k) is np.ndarray for k in key):
        return key
    dev = t.device
    return tuple(backend.to_device(k, dev) if type(k) is np.ndarray else k for k in key)


def _argsort(a: Any, d: int, descending: bool) -> Any:
    """Stable int64 argsort of the array ``a`` along ``d``."""
    xp = backend.get_array_module(a)
    if descending:
        # a stable descending order: sort the reversed array, map back, then reverse
        n = a.shape[d]
        order = xp.argsort(xp.flip(a, axis=d), axis=d, kind="stable")
        order = xp.flip(n - 1 - order, axis=d)
    else:
        order = xp.argsort(a, axis=d, kind="stable")
    return xp.ascontiguousarray(order).astype(np.int64)


def _nonzero(a: Any, as_tuple: bool) -> Any:
    if a.ndim == 0:  # PyTorch: a scalar is one element with no coordinates, (n, 0) or ([0],)
        hit = np.int64(builtins.bool(a))
        return (np.zeros(hit, np.int64),) if as_tuple else np.zeros((hit, 0), np.int64)
    found = np.nonzero(a)
    if as_tuple:
        return tuple(i.astype(np.int64) for i in found)
    return np.stack(found, axis=1).astype(np.int64)


def _unique(a: Any, return_inverse: bool, return_counts: bool, dim: Any) -> Any:
    out = np.unique(a, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not isinstance(out, tuple):
        return out
    values, *rest = out
    inverse_shape = a.shape if dim is None else (-1,)  # along dim: one entry per slice
    rest = [r.reshape(inverse_shape).astype(np.int64) if i == 0 and return_inverse else
            r.astype(np.int64) for i, r in enumerate(rest)]
    return (values, *rest)


class IndexMixin:
    """Indexing methods of ``Tensor``."""

    __slots__ = ()

    def __getitem__(self, index: Any) -> Any:
        """Basic (ints, slices, None, ...) and advanced (int arrays, bool masks) indexing."""
        key = to_array_index(index)
        if not isinstance(key, tuple):
            key = (key,)
        if type(self._data) is not np.ndarray:
            key = _on_device_of(self, key)
        basic = I.is_basic(key)
        try:
            out = (I.GetItem if basic else I.GetItemCopy).apply(self, key)
        except IndexError as e:
            raise IndexError(f"{e} (indexing a tensor of shape {tuple(self.shape)})") from None
        return track_view(out, self, lambda t: t[key]) if basic else out

    @named_node("GatherBackward0")
    def gather(self, dim: builtins.int, index: Any) -> Any:
        """``out[i][j] = self[i][index[i][j]]`` along ``dim``."""
        self._check_index(dim, index, "gather")
        if index.ndim == 0 or self.ndim == 0:
            vector, indices = as_vectors(self, index)
            return I.Gather.apply(vector, 0, indices).reshape(index.shape)
        return I.Gather.apply(self, self._dim(dim), index)

    def scatter(self, dim: builtins.int, index: Any, src: Any = None, *, value: Any = None,
                reduce: str | None = None) -> Any:
        """A copy with ``src`` (a tensor, or the number ``value``) written at ``index``."""
        self._check_index(dim, index, "scatter", src)
        if src is None:
            src = value
        if reduce in ("add", "multiply"):
            if not hasattr(src, "_data"):
                src = function.Tensor(backend.array_on(self._data, "full", tuple(index.shape),
                                                       src, dtype=self._data.dtype))
            if reduce == "add":
                return self.scatter_add(dim, index, src)
            return self.scatter_reduce(dim, index, src, "prod")
        if reduce is not None:
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        if not hasattr(src, "_data"):
            src = float(src) if self._data.dtype.kind == "f" else src
        if index.ndim == 0 or self.ndim == 0:
            return I.Scatter.apply(*as_vectors(self, index, src, dim=dim)).reshape(self.shape)
        return I.Scatter.apply(self, self._dim(dim), index, src)

    def scatter_add(self, dim: builtins.int, index: Any, src: Any) -> Any:
        """A copy with ``src`` added at ``index`` along ``dim`` (repeats accumulate)."""
        self._check_index(dim, index, "scatter_add", src)
        if index.ndim == 0 or self.ndim == 0:
            return I.ScatterAdd.apply(*as_vectors(self, index, src, dim=dim)).reshape(self.shape)
        return I.ScatterAdd.apply(self, self._dim(dim), index, src)

    def _check_index(self, dim: builtins.int, index: Any, name: str, src: Any = None) -> None:
        """PyTorch's checks of a gather/scatter index: integer, same rank, no larger than
        ``self`` (and ``src``) in the other dims, every value within ``dim``'s size; a ``src``
        tensor of ``self``'s dtype."""
        d = self._dim(dim)  # PyTorch checks the dim first: an IndexError before the rest
        if isinstance(src, function.Tensor) and src.dtype != self.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        if index._data.dtype.kind not in "iu":
            raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype}")
        if index.ndim != self.ndim and not (index.ndim <= 1 and self.ndim <= 1):
            raise RuntimeError(f"Index tensor must have the same number of dimensions as input "
                               f"tensor ({name}: index shape {tuple(index.shape)}, input shape "
                               f"{tuple(self.shape)})")
        larger = self.ndim and index.ndim and any(
            i > s for k, (i, s) in enumerate(zip(index.shape, self.shape)) if k != d)
        if larger or (self.ndim and index.ndim and src is not None and hasattr(src, "shape")
                      and src.ndim == index.ndim
                      and any(i > s for i, s in zip(index.shape, src.shape))):
            raise RuntimeError(f"{name}(): Expected index {list(index.shape)} to be no larger "
                               f"than self {list(self.shape)} apart from dimension {d}"
                               + (f" and to be no larger size than src {list(src.shape)}"
                                  if hasattr(src, "shape") else ""))
        # NumPy would wrap a negative index and raise IndexError past the end; PyTorch's CPU
        # kernels reject both with a RuntimeError. Only host arrays: a device read would sync
        size = self.shape[d] if self.ndim else 1  # a 0-d input reads as one element
        if type(index._data) is np.ndarray and index.numel():
            bad = index._data[(index._data < 0) | (index._data >= size)]
            if bad.size:
                raise RuntimeError(f"{name}(): index {int(bad.flat[0])} is out of bounds for "
                                   f"dimension {d} with size {size}")

    @named_node("IndexSelectBackward0")
    def index_select(self, dim: builtins.int, index: Any) -> Any:
        """Rows (along ``dim``) picked by the 1-D integer ``index``."""
        d = self._dim(dim)
        # a 0-d index tensor picks one row and keeps the dim, as PyTorch (no host read)
        idx = index._data if isinstance(index, function.Tensor) else to_array_index(index)
        idx = backend.run_on(idx, idx.reshape, -1) if hasattr(idx, "reshape") else \
            np.asarray(idx).reshape(-1)
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index, got "
                               f"{idx.dtype}")
        return self[(slice(None),) * d + (idx,)]

    @named_node("TakeBackward0")
    def take(self, index: Any) -> Any:
        """The elements at the flat positions ``index``, as if this tensor were 1-D."""
        if isinstance(index, function.Tensor) and index.ndim == 0:
            # a 0-d index tensor, without reading it back to the host
            return self.reshape(-1)[index.reshape(1)].reshape(())
        return self.reshape(-1)[index]

    @named_node(lambda self, mask, value:
                "MaskedFillBackward1" if hasattr(value, "_data") else "MaskedFillBackward0")
    def masked_fill(self, mask: Any, value: Any) -> Any:
        """A copy with ``value`` where ``mask`` is True."""
        mask_array = mask._data if isinstance(mask, function.Tensor) else \
            backend.array_on(self._data, "asarray", mask)
        if mask_array.dtype != np.bool_:
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with "
                               f"dtype {mask_array.dtype}")
        if isinstance(value, function.Tensor):
            if value.ndim != 0:
                raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, "
                                   f"but got tensor with {value.ndim} dimension(s).")
            value = value.to(self.dtype)
        else:
            value = function.Tensor(backend.array_on(self._data, "asarray", value,
                                            dtype=self._data.dtype))
        return value.where(function.Tensor(mask_array), self)

    @named_node("MaskedSelectBackward0")
    def masked_select(self, mask: Any) -> Any:
        """The elements of ``input`` where ``mask`` is True, as a new 1-D tensor.

        Args:
            mask (BoolTensor): broadcast against ``input``.

        Example::

            >>> x = latte.tensor([1.0, -2.0, 3.0])
            >>> latte.masked_select(x, x > 0)
            tensor([1., 3.])
        """
        shape = np.broadcast_shapes(self._data.shape, mask._data.shape)
        return self.expand(shape)[mask.expand(shape)]

    def nonzero(self, *, as_tuple: builtins.bool = False) -> Any:
        """The indices of the nonzero elements: an ``(n, input.ndim)`` int64 tensor, or with
        ``as_tuple=True`` one 1-D tensor per dimension.

        Args:
            as_tuple (bool): return a tuple of index tensors, usable as ``x[indices]``.

        Example::

            >>> latte.nonzero(latte.tensor([[0, 1], [2, 0]]))
            tensor([[0, 1],
                    [1, 0]])
        """
        # the count of nonzeros sizes the result: CuPy syncs with the GPU here, as PyTorch does
        found = backend.run_on(self._data, _nonzero, self._data, as_tuple)
        return tuple(function.Tensor(i) for i in found) if as_tuple else function.Tensor(found)

    def argwhere(self) -> Any:
        """The indices of the nonzero elements, one row per element: ``nonzero(input)``.

        Example::

            >>> latte.argwhere(latte.tensor([0, 3, 0, 4]))
            tensor([[1],
                    [3]])
        """
        return self.nonzero()

    @named_node("SortBackward0")
    def sort(self, dim: builtins.int = -1, descending: builtins.bool = False,
             stable: builtins.bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim``; values carry the gradient."""
        indices = self.argsort(dim, descending, stable=True)
        if self.ndim == 0:
            return values_indices(self.clone(), indices)
        return values_indices(self.gather(dim, indices), indices)

    def argsort(self, dim: builtins.int = -1, descending: builtins.bool = False,
                stable: builtins.bool = False) -> Any:
        """The indices that sort ``input`` along ``dim``.

        Args:
            dim (int): the dimension to sort.
            descending (bool): largest first.
            stable (bool): keep the order of equal elements.

        Example::

            >>> latte.argsort(latte.tensor([3.0, 1.0, 2.0]))
            tensor([1, 2, 0])
        """
        if self.ndim == 0:
            return function.Tensor(backend.array_on(self._data, "zeros", (), dtype=np.int64))
        return function.Tensor(backend.run_on(self._data, _argsort, self._data, self._dim(dim),
                                     descending))

    @named_node("TopkBackward0")
    def topk(self, k: builtins.int, dim: builtins.int = -1, largest: builtins.bool = True,
             sorted: builtins.bool = True) -> Any:
        """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
        if self._data.dtype == np.bool_:
            raise RuntimeError("topk does not support bool dtypes on CPU")
        n = self.shape[self._dim(dim)] if self.ndim else 1
        if k > n:
            raise RuntimeError(f"selected index k out of range: k={k} but dimension has {n}")
        if self.ndim == 0:
            return values_indices(self.clone(), self.argsort())
        indices = self.argsort(dim, descending=largest).narrow(dim, 0, k)
        return values_indices(self.gather(dim, indices), indices)

    @named_node("KthvalueBackward0")
    def kthvalue(self, k: builtins.int, dim: builtins.int = -1,
                 keepdim: builtins.bool = False) -> Any:
        """The ``k``-th smallest value along ``dim`` and its index, as ``(values, indices)``.

        Args:
            k (int): the rank, counted from 1.
            dim (int): the dimension to search.
            keepdim (bool): keep the reduced dimension with size 1.

        Example::

            >>> values, indices = latte.kthvalue(latte.tensor([5.0, 1.0, 3.0]), 2)
            >>> values, indices
            (tensor(3.), tensor(2))
        """
        if self.ndim == 0:
            self._dim(dim)
            if k != 1:
                raise IndexError(f"kthvalue(): selected number k out of range for a 0-d tensor "
                                 f"(k = {k})")
            return values_indices(self.clone(), self.new_zeros((), dtype=dtypes.int64))
        values, indices = self.sort(dim)
        v = values.narrow(dim, k - 1, 1)
        i = indices.narrow(dim, k - 1, 1)
        if not keepdim:
            v, i = v.squeeze(dim), i.squeeze(dim)
        return values_indices(v, i)

    @named_node(lambda self, dim=None, *a, **k:
                "MedianBackward0" if dim is None else "MedianBackward1")
    def median(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The lower median, as PyTorch; with ``dim`` the pair ``(values, indices)``."""
        if dim is None:
            return R.MedianAll.apply(self)
        d = self._dim(dim)
        if self.ndim and self.shape[d] == 0:
            raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
        if not self.is_floating_point() or self.ndim == 0:
            return self.kthvalue((self.shape[d] - 1) // 2 + 1, dim, keepdim)
        # a row holding NaN has NaN for its median, at its first NaN (sorted after the numbers)
        values, indices = self.sort(d)
        numbers = (~self.isnan()).sum(d, keepdim=True)
        rank = numbers.where(numbers < self.shape[d], (self.shape[d] - 1) // 2)
        v, i = values.gather(d, rank), indices.gather(d, rank)
        if not keepdim:
            v, i = v.squeeze(d), i.squeeze(d)
        return values_indices(v, i)

    def unique(self, sorted: builtins.bool = True, return_inverse: builtins.bool = False,
               return_counts: builtins.bool = False, dim: Any = None) -> Any:
        """The distinct elements of ``input``, sorted; optionally also where each element went
        (``return_inverse``) and how often each occurs (``return_counts``).

        Args:
            sorted (bool): sort the result (it always is, as in PyTorch on CPU).
            return_inverse (bool): also return the index of each element in the result.
            return_counts (bool): also return the count of each distinct element.
            dim (int, optional): the dimension along which to find unique slices.

        Example::

            >>> latte.unique(latte.tensor([3, 1, 3, 2]))
            tensor([1, 2, 3])
            >>> latte.unique(latte.tensor([3, 1, 3]), return_counts=True)
            (tensor([1, 3]), tensor([1, 2]))
        """
        out = backend.run_on(self._data, _unique, self._data, return_inverse, return_counts, dim)
        wrap = function.Tensor
        return wrap(out) if not isinstance(out, tuple) else tuple(wrap(a) for a in out)

    # --- composed extras (latte/_functional/) ------------------------------------------------
    take_along_dim, index_add, index_copy = X.take_along_dim, X.index_add, X.index_copy
    index_fill, scatter_reduce, masked_scatter = X.index_fill, X.scatter_reduce, X.masked_scatter
    index_add_, index_copy_ = inplace("index_add"), inplace("index_copy")
    scatter_reduce_, masked_scatter_ = inplace("scatter_reduce"), inplace("masked_scatter")
    index_put, put = X.index_put, X.put
    index_put_, put_ = inplace("index_put"), inplace("put")
    unique_consecutive = X.unique_consecutive

