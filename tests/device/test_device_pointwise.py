"""The non-differentiable pointwise long tail (integer division, bitwise and integer functions,
predicates, in-place forms) on the stand-in GPU: same results as on the CPU, results on the
inputs' GPU, no hidden host copies. The differentiable ones are op_db entries."""
from __future__ import annotations

import numpy as np
import pytest
from standin import cpu_and_device_results

import latte

INTS = np.array([5, -3, 0, 7, -8, 2])
DIVISORS = np.array([2, -3, 1, -1, 4, 3])
FLOATS = np.array([0.5, -0.0, 0.0, np.inf, -np.inf, np.nan, -3.0])

CASES = {
    "remainder_fmod_int": lambda t: (latte.remainder(t(INTS), t(DIVISORS)),
                                     t(INTS).fmod(t(DIVISORS)), t(INTS) % 3, 7 % t(DIVISORS)),
    "floor_divide": lambda t: (t(INTS) // t(DIVISORS), latte.floor_divide(t(FLOATS), 0.5),
                               -7 // t(DIVISORS)),
    "gcd_lcm": lambda t: (latte.gcd(t(INTS), t(DIVISORS)), t(INTS).lcm(t(DIVISORS))),
    "bitwise": lambda t: (t(INTS) & t(DIVISORS), t(INTS) | 6, t(INTS) ^ -1, ~t(INTS),
                          t(INTS > 0) & t(DIVISORS > 0), ~t(INTS > 0),
                          latte.bitwise_xor(t(INTS), t(np.array(3)))),
    "shifts": lambda t: (t(INTS) << 2, t(INTS) >> t(np.array([1, 2, 0, 3, 1, 64])),
                         1 << t(np.array([0, 3])), latte.bitwise_right_shift(t(INTS), -1)),
    "sign_and_steps": lambda t: (latte.signbit(t(FLOATS)), t(INTS).signbit(),
                                 latte.heaviside(t(FLOATS), t(np.array(0.5))),
                                 latte.copysign(t(INTS), t(DIVISORS))),
    "predicates": lambda t: (latte.isposinf(t(FLOATS)), t(FLOATS).isneginf(),
                             latte.isreal(t(FLOATS)), latte.angle(t(FLOATS)),
                             latte.fmax(t(FLOATS), t(FLOATS[::-1].copy()))),
    "inplace": lambda t: (t(INTS).remainder_(3).bitwise_and_(t(DIVISORS)).floor_divide_(2),
                          t(FLOATS[:3].copy()).asin_().eq_(0),
                          t(np.array([1.0, 2.0])).cumsum_(0).atan2_(t(np.array(2.0))),
                          latte.sin_(t(np.array([0.5, 1.0])))),
}


@pytest.mark.parametrize("where", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("name", list(CASES))
def test_pointwise_on_gpu_matches_cpu(name, where, gpu):
    expected, got = cpu_and_device_results(CASES[name], where, gpu)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.device == latte.device(where)
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g.cpu().numpy(), e.numpy())
