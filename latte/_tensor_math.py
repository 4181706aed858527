"""Tensor arithmetic, elementwise functions, comparisons and matrix products.

Binary operators promote dtypes the way PyTorch does (``int64 + 1.5 -> float32``) and then hand
arrays to the primitives in ``latte.ops.elementwise``; Python numbers are passed through as they
are, since NumPy keeps a float32 array float32 when multiplied by a Python float.
"""
from __future__ import annotations

import builtins
import warnings
from typing import Any

import numpy as np

from latte import _functional as X
from latte import backend, dtypes
from latte import special as SP
from latte._tensor_method_factories import inplace, linalg_function
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops import elementwise as E
from latte.ops.linalg import MatMul

_Number = (builtins.int, builtins.float, builtins.bool, np.number, np.bool_)


def _operands(a: Any, b: Any) -> tuple:
    """Return ``(a, b)`` ready for a binary primitive: tensors in a common dtype, or a scalar."""
    kind = a._data.dtype.kind
    if type(b) is builtins.float and kind == "f":
        return a, b  # the commonest case first: float tensor and Python float
    if isinstance(b, function.Tensor):
        da, db = a._data.dtype, b._data.dtype
        if da == db:
            return a, b
        target = dtypes.result_type(da, db, a._data.ndim > 0, b._data.ndim > 0)
        return a._cast(target), b._cast(target)
    if isinstance(b, _Number):
        if isinstance(b, (builtins.bool, np.bool_)):
            return a, b
        if isinstance(b, (builtins.float, np.floating)) and kind != "f":
            return a._cast(dtypes.get_default_dtype().np), builtins.float(b)
        if kind == "b":
            return a._cast(np.int64), b
        if kind == "f":
            return a, builtins.float(b)
        return a, builtins.int(b)
    if isinstance(b, np.ndarray):
        return _operands(a, function.Tensor(b))
    if isinstance(b, (list, tuple)):
        return _operands(a, function.Tensor(backend.array_on(a._data, "asarray", b)))
    return a, NotImplemented


def _legacy_alpha(name: str, other: Any, args: tuple, alpha: Any) -> tuple[Any, Any]:
    """Read PyTorch's deprecated ``add(Number alpha, Tensor other)`` order (old example scripts
    step with ``p.data.add_(-lr, p.grad.data)``); returns ``(other, alpha)``."""
    if len(args) > 1 or alpha != 1 or not isinstance(other, _Number):
        raise TypeError(f"{name}() received an invalid combination of arguments: expected "
                        f"{name}(Tensor other, *, Number alpha) or the deprecated "
                        f"{name}(Number alpha, Tensor other)")
    warnings.warn(f"This overload of {name} is deprecated: {name}(Number alpha, Tensor other). "
                  f"Use {name}(Tensor other, *, Number alpha) instead.", UserWarning,
                  stacklevel=3)
    return args[0], other


def _broadcast_error(sa: tuple, sb: tuple) -> RuntimeError | None:
    """PyTorch's error for shapes that do not broadcast (None when they do)."""
    n = builtins.max(len(sa), len(sb))
    for i in range(1, n + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            return RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {n - i}: shapes {list(sa)} and {list(sb)}")
    return None


def _is_bool(x: Any) -> bool:
    return isinstance(x, function.Tensor) and x._data.dtype == np.bool_


def _check_sub(a: Any, b: Any) -> None:
    """PyTorch refuses ``-`` on bool tensors, where NumPy raises a TypeError."""
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if _is_bool(a) or _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _check_alpha(a: Any, b: Any, alpha: Any) -> None:
    """PyTorch refuses a float ``alpha`` when both operands are integral (or bool)."""
    def integral(x: Any) -> bool:
        if isinstance(x, function.Tensor):
            return x._data.dtype.kind in "biu"
        return isinstance(x, builtins.int)
    if isinstance(alpha, builtins.float) and integral(a) and integral(b):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


def _binary(op: Any, a: Any, b: Any) -> Any:
    """``op.apply(a, b)`` for a binary primitive, with PyTorch's error for bad shapes."""
    return _broadcasting(op.apply, a, b)


def _broadcasting(fn: Any, a: Any, b: Any) -> Any:
    """``fn(a, b)``, with NumPy's broadcast ValueError turned into PyTorch's RuntimeError."""
    try:
        return fn(a, b)
    except ValueError:
        error = _broadcast_error(tuple(getattr(a, "shape", ())), tuple(getattr(b, "shape", ())))
        if error is None:
            raise
        raise error from None


def _tensor(array: Any) -> Any:
    """A Tensor around a result (NumPy ufuncs on 0-d arrays return scalars, not arrays)."""
    if type(array) is not np.ndarray and not backend.is_device_array(array):
        array = np.asarray(array)
    return function.Tensor(array)


def _computed(like: Any, fn: Any, *args: Any) -> Any:
    """``Tensor(fn(*args))`` computed on the device of the array ``like`` (array work outside an
    op, so without gradient)."""
    if type(like) is np.ndarray:
        return _tensor(fn(*args))
    return _tensor(backend.run_on(like, fn, *args))


def _sign(x: Any) -> Any:
    """The sign as PyTorch computes it, ``(x > 0) - (x < 0)``: 0 for NaN (``np.sign`` gives
    NaN) and for -0.0."""
    if x.dtype.kind == "b":
        return x.copy()
    if x.dtype.kind != "f":
        return np.sign(x)
    return np.greater(x, 0).astype(x.dtype) - np.less(x, 0)


def _full_like(value: Any, a: Any) -> Any:
    """``value`` as a 0-d tensor of ``a``'s dtype on ``a``'s device."""
    return function.Tensor(backend.array_on(a._data, "asarray", value, dtype=a._data.dtype))


def _reverse(a: Any, b: Any) -> tuple:
    """Operands for ``b op a`` where ``b`` is a Python number: make ``b`` a 0-d tensor."""
    a, b = _operands(a, b)
    if b is NotImplemented:
        return a, b
    return a, _full_like(b, a)


def _true_divide_operands(a: Any, b: Any) -> tuple:
    a, b = _operands(a, b)
    if a._data.dtype.kind != "f":
        a = a._cast(dtypes.get_default_dtype().np)
        if not isinstance(b, _Number) and b is not NotImplemented:
            b = b._cast(a._data.dtype)
    return a, b


class MathMixin:
    """Arithmetic and elementwise methods of ``Tensor``."""

    __slots__ = ()

    # --- arithmetic operators ------------------------------------------------------------
    def __add__(self, other: Any) -> Any:
        a, b = _operands(self, other)
        return NotImplemented if b is NotImplemented else _binary(E.Add, a, b)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        _check_sub(self, other)
        a, b = _operands(self, other)
        return NotImplemented if b is NotImplemented else _binary(E.Sub, a, b)

    @named_node("RsubBackward1")
    def __rsub__(self, other: Any) -> Any:
        _check_sub(self, other)
        a, b = _reverse(self, other)
        return NotImplemented if b is NotImplemented else _binary(E.Sub, b, a)

    def __mul__(self, other: Any) -> Any:
        a, b = _operands(self, other)
        return NotImplemented if b is NotImplemented else _binary(E.Mul, a, b)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        a, b = _true_divide_operands(self, other)
        return NotImplemented if b is NotImplemented else _binary(E.Div, a, b)

    def __rtruediv__(self, other: Any) -> Any:
        a, b = _reverse(self, other)
        if b is NotImplemented:
            return b
        return b.__truediv__(a)

    def __neg__(self) -> Any:
        if _is_bool(self):
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return E.Neg.apply(self)

    def __abs__(self) -> Any:
        return self.abs()

    def __pow__(self, exponent: Any) -> Any:
        if isinstance(exponent, _Number) and not isinstance(exponent, (builtins.bool, np.bool_)):
            a, e = _operands(self, exponent)
            return E.PowScalar.apply(a, e)
        a, b = _operands(self, exponent)
        if b is NotImplemented:
            return b
        if not isinstance(b, function.Tensor):
            b = _full_like(b, a)
        if a._data.dtype == np.bool_:  # NumPy gives int8 for bool ** bool; PyTorch keeps bool
            return _computed(a._data, lambda: _broadcasting(np.logical_or, a._data, ~b._data))
        return _binary(E.Pow, a, b)

    @named_node("PowBackward2")
    def __rpow__(self, base: Any) -> Any:
        a, b = _reverse(self, base)
        return NotImplemented if b is NotImplemented else _binary(E.Pow, b, a)

    def __matmul__(self, other: Any) -> Any:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Any:
        return function.Tensor(backend.array_on(self._data, "asarray", other)).matmul(self)

    # --- named arithmetic ------------------------------------------------------------------
    def add(self, other: Any, *args: Any, alpha: Any = 1) -> Any:
        """``self + alpha * other`` (also the deprecated ``add(alpha, other)``)."""
        if args:
            other, alpha = _legacy_alpha("add", other, args, alpha)
        _check_alpha(self, other, alpha)
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other: Any, *args: Any, alpha: Any = 1) -> Any:
        """``self - alpha * other`` (also the deprecated ``sub(alpha, other)``)."""
        if args:
            other, alpha = _legacy_alpha("sub", other, args, alpha)
        _check_alpha(self, other, alpha)
        _check_sub(self, other)
        return self - (other * alpha if alpha != 1 else other)

    subtract = sub

    def mul(self, other: Any) -> Any:
        """``input * other`` elementwise, with broadcasting and PyTorch's dtype promotion.

        Args:
            other (Tensor or Number): the second operand, broadcast against ``input``.

        Example::

            >>> latte.mul(latte.tensor([1.0, 2.0]), 3)
            tensor([3., 6.])
        """
        return self * other

    multiply = mul

    def div(self, other: Any, *, rounding_mode: str | None = None) -> Any:
        """True division, or ``rounding_mode='floor'`` (``floor_divide``) or ``'trunc'`` (towards
        zero; integers stay integers); the rounded quotients are not differentiable."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self.floor_divide(other).detach()
        if rounding_mode == "trunc":
            return self._trunc_divide(other)
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")

    divide = true_divide = div

    def neg(self) -> Any:
        """``-input`` elementwise.

        Example::

            >>> latte.neg(latte.tensor([1.0, -2.0]))
            tensor([-1.,  2.])
        """
        return -self

    negative = neg

    def pow(self, exponent: Any) -> Any:
        return self ** exponent

    def square(self) -> Any:
        """``input ** 2`` elementwise.

        Example::

            >>> latte.square(latte.tensor([1.0, -3.0]))
            tensor([1., 9.])
        """
        return self ** 2

    @named_node("ReciprocalBackward0")
    def reciprocal(self) -> Any:
        """``1 / input`` elementwise (integer inputs give floats).

        Example::

            >>> latte.reciprocal(latte.tensor([2.0, 4.0]))
            tensor([0.5000, 0.2500])
        """
        return 1.0 / self

    @named_node("RsqrtBackward0")
    def rsqrt(self) -> Any:
        """``1 / sqrt(input)`` elementwise.

        Example::

            >>> latte.rsqrt(latte.tensor([1.0, 4.0, 9.0]))
            tensor([1.0000, 0.5000, 0.3333])
        """
        return 1.0 / self.sqrt()

    @named_node("AddcmulBackward0")
    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``input + value * tensor1 * tensor2`` elementwise.

        Args:
            tensor1 (Tensor): the first factor.
            tensor2 (Tensor): the second factor.
            value (Number): the scale of the product.

        Example::

            >>> t1, t2 = latte.tensor([1.0, 2.0]), latte.tensor([3.0, 4.0])
            >>> latte.addcmul(latte.ones(2), t1, t2, value=0.5)
            tensor([2.5000, 5.0000])
        """
        return self + tensor1 * tensor2 * value

    @named_node("AddcdivBackward0")
    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
        """``input + value * tensor1 / tensor2`` elementwise.

        Args:
            tensor1 (Tensor): the numerator.
            tensor2 (Tensor): the denominator.
            value (Number): the scale of the quotient.

        Example::

            >>> t1, t2 = latte.tensor([1.0, 2.0]), latte.tensor([4.0, 4.0])
            >>> latte.addcdiv(latte.ones(2), t1, t2, value=2)
            tensor([1.5000, 2.0000])
        """
        if not tensor1.is_floating_point() and not tensor2.is_floating_point():
            raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                               "future release addcdiv will perform a true division of tensor1 "
                               "and tensor2. Use latte.addcdiv(input, latte.true_divide(tensor1,"
                               " tensor2), value) instead")
        return self + tensor1 / tensor2 * value

    @named_node(lambda self, end, weight, *a, **k:
                "LerpBackward1" if hasattr(weight, "_data") else "LerpBackward0")
    def lerp(self, end: Any, weight: Any) -> Any:
        """Linear interpolation ``input + weight * (end - input)``.

        Args:
            end (Tensor): the end points.
            weight (float or Tensor): 0 gives ``input``, 1 gives ``end``.

        Example::

            >>> latte.lerp(latte.zeros(2), latte.tensor([10.0, 20.0]), 0.25)
            tensor([2.5000, 5.0000])
        """
        if not self.is_floating_point():
            raise NotImplementedError(f"lerp is not implemented for {self.dtype.name} input: "
                                      f"it takes floating point tensors")
        return self + (end - self) * weight

    # --- elementwise functions -------------------------------------------------------------
    def _floating(self) -> Any:
        """Integer inputs of float functions (exp, log...) compute in the default float dtype."""
        if self._data.dtype.kind == "f":
            return self
        return self._cast(dtypes.get_default_dtype().np)

    def exp(self) -> Any:
        """The exponential ``e ** input`` of each element (integer inputs give floats).

        Example::

            >>> latte.exp(latte.tensor([0.0, 1.0]))
            tensor([1.0000, 2.7183])
        """
        return E.Exp.apply(self._floating())

    def log(self) -> Any:
        """The natural logarithm of each element (``-inf`` at 0, NaN below).

        Example::

            >>> latte.log(latte.tensor([1.0, 2.7183]))
            tensor([0.0000, 1.0000])
        """
        return E.Log.apply(self._floating())

    @named_node("Log2Backward0")
    def log2(self) -> Any:
        """The base-2 logarithm of each element.

        Example::

            >>> latte.log2(latte.tensor([1.0, 8.0]))
            tensor([0., 3.])
        """
        return self.log() / float(np.log(2.0))

    @named_node("Log10Backward0")
    def log10(self) -> Any:
        """The base-10 logarithm of each element.

        Example::

            >>> latte.log10(latte.tensor([1.0, 100.0]))
            tensor([0., 2.])
        """
        return self.log() / float(np.log(10.0))

    def sqrt(self) -> Any:
        """The square root of each element (NaN for negative ones).

        Example::

            >>> latte.sqrt(latte.tensor([1.0, 4.0, 9.0]))
            tensor([1., 2., 3.])
        """
        return E.Sqrt.apply(self._floating())

    def abs(self) -> Any:
        """The absolute value of each element, ``|input|``.

        Example::

            >>> latte.abs(latte.tensor([-1.5, 0.0, 2.0]))
            tensor([1.5000, 0.0000, 2.0000])
        """
        return E.Abs.apply(self)

    absolute = abs

    def sin(self) -> Any:
        """The sine of each element, in radians.

        Example::

            >>> latte.sin(latte.tensor([0.0, 1.5708]))
            tensor([0., 1.])
        """
        return E.Sin.apply(self._floating())

    def cos(self) -> Any:
        """The cosine of each element, in radians.

        Example::

            >>> latte.cos(latte.tensor([0.0, 3.1416]))
            tensor([ 1., -1.])
        """
        return E.Cos.apply(self._floating())

    @named_node("TanBackward0")
    def tan(self) -> Any:
        """The tangent of each element, in radians.

        Example::

            >>> latte.tan(latte.tensor([0.0, 0.7854]))
            tensor([0.0000, 1.0000])
        """
        return self.sin() / self.cos()

    def log1p(self) -> Any:
        """``log(1 + input)`` elementwise, accurate for small ``input``.

        Example::

            >>> latte.log1p(latte.tensor([0.0, 1e-8]))
            tensor([0.0000e+00, 1.0000e-08])
        """
        return E.Log1p.apply(self._floating())

    def expm1(self) -> Any:
        """``exp(input) - 1`` elementwise, accurate for small ``input``.

        Example::

            >>> latte.expm1(latte.tensor([0.0, 1e-8]))
            tensor([0.0000e+00, 1.0000e-08])
        """
        return E.Expm1.apply(self._floating())

    def tanh(self) -> Any:
        """The hyperbolic tangent of each element, in ``(-1, 1)``.

        Example::

            >>> latte.tanh(latte.tensor([0.0, 1.0]))
            tensor([0.0000, 0.7616])
        """
        return E.Tanh.apply(self._floating())

    def sigmoid(self) -> Any:
        """The logistic sigmoid ``1 / (1 + exp(-input))`` of each element.

        Example::

            >>> latte.sigmoid(latte.tensor([0.0, 2.0]))
            tensor([0.5000, 0.8808])
        """
        return E.Sigmoid.apply(self._floating())

    def relu(self) -> Any:
        """``max(input, 0)`` elementwise (the rectified linear unit).

        Example::

            >>> latte.relu(latte.tensor([-1.0, 2.0]))
            tensor([0., 2.])
        """
        return E.Relu.apply(self)

    @named_node("PreluKernelBackward0")
    def prelu(self, weight: Any) -> Any:
        """Leaky ReLU with the learned slope ``weight`` (one per channel of dim 1, or one
        shared): ``input`` where positive, else ``weight * input``.

        Example::

            >>> latte.tensor([-2.0, 1.0]).prelu(latte.tensor([0.25]))
            tensor([-0.5000,  1.0000])
        """
        weight_count = weight.numel()
        if weight_count != 1:
            channels = self.shape[1] if self.dim() >= 2 else self.shape[0]
            if weight_count != channels:
                raise RuntimeError(f"prelu: mismatch of parameter numbers and input channel "
                                   f"size. Found parameter numbers = {weight_count} and channel "
                                   f"size = {channels} (input shape {tuple(self.shape)}).")
            if self.dim() >= 2:
                weight = weight.reshape(channels, *([1] * (self.dim() - 2)))
        return self.where(self > 0, self * weight)

    @named_node("HardshrinkBackward0")
    def hardshrink(self, lambd: float = 0.5) -> Any:
        """``input`` where ``|input| > lambd``, else 0.

        Example::

            >>> latte.tensor([-1.0, 0.2, 0.7]).hardshrink()
            tensor([-1.0000,  0.0000,  0.7000])
        """
        return self.where(~((self >= -lambd) & (self <= lambd)), 0.0)  # NaN stays NaN

    @named_node("SinhBackward0")
    def sinh(self) -> Any:
        """The hyperbolic sine of each element.

        Example::

            >>> latte.sinh(latte.tensor([0.0, 1.0]))
            tensor([0.0000, 1.1752])
        """
        x = self._floating()
        return (x.exp() - (-x).exp()) * 0.5

    @named_node("CoshBackward0")
    def cosh(self) -> Any:
        """The hyperbolic cosine of each element.

        Example::

            >>> latte.cosh(latte.tensor([0.0, 1.0]))
            tensor([1.0000, 1.5431])
        """
        x = self._floating()
        return (x.exp() + (-x).exp()) * 0.5

    def clamp(self, min: Any = None, max: Any = None) -> Any:
        """Limit values to ``[min, max]``; tensor bounds broadcast like ``maximum``/``minimum``."""
        if isinstance(min, function.Tensor) or isinstance(max, function.Tensor):
            # as PyTorch: self keeps the gradient where it equals a bound, NaN stays NaN
            out = self
            if min is not None:
                out = out.where((out >= min) | out.isnan(), min)
            if max is not None:
                out = out.where((out <= max) | out.isnan(), max)
            return out
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        a = self
        if (isinstance(min, builtins.float) or isinstance(max, builtins.float)) and \
                a._data.dtype.kind != "f":
            a = a._floating()
        return E.Clamp.apply(a, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Any:
        """The elementwise maximum of ``input`` and ``other`` (NaN where either is NaN).

        Args:
            other (Tensor): broadcast against ``input``.

        Example::

            >>> latte.maximum(latte.tensor([1.0, 5.0]), latte.tensor([3.0, 2.0]))
            tensor([3., 5.])
        """
        a, b = _operands(self, other)
        return _binary(E.Maximum, a, b)

    def minimum(self, other: Any) -> Any:
        """The elementwise minimum of ``input`` and ``other`` (NaN where either is NaN).

        Args:
            other (Tensor): broadcast against ``input``.

        Example::

            >>> latte.minimum(latte.tensor([1.0, 5.0]), latte.tensor([3.0, 2.0]))
            tensor([1., 2.])
        """
        a, b = _operands(self, other)
        return _binary(E.Minimum, a, b)

    def where(self, condition: Any, other: Any) -> Any:
        """``self`` where ``condition`` holds, else ``other`` (``torch.Tensor.where``)."""
        cond = condition._data if isinstance(condition, function.Tensor) else \
            backend.array_on(self._data, "asarray", condition)
        if isinstance(condition, function.Tensor) and cond.dtype.kind not in "bu":
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {condition.dtype.name}")
        if cond.dtype != np.bool_:
            cond = cond.astype(bool)
        a, b = _operands(self, other)
        if not isinstance(b, function.Tensor):
            b = _full_like(b, a)
        return E.Where.apply(cond, a, b)

    def sign(self) -> Any:
        """The sign of each element: -1, 0 or 1, and 0 for NaN as in PyTorch (zero gradient).

        Example::

            >>> latte.sign(latte.tensor([-2.0, 0.0, 3.0]))
            tensor([-1.,  0.,  1.])
        """
        return self._rounded(_sign, "SignBackward0")

    def sgn(self) -> Any:
        """``sign`` for real tensors (PyTorch's name for the complex-aware sign)."""
        return self._rounded(_sign, "SgnBackward0")

    def floor(self) -> Any:
        """The largest integer not greater than each element (zero gradient).

        Example::

            >>> latte.floor(latte.tensor([-1.5, 1.5]))
            tensor([-2.,  1.])
        """
        return self._rounded(np.floor, "FloorBackward0")

    def ceil(self) -> Any:
        """The smallest integer not less than each element (zero gradient).

        Example::

            >>> latte.ceil(latte.tensor([-1.5, 1.5]))
            tensor([-1.,  2.])
        """
        return self._rounded(np.ceil, "CeilBackward0")

    def round(self, decimals: int = 0) -> Any:
        """Each element rounded to ``decimals`` decimal places, halves to even (zero gradient).

        Args:
            decimals (int): the number of decimal places.

        Example::

            >>> latte.round(latte.tensor([0.5, 1.5, 1.234]))
            tensor([0., 2., 1.])
            >>> latte.round(latte.tensor([1.234]), decimals=2)
            tensor([1.2300])
        """
        return self._rounded(lambda x: np.round(x, decimals),
                             "RoundBackward1" if decimals else "RoundBackward0")

    def trunc(self) -> Any:
        """Each element rounded toward zero (zero gradient).

        Example::

            >>> latte.trunc(latte.tensor([-1.7, 1.7]))
            tensor([-1.,  1.])
        """
        return self._rounded(np.trunc, "TruncBackward0")

    @named_node("FracBackward0")
    def frac(self) -> Any:
        """The fractional part ``input - trunc(input)`` of each element.

        Example::

            >>> latte.frac(latte.tensor([-1.25, 2.5]))
            tensor([-0.2500,  0.5000])
        """
        return self - self.trunc()

    def _rounded(self, fn: Any, name: str) -> Any:
        """Piecewise-constant functions: zero gradient, the node named ``name``."""
        return E.Rounded.apply(self, fn, name)

    # --- comparisons and logic (no gradient) ----------------------------------------------
    def _compare(self, other: Any, op: Any) -> Any:
        if isinstance(other, function.Tensor):
            other = other._data
        elif not isinstance(other, (_Number, np.ndarray)):
            if other is None or isinstance(other, str):
                return NotImplemented
            other = backend.array_on(self._data, "asarray", other)
        return _computed(self._data, _broadcasting, op, self._data, other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, np.greater_equal)

    def eq(self, other: Any) -> Any:
        """``input == other`` elementwise, as a bool tensor.

        Args:
            other (Tensor or Number): the second operand, broadcast against ``input``.

        Example::

            >>> latte.eq(latte.tensor([1, 2, 3]), 2)
            tensor([False,  True, False])
        """
        return self._compare(other, np.equal)

    def ne(self, other: Any) -> Any:
        """``input != other`` elementwise, as a bool tensor.

        Args:
            other (Tensor or Number): the second operand, broadcast against ``input``.

        Example::

            >>> latte.ne(latte.tensor([1, 2, 3]), 2)
            tensor([ True, False,  True])
        """
        return self._compare(other, np.not_equal)

    def lt(self, other: Any) -> Any:
        """``input < other`` elementwise, as a bool tensor.

        Args:
            other (Tensor or Number): the second operand, broadcast against ``input``.

        Example::

            >>> latte.lt(latte.tensor([1, 2, 3]), 2)
            tensor([ True, False, False])
        """
        return self._compare(other, np.less)

    def le(self, other: Any) -> Any:
        """``input <= other`` elementwise, as a bool tensor.

        Args:
            other (Tensor or Number): the second operand, broadcast against ``input``.

        Example::

            >>> latte.le(latte.tensor([1, 2, 3]), 2)
            tensor([ True,  True, False])
        """
        return self._compare(other, np.less_equal)

    def gt(self, other: Any) -> Any:
        """``input > other`` elementwise, as a bool tensor.

        Args:
            other (Tensor or Number): the second operand, broadcast against ``input``.

        Example::

            >>> latte.gt(latte.tensor([1, 2, 3]), 2)
            tensor([False, False,  True])
        """
        return self._compare(other, np.greater)

    def ge(self, other: Any) -> Any:
        """``input >= other`` elementwise, as a bool tensor.

        Args:
            other (Tensor or Number): the second operand, broadcast against ``input``.

        Example::

            >>> latte.ge(latte.tensor([1, 2, 3]), 2)
            tensor([False,  True,  True])
        """
        return self._compare(other, np.greater_equal)

    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def equal(self, other: Any) -> builtins.bool:
        """True when shapes and all values are equal."""
        return self.shape == other.shape and builtins.bool(
            backend.run_on(self._data, lambda: (self._data == other._data).all()))

    def _logical(self, other: Any, op: Any) -> Any:
        other = other._data if isinstance(other, function.Tensor) else other
        return _computed(self._data, _broadcasting, op, self._data, other)

    def logical_and(self, other: Any) -> Any:
        """Elementwise logical AND, zero being False (a bool tensor).

        Args:
            other (Tensor): broadcast against ``input``.

        Example::

            >>> a, b = latte.tensor([True, True, False]), latte.tensor([True, False, False])
            >>> latte.logical_and(a, b)
            tensor([ True, False, False])
        """
        return self._logical(other, np.logical_and)

    def logical_or(self, other: Any) -> Any:
        """Elementwise logical OR, zero being False (a bool tensor).

        Args:
            other (Tensor): broadcast against ``input``.

        Example::

            >>> a, b = latte.tensor([True, True, False]), latte.tensor([True, False, False])
            >>> latte.logical_or(a, b)
            tensor([ True,  True, False])
        """
        return self._logical(other, np.logical_or)

    def logical_xor(self, other: Any) -> Any:
        """Elementwise logical XOR, zero being False (a bool tensor).

        Args:
            other (Tensor): broadcast against ``input``.

        Example::

            >>> a, b = latte.tensor([True, True, False]), latte.tensor([True, False, False])
            >>> latte.logical_xor(a, b)
            tensor([False,  True, False])
        """
        return self._logical(other, np.logical_xor)

    def logical_not(self) -> Any:
        """Elementwise logical NOT, zero being False (a bool tensor).

        Example::

            >>> latte.logical_not(latte.tensor([0, 1, 2]))
            tensor([ True, False, False])
        """
        return _computed(self._data, np.logical_not, self._data)

    def isnan(self) -> Any:
        """Whether each element is NaN (a bool tensor).

        Example::

            >>> latte.isnan(latte.tensor([1.0, float('nan')]))
            tensor([False,  True])
        """
        return _computed(self._data, np.isnan, self._data)

    def isinf(self) -> Any:
        """Whether each element is positive or negative infinity (a bool tensor).

        Example::

            >>> latte.isinf(latte.tensor([1.0, float('inf'), -float('inf')]))
            tensor([False,  True,  True])
        """
        return _computed(self._data, np.isinf, self._data)

    def isfinite(self) -> Any:
        """Whether each element is finite: neither infinite nor NaN (a bool tensor).

        Example::

            >>> latte.isfinite(latte.tensor([1.0, float('inf'), float('nan')]))
            tensor([ True, False, False])
        """
        return _computed(self._data, np.isfinite, self._data)

    def allclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
                 equal_nan: builtins.bool = False) -> builtins.bool:
        """Whether ``|input - other| <= atol + rtol * |other|`` holds for every element (a Python
        bool).

        Args:
            other (Tensor): the tensor to compare with, broadcast against ``input``.
            rtol (float): the relative tolerance.
            atol (float): the absolute tolerance.
            equal_nan (bool): count two NaNs as equal.

        Example::

            >>> latte.allclose(latte.tensor([1.0, 2.0]), latte.tensor([1.0, 2.0 + 1e-7]))
            True
        """
        return builtins.bool(backend.run_on(self._data, np.allclose, self._data,
                                            getattr(other, "_data", other), rtol, atol,
                                            equal_nan))

    def isclose(self, other: Any, rtol: float = 1e-5, atol: float = 1e-8,
                equal_nan: builtins.bool = False) -> Any:
        """Whether ``|input - other| <= atol + rtol * |other|`` holds, elementwise (a bool tensor).

        Args:
            other (Tensor): the tensor to compare with, broadcast against ``input``.
            rtol (float): the relative tolerance.
            atol (float): the absolute tolerance.
            equal_nan (bool): count two NaNs as equal.

        Example::

            >>> latte.isclose(latte.tensor([1.0, 2.0]), latte.tensor([1.0, 2.1]))
            tensor([ True, False])
        """
        return _computed(self._data, np.isclose, self._data, getattr(other, "_data", other),
                         rtol, atol, equal_nan)

    # --- matrix products -------------------------------------------------------------------
    @named_node(lambda self, other: _matmul_node_name(self.ndim, getattr(other, "ndim", 0)))
    def matmul(self, other: Any) -> Any:
        """Matrix product with NumPy/PyTorch semantics for 1-D and batched operands."""
        if getattr(other, "is_sparse", False):  # dense @ sparse COO: latte.sparse's kernel
            return other.__rmatmul__(self)
        a, b = _operands(self, other)
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                               f"{a.ndim}D and {b.ndim}D")
        k_a = a.shape[-1]
        k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_mat_str(a)} and "
                               f"{_mat_str(b)})")
        if a.ndim == 1 and b.ndim == 1:
            return (a * b).sum()
        if a.ndim == 1:
            return MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
        if b.ndim == 1:
            return MatMul.apply(a, b.unsqueeze(-1)).squeeze(-1)
        error = _broadcast_error(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        if error is not None:
            raise error
        return MatMul.apply(a, b)

    def mm(self, mat2: Any) -> Any:
        """The matrix product of two 2-D tensors.

        Args:
            mat2 (Tensor): ``(m, p)`` for ``input`` ``(n, m)``.

        Shape:
            ``(n, m) @ (m, p) -> (n, p)``.

        Example::

            >>> latte.mm(latte.ones(2, 3), latte.ones(3, 4)).shape
            latte.Size([2, 4])
        """
        if self.ndim != 2 or mat2.ndim != 2:
            raise RuntimeError(f"mm expects 2-D tensors, got {self.ndim}-D and {mat2.ndim}-D")
        return self.matmul(mat2)

    @named_node("BmmBackward0")
    def bmm(self, mat2: Any) -> Any:
        """Batched matrix product of two 3-D tensors with the same batch size.

        Args:
            mat2 (Tensor): ``(b, m, p)`` for ``input`` ``(b, n, m)``.

        Shape:
            ``(b, n, m) @ (b, m, p) -> (b, n, p)``.

        Example::

            >>> latte.bmm(latte.ones(5, 2, 3), latte.ones(5, 3, 4)).shape
            latte.Size([5, 2, 4])
        """
        if self.ndim != 3 or mat2.ndim != 3:
            raise RuntimeError(f"bmm expects 3-D tensors, got {self.ndim}-D and {mat2.ndim}-D")
        if self.shape[0] != mat2.shape[0]:
            raise RuntimeError(f"bmm batch sizes differ: {tuple(self.shape)} and "
                               f"{tuple(mat2.shape)}")
        return self.matmul(mat2)

    @named_node("MvBackward0")
    def mv(self, vec: Any) -> Any:
        """The product of a matrix and a vector.

        Args:
            vec (Tensor): ``(m,)`` for ``input`` ``(n, m)``.

        Example::

            >>> latte.mv(latte.tensor([[1.0, 2.0], [3.0, 4.0]]), latte.tensor([1.0, 1.0]))
            tensor([3., 7.])
        """
        return self.matmul(vec)

    @named_node("DotBackward0")
    def dot(self, other: Any) -> Any:
        """The dot product of two 1-D tensors of the same length.

        Args:
            other (Tensor): the second vector.

        Example::

            >>> latte.dot(latte.tensor([1.0, 2.0]), latte.tensor([3.0, 4.0]))
            tensor(11.)
        """
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError("1D tensors expected, but got "
                               f"{self.ndim}D and {other.ndim}D tensors")
        return self.matmul(other)

    def inner(self, other: Any) -> Any:
        """The inner product over the last dimension: ``sum(input[..., k] * other[..., k])``,
        a tensor of shape ``input.shape[:-1] + other.shape[:-1]``; a number multiplies.

        Args:
            other (Tensor): the second operand, with the same last dimension.

        Example::

            >>> latte.inner(latte.tensor([[1.0, 2.0], [3.0, 4.0]]), latte.tensor([1.0, 1.0]))
            tensor([3., 7.])
        """
        if self.ndim == 0 or getattr(other, "ndim", 0) == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors "
                               f"but got shapes {list(self.shape)} and {list(other.shape)}")
        return X.tensordot(self, other, dims=([-1], [-1]))  # a view of a product, as PyTorch

    def outer(self, vec2: Any) -> Any:
        """The outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``.

        Args:
            vec2 (Tensor): the second vector.

        Example::

            >>> latte.outer(latte.tensor([1, 2]), latte.tensor([1, 10, 100]))
            tensor([[  1,  10, 100],
                    [  2,  20, 200]])
        """
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    ger = outer

    # --- composed extras (latte/_functional/) ----------------------------
    addmm, addbmm, baddbmm, addmv, addr = X.addmm, X.addbmm, X.baddbmm, X.addmv, X.addr
    diag, diag_embed, trace, cross, kron = X.diag, X.diag_embed, X.trace, X.cross, X.kron
    logaddexp, logaddexp2, hypot, xlogy = X.logaddexp, X.logaddexp2, X.hypot, X.xlogy
    clamp_min, clamp_max, nan_to_num, ldexp = X.clamp_min, X.clamp_max, X.nan_to_num, X.ldexp
    frexp = X.frexp
    clamp_min_, clamp_max_ = inplace("clamp_min"), inplace("clamp_max")
    nan_to_num_, xlogy_, hypot_ = inplace("nan_to_num"), inplace("xlogy"), inplace("hypot")
    addmm_, addmv_, addr_ = inplace("addmm"), inplace("addmv"), inplace("addr")
    baddbmm_, addbmm_, ldexp_ = inplace("baddbmm"), inplace("addbmm"), inplace("ldexp")
    # linear algebra (latte/linalg.py), under PyTorch's method names
    det, logdet, slogdet = linalg_function("det"), linalg_function("logdet"), \
        linalg_function("slogdet")
    inverse, pinverse = linalg_function("inverse"), linalg_function("pinverse")
    cholesky, svd = linalg_function("cholesky_legacy"), linalg_function("svd_legacy")
    qr, matrix_power = linalg_function("qr_legacy"), linalg_function("matrix_power")
    # special functions (latte/special.py)
    erf, erfc, erfinv, lgamma, digamma = SP.erf, SP.erfc, SP.erfinv, SP.gammaln, SP.digamma
    logit, sinc, i0, exp2 = SP.logit, SP.sinc, SP.i0, SP.exp2
    erf_, erfc_, erfinv_ = inplace("erf"), inplace("erfc"), inplace("erfinv")
    lgamma_, digamma_, logit_ = inplace("lgamma"), inplace("digamma"), inplace("logit")
    i0_, sinc_, polygamma = inplace("i0"), inplace("sinc"), SP.polygamma_method
    diagflat, cholesky_inverse = X.diagflat, linalg_function("cholesky_inverse")
    cholesky_solve = linalg_function("cholesky_solve")
    vdot, dist, renorm = X.vdot, X.dist, X.renorm
    renorm_ = inplace("renorm")
    lu, lu_solve, geqrf = linalg_function("lu_legacy"), linalg_function("lu_solve_legacy"), \
        linalg_function("geqrf")
    orgqr, ormqr = linalg_function("orgqr"), linalg_function("ormqr")
    triangular_solve, matrix_exp = linalg_function("triangular_solve"), \
        linalg_function("matrix_exp")
    igamma, igammac, mvlgamma = SP.gammainc, SP.gammaincc, SP.multigammaln
    igamma_, igammac_, mvlgamma_ = inplace("igamma"), inplace("igammac"), inplace("mvlgamma")


def _mat_str(t: Any) -> str:
    shape = tuple(t.shape)
    if len(shape) == 1:
        return f"1x{shape[0]}"
    return "x".join(str(s) for s in shape[-2:]) if len(shape) == 2 else \
        f"{'x'.join(str(s) for s in shape)}"


def _matmul_node_name(a: int, b: int) -> str | None:
    """The node PyTorch's ``matmul`` ends with for operands of ``a`` and ``b`` dims."""
    if (a, b) == (1, 1):
        return "DotBackward0"
    if (a, b) == (2, 1):
        return "MvBackward0"
    if (a, b) == (1, 2):
        return "SqueezeBackward4"
    return "UnsafeViewBackward0" if max(a, b) >= 3 else None
