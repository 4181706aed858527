"""The pointwise long tail against PyTorch: values and dtypes for bool, integer and float inputs,
broadcasting, NaN and inf, errors, the operators (``% // & | ^ ~ << >>``), in-place forms and the
``latte.xxx_`` functions. The differentiable ones are in ``op_db.py`` too."""
from __future__ import annotations

import numpy as np
import pytest

import latte

torch = pytest.importorskip("torch")

_F = [1.5, -2.25, 0.0, -0.0, 3.0, -7.5]
_SPECIAL = [0.5, -0.0, 0.0, float("inf"), -float("inf"), float("nan"), -3.0]
_I = [5, -3, 0, 7, -8, 2]
_DIV = [2, -3, 1, -1, 4, 3]
_B = [True, False, True, True, False, False]


def _t(lib, values, dtype=None):
    return lib.tensor(values, dtype=None if dtype is None else getattr(lib, dtype))


def _same(got, expected):
    """Same type, dtype, shape and values (NaN equal to NaN, -0.0 apart from 0.0)."""
    if not isinstance(expected, torch.Tensor):
        assert type(got) is type(expected) and got == expected
        return
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(expected.shape)
    g, e = got.detach().numpy(), expected.detach().numpy()
    if g.dtype.kind != "f":
        np.testing.assert_array_equal(g, e)
    else:  # libm's transcendental functions may differ in the last bit
        np.testing.assert_allclose(g, e, rtol=3e-7, atol=0)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(e))


def _both(fn):
    expected = fn(torch)
    _same(fn(latte), expected)


# --- values and dtypes, as PyTorch --------------------------------------------------------------
CASES = {
    # inverse trig of integers and bools compute in float32; outside the domain NaN
    "asin_int": lambda L: L.asin(_t(L, [0, 1, -1, 2])),
    "acos_bool": lambda L: L.acos(_t(L, [True, False])),
    "acosh_outside": lambda L: L.acosh(_t(L, [0.5, 1.0, 2.0])),
    "atanh_ends": lambda L: L.atanh(_t(L, [1.0, -1.0, 2.0])),
    "atan_special": lambda L: L.atan(_t(L, _SPECIAL)),
    "atan2_quadrants": lambda L: L.atan2(_t(L, [1.0, 1.0, -1.0, -1.0, 0.0, -0.0]),
                                         _t(L, [1.0, -1.0, 1.0, -1.0, -1.0, -1.0])),
    "atan2_int_broadcast": lambda L: L.atan2(_t(L, [[1], [2]]), _t(L, [1, -1, 0])),
    "atan2_mixed": lambda L: L.arctan2(_t(L, [1.0, 2.0], "float64"), _t(L, [1, 2])),
    # remainder takes the divisor's sign, fmod the dividend's; ints stay ints
    "remainder_int": lambda L: L.remainder(_t(L, _I), _t(L, _DIV)),
    "remainder_int8_number": lambda L: L.remainder(_t(L, _I, "int8"), 3),
    "remainder_int_float": lambda L: L.remainder(_t(L, _I), 2.5),
    "remainder_float": lambda L: L.remainder(_t(L, _F), -1.5),
    "remainder_special": lambda L: L.remainder(_t(L, _SPECIAL), 2.0),
    "remainder_by_inf": lambda L: L.remainder(_t(L, [1.0, -1.0, 0.0]), float("inf")),
    "remainder_by_zero_float": lambda L: L.remainder(_t(L, [1.0, -1.0, 0.0]), 0.0),
    "remainder_number_first": lambda L: L.remainder(7, _t(L, _DIV)),
    "remainder_broadcast": lambda L: L.remainder(_t(L, [[5.5], [-5.5]]), _t(L, [2.0, -2.0, 3.0])),
    "mod_operator": lambda L: _t(L, _I) % _t(L, _DIV),
    "rmod_operator": lambda L: 7.5 % _t(L, [2.0, -2.0, 4.0]),
    "rmod_int": lambda L: 7 % _t(L, _DIV),
    "fmod_int": lambda L: L.fmod(_t(L, _I), _t(L, _DIV)),
    "fmod_float": lambda L: _t(L, _F).fmod(-1.5),
    "fmod_special": lambda L: L.fmod(_t(L, _SPECIAL), 2.0),
    "fmod_mixed": lambda L: L.fmod(_t(L, _I, "int32"), _t(L, [2.0], "float64")),
    "floor_divide_int": lambda L: L.floor_divide(_t(L, _I), _t(L, _DIV)),
    "floor_divide_float": lambda L: L.floor_divide(_t(L, _F), 0.7),
    "floor_divide_by_zero_float": lambda L: L.floor_divide(_t(L, [1.0, -1.0, 0.0]), 0.0),
    "floor_divide_number_first": lambda L: L.floor_divide(7, _t(L, _DIV)),
    "floordiv_operators": lambda L: (_t(L, _I) // 2, -7 // _t(L, _DIV), _t(L, _F) // -0.5),
    # div's rounding modes: floor as floor_divide, trunc exact for integers
    "div_floor": lambda L: L.div(_t(L, [1.0, -1.0, 7.5]), _t(L, [0.1, 0.1, 0.1]),
                                 rounding_mode="floor"),
    "div_trunc": lambda L: (L.div(_t(L, [2**62 + 1, -7]), 3, rounding_mode="trunc"),
                            _t(L, [-7, 7]).div(_t(L, [[2], [-2]]), rounding_mode="trunc"),
                            _t(L, [-7.5, 7.5]).divide(2, rounding_mode="trunc"),
                            _t(L, _I, "int8").div(2.5, rounding_mode="trunc")),
    # signs and NaN-aware extremes
    "copysign_int": lambda L: L.copysign(_t(L, _I), _t(L, _DIV)),
    "copysign_bool": lambda L: L.copysign(_t(L, _B), _t(L, _B)),
    "copysign_special": lambda L: L.copysign(_t(L, _SPECIAL), -0.0),
    "copysign_broadcast": lambda L: L.copysign(_t(L, [[1.0], [-2.0]]), _t(L, [-1.0, 0.0, -0.0])),
    "fmax_nan": lambda L: L.fmax(_t(L, [1.0, float("nan"), float("nan"), -0.5]),
                                 _t(L, [float("nan"), 2.0, float("nan"), 3.0])),
    "fmin_nan": lambda L: L.fmin(_t(L, [1.0, float("nan"), float("nan"), -0.5]),
                                 _t(L, [float("nan"), 2.0, float("nan"), 3.0])),
    "fmax_int_float": lambda L: L.fmax(_t(L, [1, 2]), _t(L, [1.5, float("nan")])),
    "fmin_int": lambda L: L.fmin(_t(L, _I), _t(L, _DIV)),
    "float_power": lambda L: (L.float_power(_t(L, [2, 3]), 2), L.float_power(_t(L, [4.0]), 0.5),
                              L.float_power(2, _t(L, [1, 2])),
                              L.float_power(_t(L, [2.0]), _t(L, [3]))),
    "signbit": lambda L: (L.signbit(_t(L, _SPECIAL)), L.signbit(_t(L, _I)),
                          L.signbit(_t(L, _B)), L.signbit(_t(L, [0, 200], "uint8"))),
    "heaviside": lambda L: L.heaviside(_t(L, _SPECIAL), _t(L, [0.5])),
    "heaviside_int": lambda L: L.heaviside(_t(L, [[0], [3], [-2]]), _t(L, [7, 8])),
    "nextafter": lambda L: L.nextafter(_t(L, [1.0, 1.0, 0.0, float("inf")], "float64"),
                                       _t(L, [2.0, 0.0, -1.0, 0.0], "float64")),
    "nextafter_float32": lambda L: L.nextafter(_t(L, [1.0, 0.0]), _t(L, [2.0, 1.0])),
    "deg2rad_rad2deg": lambda L: (L.deg2rad(_t(L, _I)), L.rad2deg(_t(L, _B)),
                                  L.deg2rad(_t(L, _SPECIAL))),
    "exp2": lambda L: (L.exp2(_t(L, _I)), L.exp2(_t(L, _SPECIAL))),
    "angle": lambda L: (L.angle(_t(L, _SPECIAL)), L.angle(_t(L, _I)), L.angle(_t(L, _B))),
    "fix": lambda L: L.fix(_t(L, _F)),
    # integer functions and bitwise operators
    "gcd_lcm": lambda L: (L.gcd(_t(L, [-4, 0, 0, 9]), _t(L, [6, 0, -5, 6])),
                          L.lcm(_t(L, [-4, 0, 3, 9]), _t(L, [6, 0, -5, 6]))),
    "gcd_promotes": lambda L: L.gcd(_t(L, [12, 9], "int16"), _t(L, [[8], [3]], "int8")),
    "bitwise_int": lambda L: (L.bitwise_and(_t(L, _I), _t(L, _DIV)),
                              L.bitwise_or(_t(L, _I), 6), L.bitwise_xor(_t(L, _I), -1),
                              L.bitwise_not(_t(L, _I))),
    "bitwise_bool": lambda L: (L.bitwise_and(_t(L, _B), True), L.bitwise_or(_t(L, _B), 1),
                               L.bitwise_xor(_t(L, _B), _t(L, _B[::-1])),
                               L.bitwise_not(_t(L, _B))),
    "bitwise_int8": lambda L: (L.bitwise_and(_t(L, _I, "int8"), 3),
                               L.bitwise_and(3, _t(L, _I, "int8")),
                               L.bitwise_or(_t(L, _I, "int8"), _t(L, _DIV))),
    "shifts": lambda L: (L.bitwise_left_shift(_t(L, _I), 2),
                         L.bitwise_right_shift(_t(L, _I), _t(L, [1, 2, 0, 3, 1, 64])),
                         L.bitwise_left_shift(_t(L, [5, -3]), _t(L, [64, 63])),
                         L.bitwise_left_shift(_t(L, [1, 3], "uint8"), 7),
                         L.bitwise_right_shift(_t(L, [5, -3]), -1),
                         L.bitwise_left_shift(1, _t(L, [0, 3]))),
    "bitwise_operators": lambda L: (_t(L, _I) & 6, 6 | _t(L, _I), _t(L, _I) ^ _t(L, _DIV),
                                    ~_t(L, _I), _t(L, _I) << 1, _t(L, _I) >> 1,
                                    3 << _t(L, [1, 2]), 64 >> _t(L, [1, 2]),
                                    _t(L, _B) & _t(L, _B[::-1]), ~_t(L, _B), _t(L, _B) ^ 1),
    # predicates and identities
    "isposinf_isneginf": lambda L: (L.isposinf(_t(L, _SPECIAL)), L.isneginf(_t(L, _SPECIAL)),
                                    L.isposinf(_t(L, _I)), L.isneginf(_t(L, _B))),
    "isreal": lambda L: (L.isreal(_t(L, _SPECIAL)), L.isreal(_t(L, _I))),
    "is_predicates": lambda L: (L.is_conj(_t(L, _F)), L.is_neg(_t(L, _F)),
                                L.is_complex(_t(L, _F)), L.is_signed(_t(L, _I)),
                                _t(L, _B).is_signed(), _t(L, [1], "uint8").is_signed(),
                                _t(L, _F).is_signed()),
    "is_nonzero": lambda L: (L.is_nonzero(_t(L, [0.0])), L.is_nonzero(_t(L, 2)),
                             L.is_nonzero(_t(L, [[float("nan")]])), _t(L, [False]).is_nonzero()),
    "is_same_size": lambda L: (L.is_same_size(L.zeros(2, 3), L.ones(2, 3)),
                               L.zeros(2, 3).is_same_size(L.zeros(3, 2))),
    "positive_int": lambda L: L.positive(_t(L, _I)),
    "conj_physical_int": lambda L: L.conj_physical(_t(L, _I)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_dtypes_match_pytorch(name):
    expected = CASES[name](torch)
    got = CASES[name](latte)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e)
    else:
        _same(got, expected)


# --- errors, as PyTorch ---------------------------------------------------------------------------
ERRORS = [
    (lambda L: L.remainder(_t(L, _B), _t(L, _B)), NotImplementedError,
     "\"remainder_cpu\" not implemented for 'Bool'"),
    (lambda L: L.fmod(_t(L, _B), True), NotImplementedError, "\"fmod_cpu\" not implemented"),
    (lambda L: _t(L, _B) // _t(L, _B), NotImplementedError, "\"div_floor_cpu\" not implemented"),
    (lambda L: L.remainder(_t(L, _I), 0), RuntimeError, "ZeroDivisionError"),
    (lambda L: _t(L, _I) // _t(L, [1, 0, 1, 1, 1, 1]), RuntimeError, "ZeroDivisionError"),
    (lambda L: L.fmod(_t(L, _I), _t(L, 0)), RuntimeError, "ZeroDivisionError"),
    (lambda L: L.gcd(_t(L, _F), _t(L, _F)), NotImplementedError,
     "\"gcd_cpu\" not implemented for 'Float'"),
    (lambda L: L.lcm(_t(L, _B), _t(L, _B)), NotImplementedError,
     "\"lcm_cpu\" not implemented for 'Bool'"),
    (lambda L: L.bitwise_and(_t(L, _F), _t(L, _F)), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    (lambda L: _t(L, _F) | 1, NotImplementedError, "\"bitwise_or_cpu\" not implemented"),
    (lambda L: _t(L, _I) ^ 2.0, NotImplementedError, "\"bitwise_xor_cpu\" not implemented"),
    (lambda L: L.bitwise_not(_t(L, _F)), NotImplementedError,
     "\"bitwise_not_cpu\" not implemented for 'Float'"),
    (lambda L: ~_t(L, _F), TypeError, "only implemented on integer and Boolean-type tensors"),
    (lambda L: _t(L, _B) << _t(L, _B), NotImplementedError,
     "\"lshift_cpu\" not implemented for 'Bool'"),
    (lambda L: L.bitwise_right_shift(_t(L, _F), 1), NotImplementedError,
     "\"rshift_cpu\" not implemented for 'Float'"),
    (lambda L: L.nextafter(_t(L, _I), _t(L, _I)), NotImplementedError,
     "\"nextafter_cpu\" not implemented for 'Long'"),
    (lambda L: L.heaviside(_t(L, _I), _t(L, [1.0])), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes"),
    (lambda L: L.heaviside(_t(L, _F), 0.5), TypeError, "must be Tensor"),
    (lambda L: L.positive(_t(L, _B)), RuntimeError, "operator, on a bool tensor is not supported"),
    (lambda L: L.is_nonzero(_t(L, [])), RuntimeError,
     "Boolean value of Tensor with no values is ambiguous"),
    (lambda L: L.is_nonzero(_t(L, [1, 2])), RuntimeError,
     "Boolean value of Tensor with more than one value is ambiguous"),
    (lambda L: L.atan2(L.zeros(2), L.zeros(3)), RuntimeError, "must match the size"),
    (lambda L: L.div(L.zeros(2), L.ones(3), rounding_mode="trunc"), RuntimeError,
     "must match the size"),
    (lambda L: L.div(_t(L, _I), 0, rounding_mode="trunc"), RuntimeError, "ZeroDivisionError"),
    (lambda L: L.div(_t(L, _I), 2, rounding_mode="round"), RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"),
    (lambda L: L.remainder(L.zeros(2, 3), L.ones(4)), RuntimeError, "must match the size"),
    (lambda L: _t(L, [2.0]).float_power_(2), RuntimeError,
     "the base given to float_power_ has dtype Float but the operation's result requires "
     "dtype Double"),
    (lambda L: _t(L, [1, 2]).asin_(), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda L: _t(L, [5, 7]).remainder_(2.5), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda L: L.zeros(3).atan2_(L.ones(2, 3)), RuntimeError,
     r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_pytorch(i):
    fn, kind, message = ERRORS[i]
    for lib in (torch, latte):
        with pytest.raises(kind, match=message):
            fn(lib)


# --- gradients PyTorch has not, and nodes ------------------------------------------------------
@pytest.mark.parametrize("fn,aten", [
    (lambda L, x: L.floor_divide(x, 0.7), "floor_divide"),
    (lambda L, x: x // L.tensor([2.0, -1.0, 3.0]), "floor_divide"),
    (lambda L, x: L.heaviside(x, L.tensor(0.5)), "heaviside"),
])
def test_no_derivative_joins_the_graph_and_raises_on_backward_as_pytorch(fn, aten):
    for lib in (torch, latte):
        x = lib.tensor([1.5, -2.0, 0.0], requires_grad=True)
        y = fn(lib, x)
        assert y.requires_grad and y.grad_fn.name() == "torch::autograd::NotImplemented"
        with pytest.raises(RuntimeError, match=f"derivative for aten::{aten} is not implemented"):
            (y * x).sum().backward()
        with lib.no_grad():
            assert not fn(lib, x).requires_grad


@pytest.mark.parametrize("fn", [
    lambda L, x: L.float_power(x, 2), lambda L, x: L.float_power(x, x * 0 + 1.5),
    lambda L, x: L.float_power(2, x), lambda L, x: L.fix(x), lambda L, x: L.arcsin(x * 0.3),
    lambda L, x: L.arctan2(x, x + 3), lambda L, x: L.remainder(x, 2.0),
    lambda L, x: L.remainder(x, x * 0 + 2.0), lambda L, x: L.copysign(x, -1),
    lambda L, x: L.fmod(x, x * 0 + 2.0), lambda L, x: L.angle(x),
])
def test_node_names_and_gradients_match_pytorch(fn):
    results = []
    for lib in (torch, latte):
        x = lib.tensor([0.75, -1.25, 0.5], dtype=lib.float64, requires_grad=True)
        y = fn(lib, x)
        (y * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        results.append((y.grad_fn.name(), y.dtype.__repr__().split(".")[-1], y.tolist(),
                        x.grad.tolist()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-12)
    np.testing.assert_allclose(results[1][3], results[0][3], rtol=1e-12)


def test_identities_return_the_tensor_itself_as_pytorch():
    for lib in (torch, latte):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        for fn in (lib.positive, lib.conj, lib.conj_physical, lib.resolve_conj, lib.resolve_neg):
            assert fn(x) is x
        assert +x is x
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            x.conj_physical_()
        y = x * 2
        assert y.conj_physical_() is y and y.tolist() == [2.0, -4.0]


# --- in-place forms -------------------------------------------------------------------------------
_FLOAT = [0.5, -0.25, 0.75]
INPLACE = [
    ("asin_", _FLOAT, lambda L, t: t.asin_()), ("acos_", _FLOAT, lambda L, t: t.arccos_()),
    ("atan_", _FLOAT, lambda L, t: t.atan_()), ("asinh_", _FLOAT, lambda L, t: t.asinh_()),
    ("acosh_", [1.5, 2.0, 3.0], lambda L, t: t.acosh_()),
    ("atanh_", _FLOAT, lambda L, t: t.arctanh_()),
    ("atan2_", _FLOAT, lambda L, t: t.atan2_(L.tensor([1.0, -1.0, 2.0]))),
    ("arctan2_", _FLOAT, lambda L, t: t.arctan2_(L.tensor(-1.0))),
    ("remainder_", [5.5, -3.5, 7.0], lambda L, t: t.remainder_(-2.0)),
    ("remainder_int", [5, -3, 7], lambda L, t: t.remainder_(L.tensor([2, 2, -4]))),
    ("fmod_", [5.5, -3.5, 7.0], lambda L, t: t.fmod_(2.0)),
    ("floor_divide_", [5, -3, 7], lambda L, t: t.floor_divide_(2)),
    ("imod_ifloordiv", [5, -3, 7], lambda L, t: t.__imod__(4).__ifloordiv__(2)),
    ("copysign_", _FLOAT, lambda L, t: t.copysign_(L.tensor([-1.0, 1.0, -0.0]))),
    ("float_power_", [2.0, 3.0, 0.5], lambda L, t: t.double().float_power_(2.5)),
    ("heaviside_", [0.0, -1.0, 2.0], lambda L, t: t.heaviside_(L.tensor(0.5))),
    ("nextafter_", _FLOAT, lambda L, t: t.nextafter_(L.tensor(1.0))),
    ("gcd_lcm_", [4, 6, 9], lambda L, t: t.gcd_(L.tensor([6, 4, 6])).lcm_(L.tensor(3))),
    ("bitwise_", [12, 10, -3], lambda L, t: t.bitwise_and_(6).bitwise_or_(1).bitwise_xor_(
        L.tensor([1, 2, 3])).bitwise_not_()),
    ("shifts_", [12, 10, -3], lambda L, t: t.bitwise_left_shift_(2).bitwise_right_shift_(1)),
    ("bit_operators", [12, 10, -3], lambda L, t: t.__iand__(7).__ior__(8).__ixor__(1)
     .__ilshift__(1).__irshift__(2)),
    ("bitwise_bool_", [True, False, True], lambda L, t: t.bitwise_xor_(L.tensor([True] * 3))),
    ("deg2rad_rad2deg_", [90.0, -45.0, 1.0], lambda L, t: t.deg2rad_().rad2deg_().deg2rad_()),
    ("trig_", _FLOAT, lambda L, t: t.sin_().cos_().tan_().sinh_().cosh_()),
    ("exp_log_", _FLOAT, lambda L, t: t.exp2_().expm1_().log1p_().log2_().log10_()),
    ("powers_", [0.5, 2.0, 4.0], lambda L, t: t.rsqrt_().reciprocal_().square_()),
    ("rounding_", [1.5, -2.25, 0.75], lambda L, t: t.frac_().mul_(3).ceil_()),
    ("trunc_fix_", [1.5, -2.25, 0.75], lambda L, t: t.mul_(1.7).trunc_().mul_(1.5).fix_()),
    ("trunc_int", [3, -2, 1], lambda L, t: t.trunc_()),
    ("sign_abs_", [1.5, -2.25, 0.0], lambda L, t: t.sgn_().negative_().absolute_()),
    ("arith_", [1.5, -2.25, 0.75], lambda L, t: t.multiply_(2).subtract_(1, alpha=2)
     .divide_(4).true_divide_(L.tensor([1.0, 2.0, 4.0])).divide_(0.3, rounding_mode="floor")),
    ("compare_float", [1.0, 2.0, 3.0], lambda L, t: t.eq_(2)),
    ("compare_int", [1, 2, 3], lambda L, t: t.lt_(2.5)),
    ("compare_chain", [1.0, 2.0, 3.0], lambda L, t: t.ne_(2).ge_(L.tensor([1.0, 0.0, 0.5]))),
    ("compare_aliases", [1.0, 2.0, 3.0], lambda L, t: t.greater_(1).less_equal_(0.5)),
    ("compare_aliases2", [1.0, 2.0, 3.0], lambda L, t: t.greater_equal_(2).not_equal_(0)
     .less_(1).gt_(-1).le_(1)),
    ("logical_", [1.0, 0.0, 3.0], lambda L, t: t.logical_and_(L.tensor([1, 0, 1]))
     .logical_or_(L.tensor([False, True, False])).logical_xor_(L.tensor(True))),
    ("logical_not_", [1, 0, 3], lambda L, t: t.logical_not_()),
    ("cumsum_cumprod_", [1.0, 2.0, 3.0], lambda L, t: t.cumsum_(0).cumprod_(dim=0)),
]


@pytest.mark.parametrize("name,values,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_forms_match_pytorch(name, values, fn):
    results = []
    for lib in (torch, latte):
        t = lib.tensor(values)
        out = fn(lib, t)
        results.append((out.tolist(), str(out.dtype).split(".")[-1], out._version > 0))
        if name != "float_power_":  # .double() made a new tensor
            assert out is t
    assert results[0][1:] == results[1][1:]
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda L, x, w: (x * 1).asin_() * w,
    lambda L, x, w: (x * 2).atan2_(w),
    lambda L, x, w: (x + 3).remainder_(w + 2),
    lambda L, x, w: (x * 1).copysign_(w) * w,
    lambda L, x, w: (x * 1).cumsum_(0).square_(),
    lambda L, x, w: (x.double() * 1).float_power_(2),
])
def test_autograd_through_new_inplace_forms_matches_pytorch(fn):
    results = []
    for lib in (torch, latte):
        x = lib.tensor([0.5, -0.25, 0.75], requires_grad=True)
        w = lib.tensor([0.3, 0.8, -0.6], requires_grad=True)
        out = fn(lib, x, w)
        (out * lib.tensor([1.0, 2.0, 3.0], dtype=out.dtype)).sum().backward()
        results.append([out.tolist(), x.grad.tolist(),
                        None if w.grad is None else w.grad.tolist()])
    for a, b in zip(results[1], results[0]):
        if b is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5)


@pytest.mark.parametrize("name,args", [
    ("sin_", ()), ("abs_", ()), ("relu_", ()), ("sigmoid_", ()), ("tanh_", ()), ("exp_", ()),
    ("sqrt_", ()), ("asin_", ()), ("deg2rad_", ()), ("fix_", ()), ("clamp_", (0.0, 0.5)),
    ("xlogy_", (2.0,)), ("zero_", ()), ("fill_", (3.5,)), ("negative_", ()),
    ("conj_physical_", ()),
])
def test_inplace_functions_match_pytorch(name, args):
    results = []
    for lib in (torch, latte):
        t = lib.tensor([0.5, 0.25, 0.75])
        assert getattr(lib, name)(t, *args) is t
        results.append(t.tolist())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_out_argument_of_the_new_functions():
    for name, args in [("asin", ([0.5, 0.25],)), ("atan2", ([1.0, 2.0], [2.0, -1.0])),
                       ("remainder", ([5.0, -3.0], [2.0, 2.0])), ("signbit", ([-1.0, 1.0],)),
                       ("gcd", ([4, 6], [6, 9])), ("bitwise_and", ([12, 10], [6, 6]))]:
        results = []
        for lib in (torch, latte):
            tensors = [lib.tensor(a) for a in args]
            out = lib.empty(0, dtype=lib.float32 if tensors[0].is_floating_point() else None)
            if name == "signbit":
                out = lib.empty(0, dtype=lib.bool)
            elif not tensors[0].is_floating_point():
                out = lib.empty(0, dtype=lib.int64)
            assert getattr(lib, name)(*tensors, out=out) is out
            results.append((out.tolist(), str(out.dtype).split(".")[-1]))
        assert results[0][1] == results[1][1], name
        np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-6)
