"""Tensor methods of the pointwise long tail: inverse trigonometry, division with rounding
(``%``, ``//``, fmod), sign and NaN-aware binaries, integer and bitwise ops (``& | ^ ~ << >>``),
predicates, the identities of real tensors (``conj``...) and their in-place forms.

Dtypes follow PyTorch: transcendental functions compute integer and bool inputs in the default
float dtype, the others promote their operands as ``+`` does, and integer-only or float-only
functions refuse the other kinds with PyTorch's ``"<kernel>" not implemented for '<dtype>'``.
"""
from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from latte._out_argument import torch_dtype_name
from latte._tensor_math import (
    MathMixin,
    _binary,
    _broadcasting,
    _computed,
    _full_like,
    _operands,
    _reverse,
    _true_divide_operands,
)
from latte._tensor_method_factories import inplace
from latte.autograd import function
from latte.autograd.function import named_node
from latte.ops import division as D
from latte.ops import elementwise as E
from latte.ops import trigonometric as T


def _not_implemented(kernel: str, t: Any) -> NotImplementedError:
    """PyTorch's error for a kernel that has no version for ``t``'s dtype."""
    return NotImplementedError(f"\"{kernel}_{t.device.type}\" not implemented for "
                               f"'{torch_dtype_name(t._data.dtype)}'")


def _tensor_operands(a: Any, other: Any) -> tuple:
    """``(a, b)`` promoted as for ``+``, with a number ``other`` made a 0-d tensor."""
    a, b = _operands(a, other)
    if b is NotImplemented:
        raise TypeError(f"expected a Tensor or a number, got {type(other).__name__}")
    return a, (b if isinstance(b, function.Tensor) else _full_like(b, a))


def _kinds(kernel: str, a: Any, kinds: str) -> None:
    if a._data.dtype.kind not in kinds:
        raise _not_implemented(kernel, a)


def _division_operands(kernel: str, a: Any, other: Any) -> tuple:
    """Operands of ``%``, fmod and ``//``: promoted, bool refused, and an integer division by
    zero refused as PyTorch does (checked on the CPU only: a GPU would have to sync)."""
    a, b = _operands(a, other)
    if b is NotImplemented:
        return a, b
    _kinds(kernel, a, "iuf")
    if a._data.dtype.kind in "iu":
        divisor = getattr(b, "_data", b)
        if type(divisor) is np.ndarray or not hasattr(divisor, "shape"):
            if np.any(np.equal(divisor, 0)):
                raise RuntimeError("ZeroDivisionError")
    return a, b


def _integer_op(kernel: str, ufunc: str, a: Any, other: Any, kinds: str = "biu") -> Any:
    a, b = _operands(a, other)
    if b is NotImplemented:
        return b
    _kinds(kernel, a, kinds)
    xp = a._xp()
    return _computed(a._data, _broadcasting, getattr(xp, ufunc), a._data, getattr(b, "_data", b))



class PointwiseMixin:
    """The pointwise long tail of ``Tensor`` methods."""

    __slots__ = ()

    # --- inverse trigonometric and hyperbolic functions -------------------------------------
    def asin(self) -> Any:
        """The arcsine of each element, in ``[-pi/2, pi/2]`` (NaN outside ``[-1, 1]``).

        Example::

            >>> latte.asin(latte.tensor([0.0, 0.5, 1.0]))
            tensor([0.0000, 0.5236, 1.5708])
        """
        return T.Asin.apply(self._floating())

    def acos(self) -> Any:
        """The arccosine of each element, in ``[0, pi]`` (NaN outside ``[-1, 1]``).

        Example::

            >>> latte.acos(latte.tensor([1.0, 0.5, -1.0]))
            tensor([0.0000, 1.0472, 3.1416])
        """
        return T.Acos.apply(self._floating())

    def atan(self) -> Any:
        """The arctangent of each element, in ``(-pi/2, pi/2)``.

        Example::

            >>> latte.atan(latte.tensor([0.0, 1.0]))
            tensor([0.0000, 0.7854])
        """
        return T.Atan.apply(self._floating())

    def asinh(self) -> Any:
        """The inverse hyperbolic sine of each element.

        Example::

            >>> latte.asinh(latte.tensor([0.0, 1.0]))
            tensor([0.0000, 0.8814])
        """
        return T.Asinh.apply(self._floating())

    def acosh(self) -> Any:
        """The inverse hyperbolic cosine of each element (NaN below 1).

        Example::

            >>> latte.acosh(latte.tensor([1.0, 2.0]))
            tensor([0.0000, 1.3170])
        """
        return T.Acosh.apply(self._floating())

    def atanh(self) -> Any:
        """The inverse hyperbolic tangent of each element (+-inf at +-1, NaN beyond).

        Example::

            >>> latte.atanh(latte.tensor([0.0, 0.5]))
            tensor([0.0000, 0.5493])
        """
        return T.Atanh.apply(self._floating())

    def atan2(self, other: Any) -> Any:
        """The angle of the point ``(other, input)`` elementwise: ``atan(input / other)`` in the
        quadrant of the point, in ``[-pi, pi]``.

        Args:
            other (Tensor): the x coordinates, broadcast against ``input`` (the y ones).

        Example::

            >>> latte.atan2(latte.tensor([1.0, 1.0]), latte.tensor([1.0, -1.0]))
            tensor([0.7854, 2.3562])
        """
        a, b = _true_divide_operands(self, other)
        if not isinstance(b, function.Tensor):
            b = _full_like(b, a)
        return _binary(T.Atan2, a, b)

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
    arctan2 = atan2

    def deg2rad(self) -> Any:
        """Each element converted from degrees to radians.

        Example::

            >>> latte.deg2rad(latte.tensor([180.0, 90.0]))
            tensor([3.1416, 1.5708])
        """
        return _deg2rad(self._floating())

    def rad2deg(self) -> Any:
        """Each element converted from radians to degrees.

        Example::

            >>> latte.rad2deg(latte.tensor([3.14159265, 1.0]))
            tensor([180.0000,  57.2958])
        """
        return _rad2deg(self._floating())

    def angle(self) -> Any:
        """The angle of each element as a complex number: ``pi`` for negative reals, else 0 (NaN
        stays NaN); the gradient is 0.

        Example::

            >>> latte.angle(latte.tensor([-2.0, 0.0, 3.0]))
            tensor([3.1416, 0.0000, 0.0000])
        """
        return T.Angle.apply(self._floating())

    # --- division with rounding -------------------------------------------------------------
    def remainder(self, other: Any) -> Any:
        """The Python modulus ``input - other * floor(input / other)`` elementwise: the result
        has the sign of ``other`` (as ``%``).

        Args:
            other (Tensor or Number): the divisor, broadcast against ``input``.

        Example::

            >>> latte.remainder(latte.tensor([-3.0, 5.0]), 2)
            tensor([1., 1.])
        """
        a, b = _division_operands("remainder", self, other)
        return b if b is NotImplemented else _binary(D.Remainder, a, b)

    def fmod(self, other: Any) -> Any:
        """The C remainder ``input - other * trunc(input / other)`` elementwise: the result has
        the sign of ``input``.

        Args:
            other (Tensor or Number): the divisor, broadcast against ``input``.

        Example::

            >>> latte.fmod(latte.tensor([-3.0, 5.0]), 2)
            tensor([-1.,  1.])
        """
        a, b = _division_operands("fmod", self, other)
        return b if b is NotImplemented else _binary(D.Fmod, a, b)

    def floor_divide(self, other: Any) -> Any:
        """``floor(input / other)`` elementwise (as ``//``), in the promoted dtype of the operands
        (no derivative, as in PyTorch).

        Args:
            other (Tensor or Number): the divisor, broadcast against ``input``.

        Example::

            >>> latte.floor_divide(latte.tensor([-3, 5]), 2)
            tensor([-2,  2])
        """
        a, b = _division_operands("div_floor", self, other)
        return b if b is NotImplemented else _binary(D.FloorDivide, a, b)

    def _trunc_divide(self, other: Any) -> Any:
        """``div(other, rounding_mode='trunc')``: exact for integers (no trip through floats)."""
        a, b = _division_operands("div_trunc", self, other)
        if b is NotImplemented:
            raise TypeError(f"div(): expected a Tensor or a number, got {type(other).__name__}")
        x, y, xp = a._data, getattr(b, "_data", b), a._xp()
        if x.dtype.kind == "f":
            return _computed(x, _broadcasting, lambda p, q: xp.trunc(xp.true_divide(p, q)), x, y)
        return _computed(x, _broadcasting, lambda p, q: (p - xp.fmod(p, q)) // q, x, y)

    def __mod__(self, other: Any) -> Any:
        return self.remainder(other)

    def __rmod__(self, other: Any) -> Any:
        a, b = _reverse(self, other)
        return b if b is NotImplemented else b.remainder(a)

    def __floordiv__(self, other: Any) -> Any:
        return self.floor_divide(other)

    def __rfloordiv__(self, other: Any) -> Any:
        a, b = _reverse(self, other)
        return b if b is NotImplemented else b.floor_divide(a)

    # --- signs, NaN-aware extremes, powers ----------------------------------------------------
    def copysign(self, other: Any) -> Any:
        """``|input|`` with the sign of ``other`` elementwise (``-0.0`` counts as negative); the
        result is floating point.

        Args:
            other (Tensor or Number): gives the signs, broadcast against ``input``.

        Example::

            >>> latte.copysign(latte.tensor([1.0, -2.0, 3.0]), latte.tensor([-1.0, 1.0, -0.0]))
            tensor([-1.,  2., -3.])
        """
        a, b = _true_divide_operands(self, other)
        return _binary(E.Copysign, a, b)

    def fmax(self, other: Any) -> Any:
        """The elementwise maximum, ignoring NaN: where one operand is NaN, the other one.

        Args:
            other (Tensor): broadcast against ``input``.

        Example::

            >>> latte.fmax(latte.tensor([1.0, float('nan')]), latte.tensor([float('nan'), 2.0]))
            tensor([1., 2.])
        """
        return _binary(E.Fmax, *_tensor_operands(self, other))

    def fmin(self, other: Any) -> Any:
        """The elementwise minimum, ignoring NaN: where one operand is NaN, the other one.

        Args:
            other (Tensor): broadcast against ``input``.

        Example::

            >>> latte.fmin(latte.tensor([1.0, float('nan')]), latte.tensor([float('nan'), 2.0]))
            tensor([1., 2.])
        """
        return _binary(E.Fmin, *_tensor_operands(self, other))

    def float_power(self, exponent: Any) -> Any:
        """``input ** exponent`` computed in double precision: the result is float64.

        Args:
            exponent (Tensor or Number): broadcast against ``input``.

        Example::

            >>> latte.float_power(latte.tensor([2, 3]), 2)
            tensor([4., 9.], dtype=latte.float64)
        """
        if isinstance(exponent, function.Tensor):
            exponent = exponent._cast(np.float64)
        elif not isinstance(exponent, builtins.int):
            exponent = builtins.float(exponent)
        return self._cast(np.float64) ** exponent

    def float_power_(self, exponent: Any) -> Any:
        """In-place :meth:`Tensor.float_power`: ``self`` must be float64, the result's dtype.

        Example::

            >>> latte.tensor([2.0, 3.0], dtype=latte.float64).float_power_(2)
            tensor([4., 9.], dtype=latte.float64)
        """
        if self._data.dtype != np.float64:
            raise RuntimeError(f"the base given to float_power_ has dtype "
                               f"{torch_dtype_name(self._data.dtype)} but the operation's result "
                               f"requires dtype Double")
        return _float_power_(self, exponent)

    def signbit(self) -> Any:
        """Whether the sign bit of each element is set (True for ``-0.0`` and negative NaN).

        Example::

            >>> latte.signbit(latte.tensor([-1.0, -0.0, 0.0, 2.0]))
            tensor([ True,  True, False, False])
        """
        x, xp = self._data, self._xp()
        if x.dtype == np.bool_:
            return _computed(x, xp.zeros_like, x)
        return _computed(x, xp.signbit, x)

    def heaviside(self, values: Any) -> Any:
        """The Heaviside step: 0 where ``input < 0``, 1 where ``input > 0``, ``values`` where
        ``input == 0`` (no derivative).

        Args:
            values (Tensor): the value at 0, of ``input``'s dtype, broadcast against it.

        Example::

            >>> latte.heaviside(latte.tensor([-1.5, 0.0, 2.0]), latte.tensor(0.5))
            tensor([0.0000, 0.5000, 1.0000])
        """
        if not isinstance(values, function.Tensor):
            raise TypeError(f"heaviside(): argument 'values' must be Tensor, not "
                            f"{type(values).__name__}")
        if values._data.dtype != self._data.dtype:
            raise RuntimeError("heaviside is not yet implemented for tensors with different "
                               "dtypes.")
        return _binary(E.Heaviside, self, values)

    def nextafter(self, other: Any) -> Any:
        """The next floating-point value after each element of ``input`` towards ``other``.

        Args:
            other (Tensor): the direction, broadcast against ``input``.

        Example::

            >>> latte.nextafter(latte.tensor([1.0], dtype=latte.float64), latte.tensor([2.0]))
            tensor([1.0000], dtype=latte.float64)
        """
        a, b = _tensor_operands(self, other)
        _kinds("nextafter", a, "f")
        return _binary(E.Nextafter, a, b)

    # --- integer functions and bitwise operators ---------------------------------------------
    def gcd(self, other: Any) -> Any:
        """The greatest common divisor of each pair of integers (nonnegative; ``gcd(0, 0) = 0``).

        Args:
            other (Tensor): integers, broadcast against ``input``.

        Example::

            >>> latte.gcd(latte.tensor([4, 9, 0]), latte.tensor([6, 6, 5]))
            tensor([2, 3, 5])
        """
        return _integer_op("gcd", "gcd", self, other, "iu")

    def lcm(self, other: Any) -> Any:
        """The least common multiple of each pair of integers (nonnegative).

        Args:
            other (Tensor): integers, broadcast against ``input``.

        Example::

            >>> latte.lcm(latte.tensor([4, 9, 0]), latte.tensor([6, 6, 5]))
            tensor([12, 18,  0])
        """
        return _integer_op("lcm", "lcm", self, other, "iu")

    def bitwise_and(self, other: Any) -> Any:
        """The bitwise AND of integer or bool tensors (logical AND for bool), as ``&``.

        Args:
            other (Tensor or Number): broadcast against ``input``.

        Example::

            >>> latte.bitwise_and(latte.tensor([12, 10]), 6)
            tensor([4, 2])
        """
        return _integer_op("bitwise_and", "bitwise_and", self, other)

    def bitwise_or(self, other: Any) -> Any:
        """The bitwise OR of integer or bool tensors (logical OR for bool), as ``|``.

        Args:
            other (Tensor or Number): broadcast against ``input``.

        Example::

            >>> latte.bitwise_or(latte.tensor([12, 10]), 6)
            tensor([14, 14])
        """
        return _integer_op("bitwise_or", "bitwise_or", self, other)

    def bitwise_xor(self, other: Any) -> Any:
        """The bitwise XOR of integer or bool tensors (logical XOR for bool), as ``^``.

        Args:
            other (Tensor or Number): broadcast against ``input``.

        Example::

            >>> latte.bitwise_xor(latte.tensor([12, 10]), 6)
            tensor([10, 12])
        """
        return _integer_op("bitwise_xor", "bitwise_xor", self, other)

    def bitwise_left_shift(self, other: Any) -> Any:
        """``input << other`` for integers: shifts of the width or more (or negative) give 0.

        Args:
            other (Tensor or Number): the shift, broadcast against ``input``.

        Example::

            >>> latte.bitwise_left_shift(latte.tensor([1, 3]), 2)
            tensor([ 4, 12])
        """
        return _integer_op("lshift", "left_shift", self, other, "iu")

    def bitwise_right_shift(self, other: Any) -> Any:
        """``input >> other`` for integers, arithmetic (sign-filling) for signed ones.

        Args:
            other (Tensor or Number): the shift, broadcast against ``input``.

        Example::

            >>> latte.bitwise_right_shift(latte.tensor([16, -16]), 2)
            tensor([ 4, -4])
        """
        return _integer_op("rshift", "right_shift", self, other, "iu")

    def bitwise_not(self) -> Any:
        """The bitwise NOT of an integer tensor (logical NOT for bool), as ``~``.

        Example::

            >>> latte.bitwise_not(latte.tensor([0, 5, -1]))
            tensor([-1, -6,  0])
        """
        _kinds("bitwise_not", self, "biu")
        return _computed(self._data, self._xp().invert, self._data)

    def __and__(self, other: Any) -> Any:
        return self.bitwise_and(other)

    def __or__(self, other: Any) -> Any:
        return self.bitwise_or(other)

    def __xor__(self, other: Any) -> Any:
        return self.bitwise_xor(other)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __lshift__(self, other: Any) -> Any:
        return self.bitwise_left_shift(other)

    def __rshift__(self, other: Any) -> Any:
        return self.bitwise_right_shift(other)

    def __rlshift__(self, other: Any) -> Any:
        a, b = _reverse(self, other)
        return b if b is NotImplemented else b.bitwise_left_shift(a)

    def __rrshift__(self, other: Any) -> Any:
        a, b = _reverse(self, other)
        return b if b is NotImplemented else b.bitwise_right_shift(a)

    def __invert__(self) -> Any:
        if self._data.dtype.kind not in "biu":
            raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                            "tensors")
        return self.bitwise_not()

    # --- predicates -------------------------------------------------------------------------
    def isposinf(self) -> Any:
        """Whether each element is positive infinity (a bool tensor).

        Example::

            >>> latte.isposinf(latte.tensor([1.0, float('inf'), -float('inf')]))
            tensor([False,  True, False])
        """
        xp = self._xp()
        return _computed(self._data, lambda x: xp.isinf(x) & (x > 0), self._data)

    def isneginf(self) -> Any:
        """Whether each element is negative infinity (a bool tensor).

        Example::

            >>> latte.isneginf(latte.tensor([1.0, float('inf'), -float('inf')]))
            tensor([False, False,  True])
        """
        xp = self._xp()
        return _computed(self._data, lambda x: xp.isinf(x) & (x < 0), self._data)

    def isreal(self) -> Any:
        """Whether each element is real: all True, as Latte's dtypes are all real.

        Example::

            >>> latte.isreal(latte.tensor([1.0, float('nan')]))
            tensor([True, True])
        """
        xp = self._xp()
        return _computed(self._data, lambda x: xp.ones_like(x, dtype=np.bool_), self._data)

    def is_signed(self) -> builtins.bool:
        """Whether the dtype is signed: everything but ``uint8`` and ``bool``.

        Example::

            >>> latte.tensor([1]).is_signed(), latte.tensor([1], dtype=latte.uint8).is_signed()
            (True, False)
        """
        return self._data.dtype.kind in "if"

    def is_conj(self) -> builtins.bool:
        """Whether the conjugate bit is set: always False, Latte's dtypes being real.

        Example::

            >>> latte.is_conj(latte.ones(2))
            False
        """
        return False

    def is_neg(self) -> builtins.bool:
        """Whether the negative bit is set: always False, Latte's dtypes being real.

        Example::

            >>> latte.is_neg(latte.ones(2))
            False
        """
        return False

    def is_nonzero(self) -> builtins.bool:
        """Whether the single element of ``input`` is nonzero (NaN counts as nonzero).

        Example::

            >>> latte.is_nonzero(latte.tensor([0.5])), latte.is_nonzero(latte.tensor(0))
            (True, False)
        """
        size = self._data.size
        if size != 1:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if size == 0
                               else "Boolean value of Tensor with more than one value is "
                                    "ambiguous")
        return self.item() != 0

    def is_same_size(self, other: Any) -> builtins.bool:
        """Whether ``input`` and ``other`` have the same shape.

        Example::

            >>> latte.zeros(2, 3).is_same_size(latte.ones(2, 3))
            True
        """
        return tuple(self.shape) == tuple(other.shape)

    # --- identities on real tensors -----------------------------------------------------------
    fix = MathMixin.trunc

    def positive(self) -> Any:
        """``+input``: the tensor itself (refused for bool, as PyTorch).

        Example::

            >>> latte.positive(latte.tensor([-1.0, 2.0]))
            tensor([-1.,  2.])
        """
        if self._data.dtype == np.bool_:
            raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
        return self

    __pos__ = positive

    def conj(self) -> Any:
        """The complex conjugate: the tensor itself for Latte's real dtypes.

        Example::

            >>> latte.conj(latte.tensor([1.0, -2.0]))
            tensor([ 1., -2.])
        """
        return self

    def conj_physical(self) -> Any:
        """The complex conjugate, materialized: the tensor itself for real dtypes, as PyTorch.

        Example::

            >>> latte.conj_physical(latte.tensor([1.0, -2.0]))
            tensor([ 1., -2.])
        """
        return self

    def resolve_conj(self) -> Any:
        """The tensor with a set conjugate bit materialized: itself for real dtypes.

        Example::

            >>> latte.resolve_conj(latte.tensor([1.0, -2.0]))
            tensor([ 1., -2.])
        """
        return self

    def resolve_neg(self) -> Any:
        """The tensor with a set negative bit materialized: itself for real dtypes.

        Example::

            >>> latte.resolve_neg(latte.tensor([1.0, -2.0]))
            tensor([ 1., -2.])
        """
        return self

    # --- in-place forms ---------------------------------------------------------------------
    asin_, acos_, atan_ = inplace("asin"), inplace("acos"), inplace("atan")
    asinh_, acosh_, atanh_ = inplace("asinh"), inplace("acosh"), inplace("atanh")
    arcsin_, arccos_, arctan_, arcsinh_, arccosh_, arctanh_ = \
        asin_, acos_, atan_, asinh_, acosh_, atanh_
    atan2_ = arctan2_ = inplace("atan2")
    deg2rad_, rad2deg_ = inplace("deg2rad"), inplace("rad2deg")
    remainder_, fmod_ = inplace("remainder"), inplace("fmod")
    floor_divide_ = inplace("floor_divide")
    copysign_, heaviside_, nextafter_ = inplace("copysign"), inplace("heaviside"), \
        inplace("nextafter")
    gcd_, lcm_ = inplace("gcd"), inplace("lcm")
    bitwise_and_, bitwise_or_ = inplace("bitwise_and"), inplace("bitwise_or")
    bitwise_xor_, bitwise_not_ = inplace("bitwise_xor"), inplace("bitwise_not")
    bitwise_left_shift_ = inplace("bitwise_left_shift")
    bitwise_right_shift_ = inplace("bitwise_right_shift")
    conj_physical_ = inplace("conj_physical")
    __imod__, __ifloordiv__ = remainder_, floor_divide_
    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    __ilshift__, __irshift__ = bitwise_left_shift_, bitwise_right_shift_
    # in-place forms of the ops in _tensor_math.py
    sin_, cos_, tan_ = inplace("sin"), inplace("cos"), inplace("tan")
    sinh_, cosh_, exp2_ = inplace("sinh"), inplace("cosh"), inplace("exp2")
    expm1_, log1p_ = inplace("expm1"), inplace("log1p")
    log2_, log10_ = inplace("log2"), inplace("log10")
    rsqrt_, reciprocal_, square_ = inplace("rsqrt"), inplace("reciprocal"), inplace("square")
    trunc_ = fix_ = inplace("trunc")
    ceil_, frac_ = inplace("ceil"), inplace("frac")
    eq_, ne_, lt_ = inplace("eq"), inplace("ne"), inplace("lt")
    le_, gt_, ge_ = inplace("le"), inplace("gt"), inplace("ge")
    greater_, greater_equal_, less_, less_equal_, not_equal_ = gt_, ge_, lt_, le_, ne_
    logical_and_, logical_or_ = inplace("logical_and"), inplace("logical_or")
    logical_xor_, logical_not_ = inplace("logical_xor"), inplace("logical_not")
    cumsum_, cumprod_ = inplace("cumsum"), inplace("cumprod")


_float_power_ = inplace("float_power")


@named_node("Deg2RadBackward0")
def _deg2rad(x: Any) -> Any:
    return x * (math.pi / 180.0)


@named_node("Rad2DegBackward0")
def _rad2deg(x: Any) -> Any:
    return x * (180.0 / math.pi)

