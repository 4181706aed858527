"""In-place Tensor methods (``add_``, ``mul_``, ``zero_``, ``copy_``, ``+=``, ``t[i] = v``).

Every write bumps the tensor's version counter, shared with its views, so backward can refuse
to use a value that was overwritten after being saved. Without autograd involved (the usual
case: optimizer updates under ``no_grad``) the write goes straight into the array. When the graph
must record it, the common ops (``add_``, ``sub_``, ``mul_``, ``div_``, ``relu_``, ``neg_``,
``exp_``, ``tanh_``, ``sigmoid_``) still compute into the tensor's own memory and record a node
(``Op.apply_``), as PyTorch does; the others compute the new value out of place from a snapshot
of the old one and copy it in. Either way the tensor takes over the new node as its history.
"""
from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from latte import backend, random
from latte._out_argument import cast_error
from latte._tensor_index import _on_device_of, to_array_index
from latte._tensor_math import _broadcast_error, _legacy_alpha
from latte.autograd import function
from latte.autograd.grad_mode import _state
from latte.ops import elementwise as E
from latte.ops.index import IndexPut, ViewPut

# ops that run in the tensor's own memory when autograd records them
_IN_PLACE_OPS = {np.add: E.Add, np.subtract: E.Sub, np.multiply: E.Mul, np.true_divide: E.Div,
                 "relu": E.Relu, "neg": E.Neg, "exp": E.Exp, "tanh": E.Tanh,
                 "sigmoid": E.Sigmoid}


def _array(value: Any) -> Any:
    return value._data if hasattr(value, "_data") else value


def _copyto(dst: Any, src: Any) -> None:
    """``dst[...] = src`` (broadcast, any cast) on dst's device."""
    if type(dst) is np.ndarray:
        np.copyto(dst, src, casting="unsafe")
    else:
        backend.run_on(dst, lambda: np.copyto(dst, np.broadcast_to(src, dst.shape),
                                              casting="unsafe"))


# operand types an in-place op on a CPU tensor takes without a device check
_HOST_OPERANDS = frozenset({np.ndarray, builtins.int, builtins.float, builtins.bool})


@contextlib.contextmanager
def _broadcast_errors() -> Iterator[None]:
    """NumPy's ValueError for a value that does not fit the indexed region, as PyTorch's
    RuntimeError."""
    try:
        yield
    except ValueError as e:
        raise RuntimeError(f"shape mismatch in index assignment: {e}") from None


def _operand_on_device(t: Any, other: Any) -> Any:
    """``other`` ready to combine with ``t`` in place: a 0-d CPU tensor moves to t's GPU (it
    acts as a number, as in PyTorch); tensors on another device raise naming both."""
    if isinstance(other, function.Tensor):
        here, there = t.device, other.device
        if here != there:
            if there.type == "cpu" and other.ndim == 0:
                return other.to(here)
            backend.check_same_device([t, other])
    return other



def _check_writeable(t: Any) -> None:
    """Refuse writes into read-only memory (an ``expand``: one element at many positions)."""
    if not t._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.")


class InplaceMixin:
    """In-place methods of ``Tensor``."""

    __slots__ = ()

    def _records(self, *others: Any) -> builtins.bool:
        if not _state.enabled:
            return False
        return self.requires_grad or builtins.any(
            getattr(o, "requires_grad", False) for o in others)

    def _write(self, compute: Callable, *others: Any, op: Any = None) -> Any:
        """Replace this tensor's values by ``compute(old)`` while keeping autograd right;
        ``op`` (an ``Op`` of ``(self, *others)``) runs in this tensor's memory where it can."""
        if self.requires_grad and self.grad_fn is None and _state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        multi = self.__dict__.get("_multi_view")
        if multi is not None:
            raise RuntimeError(
                f"Output {multi[0]} of {multi[1]} is a view and is being modified inplace. This "
                f"view is the output of a function that returns multiple views. Such functions do "
                f"not allow the output views to be modified inplace. You should replace the "
                f"inplace operation by an out-of-place one.")
        view_of = self.__dict__.get("_view_of")
        if view_of is not None:
            return self._write_through_view(compute, *view_of)
        self._check_not_a_view()
        if op is not None and self._fits_in_place(others):
            op.apply_(self, *others)
            self._refresh_views()
            return self
        old = function.Tensor(backend.run_on(self._data, self._data.copy), self.requires_grad)
        old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
        new = compute(old)
        self._check_result(new)
        _check_writeable(self)
        _copyto(self._data, new._data)
        self._vc[0] += 1
        self.grad_fn, self._output_nr = new.grad_fn, new._output_nr
        self.requires_grad = new.requires_grad
        self._refresh_views()
        return self

    def _check_result(self, new: Any) -> None:
        """Refuse to write a result of another shape, or of a kind this dtype cannot hold
        (a float result into an integer tensor), as PyTorch."""
        if tuple(new.shape) != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(new.shape)}")
        if not np.can_cast(new._data.dtype, self._data.dtype, "same_kind"):
            raise cast_error(new._data.dtype, self._data.dtype)

    def _refresh_views(self) -> None:
        """Give the live views of this tensor their history again, read from its new one."""
        for view in list(self.__dict__.get("_views", ())):
            _, view_fn = view.__dict__["_view_of"]
            fresh = view_fn(self)
            view.grad_fn, view._output_nr = fresh.grad_fn, fresh._output_nr
            view.requires_grad = fresh.requires_grad

    def _fits_in_place(self, others: tuple) -> builtins.bool:
        """True when an op of this tensor and ``others`` can write into this tensor's memory: a
        writable float tensor whose shape and dtype the result keeps, and operands that do not
        share its memory (their old values must stay readable)."""
        data = self._data
        if data.dtype.kind != "f" or not data.flags.writeable:
            return False
        for other in others:
            if isinstance(other, function.Tensor):
                array = other._data
                if type(array) is not type(data) or array.dtype.kind not in "fiub" or \
                        np.broadcast_shapes(array.shape, data.shape) != data.shape or \
                        np.may_share_memory(array, data):
                    return False
            elif type(other) not in (builtins.int, builtins.float, builtins.bool):
                return False
        return True

    def _write_through_view(self, compute: Callable, base: Any, view_fn: Callable) -> Any:
        """An in-place write into ``view_fn(base)``: the base takes a new history (a ``ViewPut``
        of the new values) and this view is re-read from it."""
        if base.requires_grad and base.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        old = view_fn(base).clone()  # the current values and history, safe from the write
        new = compute(old)
        self._check_result(new)
        new = new._cast(self._data.dtype)
        # the base's write also re-reads the history of its views, this one included
        base._write(lambda old_base: ViewPut.apply(old_base, new, view_fn))
        return self

    def _check_not_a_view(self) -> None:
        """Refuse to record an in-place write into a view of a tensor that requires grad.

        PyTorch rewrites the base's history (``CopySlices``); Latte's views do not know their
        base, which would keep a stale history and get silently wrong gradients.
        """
        node = self.grad_fn
        if node is None or not node.is_view or self._data.base is None or \
                self.__dict__.get("_shape_in_place"):  # its own memory, reshaped by unsqueeze_...
            return
        if node._edges and node._edges[0][1] is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        raise RuntimeError(
            f"in-place operation on a view ({type(node).__name__} of a tensor that requires "
            f"grad) is not supported by Latte's autograd: write through the base instead "
            f"(base[index] = value, base[index] += value) or use the out-of-place op")

    def _ufunc_(self, ufunc: Any, other: Any, out_of_place: Callable) -> Any:
        if type(self._data) is not np.ndarray or type(_array(other)) not in _HOST_OPERANDS:
            other = _operand_on_device(self, other)
        if self._records(other):
            return self._write(lambda old: out_of_place(old, other), other,
                               op=_IN_PLACE_OPS.get(ufunc))
        try:
            if type(self._data) is np.ndarray:
                ufunc(self._data, _array(other), out=self._data, casting="same_kind")
            else:
                backend.run_on(self._data, ufunc, self._data, _array(other), out=self._data,
                               casting="same_kind")
        except ValueError:
            _check_writeable(self)
            other_shape = tuple(np.shape(_array(other)))
            error = _broadcast_error(tuple(self._data.shape), other_shape) or RuntimeError(
                f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(np.broadcast_shapes(self._data.shape, other_shape))}")
            raise error from None
        except TypeError:
            raise cast_error(out_of_place(self.detach(), other)._data.dtype,
                              self._data.dtype) from None
        self._vc[0] += 1
        return self

    def add_(self, other: Any, *args: Any, alpha: Any = 1) -> Any:
        """``self += alpha * other`` in place (also the deprecated ``add_(alpha, other)``)."""
        if args:
            other, alpha = _legacy_alpha("add_", other, args, alpha)
        if alpha != 1:
            other = other * alpha
        return self._ufunc_(np.add, other, lambda a, b: a + b)

    def sub_(self, other: Any, *args: Any, alpha: Any = 1) -> Any:
        if args:
            other, alpha = _legacy_alpha("sub_", other, args, alpha)
        if alpha != 1:
            other = other * alpha
        return self._ufunc_(np.subtract, other, lambda a, b: a - b)

    subtract_ = sub_

    def mul_(self, other: Any) -> Any:
        return self._ufunc_(np.multiply, other, lambda a, b: a * b)

    multiply_ = mul_

    def div_(self, other: Any, *, rounding_mode: Any = None) -> Any:
        if rounding_mode is not None:
            return self.copy_(self.div(other, rounding_mode=rounding_mode))
        return self._ufunc_(np.true_divide, other, lambda a, b: a / b)

    divide_ = true_divide_ = div_

    def pow_(self, exponent: Any) -> Any:
        return self._ufunc_(np.power, exponent, lambda a, b: a ** b)

    def maximum_(self, other: Any) -> Any:
        return self._ufunc_(np.maximum, other, lambda a, b: a.maximum(b))

    def addcmul_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        if self._records(tensor1, tensor2):
            return self._write(lambda old: old + tensor1 * tensor2 * value, tensor1, tensor2)
        product = backend.run_on(self._data, np.multiply, _array(tensor1), _array(tensor2))
        if value != 1:
            product *= value
        return self.add_(product)

    def addcdiv_(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        if self._records(tensor1, tensor2):
            return self._write(lambda old: old + tensor1 / tensor2 * value, tensor1, tensor2)
        quotient = backend.run_on(self._data, np.true_divide, _array(tensor1), _array(tensor2))
        if value != 1:
            quotient *= value
        return self.add_(quotient)

    def lerp_(self, end: Any, weight: Any) -> Any:
        return self.add_((end - self) * weight)

    def __iadd__(self, other: Any) -> Any:
        return self.add_(other)

    def __isub__(self, other: Any) -> Any:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Any:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Any:
        return self.div_(other)

    def _unary_(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Apply the out-of-place method ``name`` and store the result in place."""
        if self._records():
            op = _IN_PLACE_OPS.get(name) if not args and not kwargs else None
            return self._write(lambda old: getattr(old, name)(*args, **kwargs), op=op)
        result = getattr(self, name)(*args, **kwargs)
        self._check_result(result)
        _check_writeable(self)
        _copyto(self._data, result._data)
        self._vc[0] += 1
        return self

    def neg_(self) -> Any:
        return self._unary_("neg")

    negative_ = neg_

    def exp_(self) -> Any:
        return self._unary_("exp")

    def log_(self) -> Any:
        return self._unary_("log")

    def sqrt_(self) -> Any:
        return self._unary_("sqrt")

    def abs_(self) -> Any:
        return self._unary_("abs")

    absolute_ = abs_

    def tanh_(self) -> Any:
        return self._unary_("tanh")

    def sigmoid_(self) -> Any:
        return self._unary_("sigmoid")

    def relu_(self) -> Any:
        return self._unary_("relu")

    def clamp_(self, min: Any = None, max: Any = None) -> Any:
        return self._unary_("clamp", min, max)

    clip_ = clamp_

    def floor_(self) -> Any:
        return self._unary_("floor")

    def round_(self, decimals: builtins.int = 0) -> Any:
        """In-place :meth:`round` to ``decimals`` decimal places."""
        return self._unary_("round", decimals=decimals) if decimals else self._unary_("round")

    def sign_(self) -> Any:
        return self._unary_("sign")

    sgn_ = sign_

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        return self._unary_("masked_fill", mask, value)

    def scatter_(self, dim: builtins.int, index: Any, src: Any = None, *, value: Any = None,
                 reduce: Any = None) -> Any:
        """In-place ``scatter``: ``src`` (or the number ``value``) written at ``index``."""
        if self._records(src):
            return self._write(lambda old: old.scatter(dim, index, src, value=value,
                                                       reduce=reduce), src)
        return self._unary_("scatter", dim, index, src, value=value, reduce=reduce)

    def scatter_add_(self, dim: builtins.int, index: Any, src: Any) -> Any:
        if self._records(src):
            return self._write(lambda old: old.scatter_add(dim, index, src), src)
        return self._unary_("scatter_add", dim, index, src)

    def index_fill_(self, dim: builtins.int, index: Any, value: Any) -> Any:
        d = self._dim(dim)
        self[(slice(None),) * d + (index,)] = value
        return self

    def zero_(self) -> Any:
        """Set every element to 0."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Any:
        """Set every element to ``value`` (a number or a 0-d tensor)."""
        if getattr(value, "ndim", 0) != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions.")
        if self._records(value):
            return self._write(lambda old: old * 0 + value, value)
        _check_writeable(self)
        if type(self._data) is np.ndarray:
            self._data[...] = _array(value)
        else:
            backend.run_on(self._data, self._data.__setitem__, Ellipsis,
                           _array(_operand_on_device(self, value)))
        self._vc[0] += 1
        return self

    def copy_(self, src: Any, non_blocking: builtins.bool = False) -> Any:
        """Copy ``src`` (broadcast, converted to this dtype) into this tensor's memory."""
        if not isinstance(src, function.Tensor):
            src = function.Tensor(backend.array_on(self._data, "asarray", src))
        elif type(src._data) is not np.ndarray or type(self._data) is not np.ndarray:
            src = src.to(self.device)  # as PyTorch: the source may be on any device
        try:
            np.broadcast_shapes(src._data.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the size "
                               f"of tensor b ({list(src.shape)})") from None
        if self._records(src):
            return self._write(lambda old: src.expand(self.shape)._cast(self._data.dtype)
                               .clone() + old * 0, src)
        _check_writeable(self)
        _copyto(self._data, src._data)
        self._vc[0] += 1
        return self

    def set_(self, source: Any) -> Any:
        self._data = source._data
        self._vc[0] += 1
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value`` in place (value: a number or a broadcastable tensor)."""
        key = to_array_index(index)
        if type(self._data) is not np.ndarray:
            key = _on_device_of(self, key if isinstance(key, tuple) else (key,))
            value = _operand_on_device(self, value)
        if self._records(value):
            if not isinstance(value, function.Tensor):
                value = function.Tensor(backend.array_on(self._data, "asarray", value,
                                                dtype=self._data.dtype))
            value = value._cast(self._data.dtype)
            with _broadcast_errors():
                self._write(lambda old: IndexPut.apply(old, key, value), value)
            return
        _check_writeable(self)
        with _broadcast_errors():
            if type(self._data) is np.ndarray:
                self._data[key] = _array(value)
            else:
                backend.run_on(self._data, self._data.__setitem__, key, _array(value))
        self._vc[0] += 1

    # --- random fills, as used by nn.init ---------------------------------------------------
    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Any:
        return self._fill_array(random._uniform(self._data.shape, a, b, generator,
                                                self._data.dtype))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        return self._fill_array(random._normal(self._data.shape, mean, std, generator,
                                               self._data.dtype))

    def bernoulli_(self, p: float = 0.5, *, generator: Any = None) -> Any:
        return self._fill_array(random._uniform(self._data.shape, 0.0, 1.0, generator) < p)

    def random_(self, low: builtins.int = 0, high: Any = None, *, generator: Any = None) -> Any:
        return self._fill_array(random._integers(low, high, self._data.shape, generator))

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Any:
        u = random._uniform(self._data.shape, 0.0, 1.0, generator)
        return self._fill_array(-np.log1p(-u) / lambd)

    def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None) -> Any:
        """Fill with draws from the Cauchy distribution ``median + sigma * tan(pi * (u - 1/2))``.

        Example::

            >>> latte.empty(3).cauchy_().shape
            latte.Size([3])
        """
        u = random._uniform(self._data.shape, 0.0, 1.0, generator)
        return self._fill_array(median + sigma * np.tan(np.pi * (u - 0.5)))

    def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator: Any = None) -> Any:
        """Fill with ``exp`` of normal draws of ``mean`` and ``std`` (the log-normal
        distribution's parameters are those of its logarithm).

        Example::

            >>> bool((latte.empty(3).log_normal_() > 0).all())
            True
        """
        return self._fill_array(np.exp(random._normal(self._data.shape, mean, std, generator)))

    def geometric_(self, p: float, *, generator: Any = None) -> Any:
        """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...).

        Example::

            >>> bool((latte.empty(3).geometric_(0.5) >= 1).all())
            True
        """
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
        u = random._uniform(self._data.shape, 0.0, 1.0, generator)
        return self._fill_array(np.ceil(np.log1p(-u) / np.log1p(-p)).clip(1, None))

    def bernoulli(self, p: Any = None, *, generator: Any = None) -> Any:
        """0/1 draws with probabilities ``self`` (or the number ``p``), a new tensor of self's
        dtype.

        Example::

            >>> latte.tensor([0.0, 1.0]).bernoulli()
            tensor([0., 1.])
        """
        from latte.creation import bernoulli
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples: builtins.int, replacement: builtins.bool = False, *,
                    generator: Any = None) -> Any:
        """``num_samples`` indices drawn from each row of the non-negative weights ``self``
        (as :func:`latte.multinomial`).

        Example::

            >>> latte.tensor([0.0, 1.0]).multinomial(2, replacement=True)
            tensor([1, 1])
        """
        from latte.creation import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    def fill_diagonal_(self, fill_value: Any, wrap: builtins.bool = False) -> Any:
        """Write ``fill_value`` on the main diagonal (``i == j == ...``, every dim the same size
        beyond 2-D); a tall matrix with ``wrap`` starts the diagonal again every ``cols + 1``
        rows, as NumPy's ``fill_diagonal``.

        Example::

            >>> latte.zeros(2, 3).fill_diagonal_(5.0)
            tensor([[5., 0., 0.],
                    [0., 5., 0.]])
        """
        shape = tuple(self._data.shape)
        if len(shape) < 2:
            raise RuntimeError("dimensions must larger than 1")
        if len(shape) > 2 and len(set(shape)) != 1:
            raise RuntimeError("all dimensions of input must be of equal length")
        if len(shape) == 2:
            rows, cols = shape
            step = cols + 1
            end = rows * cols if wrap else builtins.min(rows, cols) * cols
            flat = np.arange(0, end, step)
            key = (flat // cols, flat % cols)
        else:
            key = (np.arange(shape[0]),) * len(shape)
        self[key] = fill_value
        return self

    def _fill_array(self, values: Any) -> Any:
        if self.requires_grad and _state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        _check_writeable(self)
        # drawn on the host from the seeded generator (same values on any device), then moved
        _copyto(self._data, backend.to_device(values, self.device)
                if type(self._data) is not np.ndarray else values)
        self._vc[0] += 1
        return self
