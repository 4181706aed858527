"""In-place Tensor methods (``add_``, ``mul_``, ``zero_``, ``copy_``, ``+=``, ``t[i] = v``).

Every write bumps the tensor's version counter, shared with its views, so backward can refuse
to use a value that was overwritten after being saved. Without autograd involved (the usual
case: optimizer updates under ``no_grad``) the write goes straight into the array. When the graph
must record it, the new value is computed out of place from a snapshot of the old one, copied
into the tensor's memory, and the tensor takes over the new node as its history.
"""
from __future__ import annotations

import builtins
from typing import Any, Callable

import numpy as np

from latte.autograd.grad_mode import _state


def _array(value: Any) -> Any:
    return value._data if hasattr(value, "_data") else value


class InplaceMixin:
    """In-place methods of ``Tensor``."""

    __slots__ = ()

    def _records(self, *others: Any) -> builtins.bool:
        if not _state.enabled:
            return False
        return self.requires_grad or builtins.any(
            getattr(o, "requires_grad", False) for o in others)

    def _write(self, compute: Callable, *others: Any) -> Any:
        """Replace this tensor's values by ``compute(old)`` while keeping autograd right."""
        from latte.tensor import Tensor
        if self.requires_grad and self.grad_fn is None and _state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        old = Tensor(self._data.copy(), self.requires_grad)
        old.grad_fn, old._output_nr = self.grad_fn, self._output_nr
        new = compute(old)
        if tuple(new.shape) != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(new.shape)}")
        np.copyto(self._data, new._data, casting="unsafe")
        self._vc[0] += 1
        self.grad_fn, self._output_nr = new.grad_fn, new._output_nr
        self.requires_grad = new.requires_grad
        return self

    def _ufunc_(self, ufunc: Any, other: Any, out_of_place: Callable) -> Any:
        if self._records(other):
            return self._write(lambda old: out_of_place(old, other), other)
        ufunc(self._data, _array(other), out=self._data, casting="same_kind")
        self._vc[0] += 1
        return self

    def add_(self, other: Any, *, alpha: Any = 1) -> Any:
        """``self += alpha * other`` in place."""
        if alpha != 1:
            other = other * alpha
        return self._ufunc_(np.add, other, lambda a, b: a + b)

    def sub_(self, other: Any, *, alpha: Any = 1) -> Any:
        if alpha != 1:
            other = other * alpha
        return self._ufunc_(np.subtract, other, lambda a, b: a - b)

    def mul_(self, other: Any) -> Any:
        return self._ufunc_(np.multiply, other, lambda a, b: a * b)

    def div_(self, other: Any, *, rounding_mode: Any = None) -> Any:
        if rounding_mode is not None:
            return self.copy_(self.div(other, rounding_mode=rounding_mode))
        return self._ufunc_(np.true_divide, other, lambda a, b: a / b)

    def pow_(self, exponent: Any) -> Any:
        return self._ufunc_(np.power, exponent, lambda a, b: a ** b)

    def maximum_(self, other: Any) -> Any:
        return self._ufunc_(np.maximum, other, lambda a, b: a.maximum(b))

    def addcmul_(self, t1: Any, t2: Any, *, value: Any = 1) -> Any:
        if self._records(t1, t2):
            return self._write(lambda old: old + t1 * t2 * value, t1, t2)
        product = np.multiply(_array(t1), _array(t2))
        if value != 1:
            product *= value
        return self.add_(product)

    def addcdiv_(self, t1: Any, t2: Any, *, value: Any = 1) -> Any:
        if self._records(t1, t2):
            return self._write(lambda old: old + t1 / t2 * value, t1, t2)
        quotient = np.true_divide(_array(t1), _array(t2))
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
            return self._write(lambda old: getattr(old, name)(*args, **kwargs))
        result = getattr(self, name)(*args, **kwargs)
        np.copyto(self._data, result._data, casting="unsafe")
        self._vc[0] += 1
        return self

    def neg_(self) -> Any:
        return self._unary_("neg")

    def exp_(self) -> Any:
        return self._unary_("exp")

    def log_(self) -> Any:
        return self._unary_("log")

    def sqrt_(self) -> Any:
        return self._unary_("sqrt")

    def abs_(self) -> Any:
        return self._unary_("abs")

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

    def round_(self) -> Any:
        return self._unary_("round")

    def sign_(self) -> Any:
        return self._unary_("sign")

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
        """Set every element to ``value``."""
        if self._records(value):
            return self._write(lambda old: old * 0 + value, value)
        self._data[...] = _array(value)
        self._vc[0] += 1
        return self

    def copy_(self, src: Any, non_blocking: builtins.bool = False) -> Any:
        """Copy ``src`` (broadcast, converted to this dtype) into this tensor's memory."""
        from latte.tensor import Tensor
        if not isinstance(src, Tensor):
            src = Tensor(np.asarray(src))
        try:
            np.broadcast_shapes(src._data.shape, self._data.shape)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({list(self.shape)}) must match the size "
                               f"of tensor b ({list(src.shape)})") from None
        if self._records(src):
            return self._write(lambda old: src.expand(self.shape)._cast(self._data.dtype)
                               .clone() + old * 0, src)
        np.copyto(self._data, np.broadcast_to(src._data, self._data.shape), casting="unsafe")
        self._vc[0] += 1
        return self

    def set_(self, source: Any) -> Any:
        self._data = source._data
        self._vc[0] += 1
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value`` in place (value: a number or a broadcastable tensor)."""
        from latte._tensor_index import to_array_index
        from latte.ops.index import IndexPut
        from latte.tensor import Tensor
        key = to_array_index(index)
        if self._records(value):
            if not isinstance(value, Tensor):
                value = Tensor(np.asarray(value, dtype=self._data.dtype))
            value = value._cast(self._data.dtype)
            self._write(lambda old: IndexPut.apply(old, key, value), value)
            return
        self._data[key] = _array(value)
        self._vc[0] += 1

    # --- random fills, as used by nn.init ---------------------------------------------------
    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Any:
        from latte import random
        return self._fill_array(random._uniform(self._data.shape, a, b, generator))

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Any:
        from latte import random
        return self._fill_array(random._normal(self._data.shape, mean, std, generator))

    def bernoulli_(self, p: float = 0.5, *, generator: Any = None) -> Any:
        from latte import random
        return self._fill_array(random._uniform(self._data.shape, 0.0, 1.0, generator) < p)

    def random_(self, low: builtins.int = 0, high: Any = None, *, generator: Any = None) -> Any:
        from latte import random
        return self._fill_array(random._integers(low, high, self._data.shape, generator))

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Any:
        from latte import random
        u = random._uniform(self._data.shape, 0.0, 1.0, generator)
        return self._fill_array(-np.log1p(-u) / lambd)

    def _fill_array(self, values: Any) -> Any:
        if self.requires_grad and _state.enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        np.copyto(self._data, values, casting="unsafe")
        self._vc[0] += 1
        return self
