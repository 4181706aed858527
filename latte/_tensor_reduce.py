"""Tensor reductions: sum, mean, var/std, extrema, products, norms, softmaxes, any/all."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import _functional as X
from latte import backend, dtypes
from latte._size import size_arg
from latte._tensor_method_factories import linalg_function
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops import elementwise as E
from latte.ops import reduce as R
from latte.return_types import values_indices


def _dims_arg(dim: Any) -> Any:
    """``dim`` may be an int, a tuple/list, or None for all dims."""
    return dim if dim is None or isinstance(dim, (builtins.int, tuple, list)) else builtins.int(dim)


def _check_nonempty(x: Any, name: str, dim: Any) -> None:
    """PyTorch's extrema refuse an empty reduction, where NumPy raises a ValueError: with no
    ``dim`` a RuntimeError, over a size-0 dim an IndexError."""
    if x._data.size:
        return
    all_dims = dim is None or not isinstance(dim, builtins.int) and len(dim) == 0
    if all_dims:
        # PyTorch's argmax/argmin raise an IndexError here, max/amax a RuntimeError
        error = IndexError if name in ("argmax", "argmin") else RuntimeError
        raise error(f"{name}(): Expected reduction dim to be specified for "
                           f"input.numel() == 0. Specify the reduction dim with the 'dim' "
                           f"argument.")
    for d in R.normalize_dims(dim, x.ndim):
        if x._data.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


class ReduceMixin:
    """Reduction methods of ``Tensor``."""

    __slots__ = ()

    def sum_to_size(self, *size: Any) -> Any:
        """Sum this tensor down to ``size``, a shape it broadcasts to (how autograd undoes
        broadcasting). Example: ``x.expand(2, 3).sum_to_size(1, 3)``."""
        shape = size_arg(size)
        try:
            return R.sum_to(self, shape)
        except ValueError:
            raise RuntimeError(f"size {{{', '.join(map(str, shape))}}} is not expandable to size "
                               f"{{{', '.join(map(str, self.shape))}}}.") from None

    def sum(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None,
            axis: Any = None) -> Any:
        """Sum over ``dim`` (all dims when None; ``axis`` is an alias as in PyTorch); integers and
        bools sum as int64. Example: ``x.sum(dim=1, keepdim=True)``."""
        dims = R.normalize_dims(_dims_arg(dim if axis is None else axis), self.ndim)
        np_dtype = dtypes.to_numpy_dtype(dtype) if dtype is not None else (
            np.dtype(np.int64) if self._data.dtype.kind in "biu" else None)
        return R.Sum.apply(self, dims, keepdim, np_dtype)

    @named_node("NansumBackward0")
    def nansum(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The sum of the elements, treating NaN as zero.

        Args:
            dim (int or tuple of int, optional): the dimensions to reduce (all by default).
            keepdim (bool): keep the reduced dimensions with size 1.

        Example::

            >>> latte.nansum(latte.tensor([1.0, float('nan'), 2.0]))
            tensor(3.)
        """
        if not self.is_floating_point():  # no NaN to drop; integers keep sum's int64
            return self.sum(dim, keepdim)
        return self.where(~self.isnan(), 0.0).sum(dim, keepdim)

    @named_node(lambda self, dim=None, *a, **k:
                "MeanBackward0" if dim is None and k.get("axis") is None else "MeanBackward1")
    def mean(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None,
             axis: Any = None) -> Any:
        """Arithmetic mean over ``dim`` (or ``axis``); integer tensors need ``dtype=`` as in
        PyTorch. Example: ``x.mean(0)``."""
        dim = dim if axis is None else axis
        if dtype is None and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {self.dtype.name.capitalize()}")
        x = self if dtype is None else self.to(dtype)
        dims = R.normalize_dims(_dims_arg(dim), self.ndim)
        count = 1
        for d in dims:
            count *= self._data.shape[d] if self.ndim else 1
        return x.sum(dims if self.ndim else None, keepdim) / builtins.float(count)

    @named_node("VarBackward0")
    def var(self, dim: Any = None, unbiased: Any = None, keepdim: builtins.bool = False, *,
            correction: Any = None) -> Any:
        """Variance with ``correction`` (1 = unbiased, Bessel's correction, the default)."""
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        dims = R.normalize_dims(_dims_arg(dim), self.ndim)
        count = 1
        for d in dims:
            count *= self._data.shape[d] if self.ndim else 1
        centered = self - self.mean(dims if self.ndim else None, keepdim=True)
        return (centered * centered).sum(dims if self.ndim else None, keepdim) / \
            builtins.float(builtins.max(count - correction, 0))

    @named_node("StdBackward0")
    def std(self, dim: Any = None, unbiased: Any = None, keepdim: builtins.bool = False, *,
            correction: Any = None) -> Any:
        """Standard deviation: ``sqrt(var(...))`` (with gradient 0 where it is 0, as PyTorch)."""
        return E.NormRoot.apply(self.var(dim, unbiased, keepdim, correction=correction), 0.5)

    def _extreme(self, dim: Any, keepdim: builtins.bool, largest: builtins.bool) -> Any:
        if dim is None or isinstance(dim, builtins.int):
            _check_nonempty(self, "max" if largest else "min", dim)
        if dim is None:
            return R.Amax.apply(self, R.normalize_dims(None, self.ndim), False, largest, True)
        if not isinstance(dim, builtins.int):  # max(other_tensor): the elementwise maximum
            return self.maximum(dim) if largest else self.minimum(dim)
        d = self._dim(dim)
        values, indices = R.MaxDim.apply(self, d if self.ndim else None, keepdim, largest) \
            if self.ndim else (self.clone(), self.new_zeros((), dtype=dtypes.int64))
        return values_indices(values, indices)

    @named_node(lambda self, dim=None, *a, **k: "MaxBackward1" if dim is None else
                "MaxBackward0" if self.ndim == 0 and not hasattr(dim, "_data") else None)
    def max(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The maximum; with ``dim``, the pair ``(values, indices)``."""
        return self._extreme(dim, keepdim, True)

    @named_node(lambda self, dim=None, *a, **k: "MinBackward1" if dim is None else
                "MinBackward0" if self.ndim == 0 and not hasattr(dim, "_data") else None)
    def min(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The minimum; with ``dim``, the pair ``(values, indices)``."""
        return self._extreme(dim, keepdim, False)

    def amax(self, dim: Any = (), keepdim: builtins.bool = False) -> Any:
        """The largest value along ``dim`` (all dims by default); the gradient is shared evenly
        between equal maxima.

        Args:
            dim (int or tuple of int): the dimensions to reduce.
            keepdim (bool): keep the reduced dimensions with size 1.

        Example::

            >>> latte.amax(latte.tensor([[1.0, 5.0], [4.0, 2.0]]), dim=0)
            tensor([4., 5.])
        """
        _check_nonempty(self, "amax", _dims_arg(dim))
        return R.Amax.apply(self, R.normalize_dims(_dims_arg(dim), self.ndim), keepdim, True)

    def amin(self, dim: Any = (), keepdim: builtins.bool = False) -> Any:
        """The smallest value along ``dim`` (all dims by default); the gradient is shared evenly
        between equal minima.

        Args:
            dim (int or tuple of int): the dimensions to reduce.
            keepdim (bool): keep the reduced dimensions with size 1.

        Example::

            >>> latte.amin(latte.tensor([[1.0, 5.0], [4.0, 2.0]]), dim=1)
            tensor([1., 2.])
        """
        _check_nonempty(self, "amin", _dims_arg(dim))
        return R.Amax.apply(self, R.normalize_dims(_dims_arg(dim), self.ndim), keepdim, False)

    def argmax(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The index of the largest value along ``dim``, or in the flattened tensor when ``dim`` is
        None (int64).

        Args:
            dim (int, optional): the dimension to reduce.
            keepdim (bool): keep the reduced dimension with size 1.

        Example::

            >>> x = latte.tensor([[1.0, 5.0], [4.0, 2.0]])
            >>> latte.argmax(x), latte.argmax(x, dim=1)
            (tensor(1), tensor([1, 0]))
        """
        return self._arg_extreme(dim, keepdim, np.argmax)

    def argmin(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """The index of the smallest value along ``dim``, or in the flattened tensor when ``dim`` is
        None (int64).

        Args:
            dim (int, optional): the dimension to reduce.
            keepdim (bool): keep the reduced dimension with size 1.

        Example::

            >>> latte.argmin(latte.tensor([[1.0, 5.0], [4.0, 2.0]]), dim=0)
            tensor([0, 1])
        """
        return self._arg_extreme(dim, keepdim, np.argmin)

    def _arg_extreme(self, dim: Any, keepdim: builtins.bool, fn: Any) -> Any:
        _check_nonempty(self, fn.__name__, dim)
        data, xp = self._data, self._xp()
        if dim is None:
            out = backend.run_on(data, lambda: xp.asarray(fn(data.reshape(-1)), dtype=np.int64))
            return function.Tensor(out.reshape((1,) * self.ndim) if keepdim else out)
        d = self._dim(dim)
        if self.ndim == 0:
            return function.Tensor(backend.array_on(data, "zeros", (), dtype=np.int64))
        # asarray: a 1-d input reduces to a NumPy scalar, which Tensor would not keep as int64
        return function.Tensor(backend.run_on(
            data, lambda: xp.asarray(fn(data, axis=d, keepdims=keepdim), dtype=np.int64)))

    @named_node("LogsumexpBackward0")
    def logsumexp(self, dim: Any, keepdim: builtins.bool = False) -> Any:
        """``log(sum(exp(x)))`` computed stably by factoring out the max."""
        x = self._floating()  # as PyTorch: ints and bools compute in the default float dtype
        dims = R.normalize_dims(_dims_arg(dim), x.ndim)
        if x._data.size:
            m = x.detach().amax(dims, keepdim=True)
            m = m.where(m.isfinite(), 0.0)
        else:  # nothing to factor out (zeros of the reduced shape): the result is log(0)
            m = x.detach().sum(dims, keepdim=True)
        out = (x - m).exp().sum(dims, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dims) if x.ndim else out

    def softmax(self, dim: Any = None, dtype: Any = None) -> Any:
        """``exp(x) / sum(exp(x))`` along ``dim``, stable for large inputs."""
        x = self._floating() if dtype is None else self.to(dtype)
        return R.Softmax.apply(x, _softmax_dim(x, dim))

    def log_softmax(self, dim: Any = None, dtype: Any = None) -> Any:
        """``x - logsumexp(x)`` along ``dim``, stable (no log of zero)."""
        x = self._floating() if dtype is None else self.to(dtype)
        return R.LogSoftmax.apply(x, _softmax_dim(x, dim))

    def prod(self, dim: Any = None, keepdim: builtins.bool = False, *, dtype: Any = None) -> Any:
        """The product of the elements, over all of them or along ``dim``.

        Args:
            dim (int, optional): the dimension to reduce.
            keepdim (bool): keep the reduced dimension with size 1.
            dtype (latte.dtype, optional): the dtype to compute and return in.

        Example::

            >>> latte.prod(latte.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1)
            tensor([ 2., 12.])
        """
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "bu" or (x._data.dtype.kind == "i" and dtype is None):
            x = x._cast(np.int64)
        if dim is None:
            return R.Prod.apply(x, None, False)
        return R.Prod.apply(x, x._dim(dim), keepdim) if x.ndim else x.clone()

    @named_node("CumsumBackward0")
    def cumsum(self, dim: builtins.int, *, dtype: Any = None) -> Any:
        """Cumulative sums along ``dim``: element ``i`` is the sum of elements ``0..i``.

        Args:
            dim (int): the dimension to accumulate along.
            dtype (latte.dtype, optional): the dtype to compute and return in.

        Example::

            >>> latte.cumsum(latte.tensor([1, 2, 3]), dim=0)
            tensor([1, 3, 6])
        """
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind in "biu":
            x = x._cast(np.int64)
        if x.ndim == 0:
            return x.clone()
        return R.Cumsum.apply(x, x._dim(dim))

    @named_node("CumprodBackward0")
    def cumprod(self, dim: builtins.int, *, dtype: Any = None) -> Any:
        """Cumulative products along ``dim``: element ``i`` is the product of elements ``0..i``.

        Args:
            dim (int): the dimension to accumulate along.
            dtype (latte.dtype, optional): the dtype to compute and return in.

        Example::

            >>> latte.cumprod(latte.tensor([1.0, 2.0, 3.0]), dim=0)
            tensor([1., 2., 6.])
        """
        x = self if dtype is None else self.to(dtype)
        if x.ndim == 0:
            return x.clone()
        return R.Cumprod.apply(x, x._dim(dim))

    @named_node("LinalgVectorNormBackward0")
    def norm(self, p: Any = "fro", dim: Any = None, keepdim: builtins.bool = False,
             dtype: Any = None) -> Any:
        """Vector p-norm over ``dim`` (``'fro'`` and 2 are the Euclidean norm).

        At a zero norm the gradient is 0, as in PyTorch. Example: ``x.norm(dim=1)``.
        """
        if dtype is None and not self.is_floating_point():
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {self.dtype.name.capitalize()}")
        x = self if dtype is None else self.to(dtype)
        if p == "nuc":  # the sum of singular values, over two dims
            return _matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim)
        if p in ("fro", 2, 2.0):
            return E.NormRoot.apply((x * x).sum(dim, keepdim), 0.5)
        if p in (builtins.float("inf"), "inf"):
            return x.abs().amax(() if dim is None else dim, keepdim)
        if p in (-builtins.float("inf"), "-inf"):
            return x.abs().amin(() if dim is None else dim, keepdim)
        if p == 1:
            return x.abs().sum(dim, keepdim)
        if p == 0:
            return (x != 0).sum(dim, keepdim).to(x.dtype)
        return E.NormRoot.apply((x.abs() ** p).sum(dim, keepdim), 1.0 / p)

    def all(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """Whether every element is nonzero, over all elements or along ``dim`` (a bool tensor).

        Args:
            dim (int, optional): the dimension to reduce.
            keepdim (bool): keep the reduced dimension with size 1.

        Example::

            >>> latte.all(latte.tensor([[True, False], [True, True]]), dim=1)
            tensor([False,  True])
        """
        axis = None if dim is None else R.normalize_dims(_dims_arg(dim), self.ndim)
        out = backend.run_on(self._data, _reduced, np.all, self._data, axis, keepdim)
        # PyTorch keeps uint8 for uint8 input (its old bool stand-in); bool for the rest
        return function.Tensor(out.astype(np.uint8) if self._data.dtype == np.uint8 else out)

    def any(self, dim: Any = None, keepdim: builtins.bool = False) -> Any:
        """Whether any element is nonzero, over all elements or along ``dim`` (a bool tensor).

        Args:
            dim (int, optional): the dimension to reduce.
            keepdim (bool): keep the reduced dimension with size 1.

        Example::

            >>> latte.any(latte.tensor([0, 0, 3]))
            tensor(True)
        """
        axis = None if dim is None else R.normalize_dims(_dims_arg(dim), self.ndim)
        out = backend.run_on(self._data, _reduced, np.any, self._data, axis, keepdim)
        # PyTorch keeps uint8 for uint8 input (its old bool stand-in); bool for the rest
        return function.Tensor(out.astype(np.uint8) if self._data.dtype == np.uint8 else out)

    def count_nonzero(self, dim: Any = None) -> Any:
        """The number of nonzero elements, over all elements or along ``dim`` (int64).

        Args:
            dim (int or tuple of int, optional): the dimensions to count along.

        Example::

            >>> latte.count_nonzero(latte.tensor([[0, 1], [2, 3]]), dim=0)
            tensor([1, 2])
        """
        return (self != 0).sum(dim)

    # --- composed extras (latte/_functional/) ----------------------------
    nanmean, cummax, cummin, logcumsumexp = X.nanmean, X.cummax, X.cummin, X.logcumsumexp
    histc, bincount = X.histc, X.bincount

    # --- composed statistics (latte/_functional/) --------------------------------------------
    quantile, nanquantile, nanmedian, mode = X.quantile, X.nanquantile, X.nanmedian, X.mode
    msort, aminmax, histogram, cov, corrcoef = X.msort, X.aminmax, X.histogram, X.cov, X.corrcoef


def _softmax_dim(x: Any, dim: Any) -> builtins.int:
    if dim is None:
        # PyTorch's legacy implicit choice: dim 0 for 0-, 1- and 3-D inputs, else 1
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return x._dim(dim) if x.ndim else 0


_matrix_norm = linalg_function("matrix_norm")  # latte.linalg sits above the Tensor class


def _reduced(fn: Any, a: Any, axis: Any, keepdim: builtins.bool) -> Any:
    """``fn(a, axis)`` as an array (NumPy reduces to a scalar where CuPy gives a 0-d array)."""
    return backend.get_array_module(a).asarray(fn(a, axis=axis, keepdims=keepdim))
