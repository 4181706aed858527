"""Float32 and float16 accuracy of the error-function family over dense grids.

The fast float32/float16 path (``latte/ops/erf_arrays.py``) is checked against Latte's exact
float64 path on the same (rounded) inputs: over a million points in [-10, 10], tiny values down
to the float32 subnormals and the special values, the error must stay at the level of the
final rounding to float32, and, where PyTorch is installed, no worse than PyTorch's own.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import latte
from latte.ops import erf_arrays as E

ULP = 2.0 ** -24           # the largest relative error of a correctly rounded float32
TINY = 1e-37               # relative error is measured where results are normal floats


def _grid() -> np.ndarray:
    x = np.linspace(-10, 10, 1_200_001).astype(np.float32)
    tiny = np.logspace(-45, 0, 20_001).astype(np.float32)
    return np.concatenate([x, tiny, -tiny, np.float32([0.0, -0.0])])


def _unit_grid() -> np.ndarray:
    y = np.linspace(-1, 1, 1_000_001).astype(np.float32)
    near_one = (1 - np.logspace(-7.3, -1, 50_000)).astype(np.float32)
    tiny = np.logspace(-45, -1, 20_000).astype(np.float32)
    return np.concatenate([y, near_one, -near_one, tiny, -tiny])


def _gelu64(x):
    return x * 0.5 * E._erfc_exact(x * -E._INV_SQRT2)


def _gelu_grad64(x):
    return 0.5 * E._erfc_exact(x * -E._INV_SQRT2) + x * np.exp(-0.5 * x * x) * E._INV_SQRT_2PI


# name -> (fast function, float64 reference, grid)
FUNCTIONS = {
    "erf": (E.erf_array, E._erf_exact, _grid),
    "erfc": (E.erfc_array, E._erfc_exact, _grid),
    "gelu": (E.gelu_array, _gelu64, _grid),
    "erfinv": (E.erfinv_array, E._erfinv_exact, _unit_grid),
}


def _errors(got: np.ndarray, ref: np.ndarray) -> tuple:
    """(max absolute, max relative where the result is a normal float32) error."""
    got = got.astype(np.float64)
    finite = np.isfinite(ref)
    assert np.array_equal(got[~finite], ref[~finite], equal_nan=True)
    diff = np.abs(got[finite] - ref[finite])
    normal = np.abs(ref[finite]) > TINY
    return diff.max(), (diff[normal] / np.abs(ref[finite][normal])).max()


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_float32_error_is_the_final_rounding(name):
    fast, exact, grid = FUNCTIONS[name]
    x = grid()
    got = fast(x)
    assert got.dtype == np.float32 and got.shape == x.shape
    ref = exact(x.astype(np.float64))
    abs_err, rel_err = _errors(got, ref)
    assert rel_err <= 1.05 * ULP, f"{name}: max relative error {rel_err:.3g}"
    largest = np.abs(ref[np.isfinite(ref)]).max()  # half an ulp of it bounds the rounding
    assert abs_err <= ULP * largest, f"{name}: max absolute error {abs_err:.3g}"


def test_gelu_derivative_float32_error():
    x = _grid()
    got = E.gelu_grad_array(x).astype(np.float64)
    ref = _gelu_grad64(x.astype(np.float64))
    # where Phi + x phi crosses zero (x = -0.75) a relative error means nothing: absolute
    assert np.abs(got - ref).max() <= 1.2 * ULP * np.abs(ref).max()
    away = np.abs(ref) > 1e-3
    assert (np.abs(got - ref)[away] / np.abs(ref[away])).max() <= 1.05 * ULP


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_float32_error_no_worse_than_pytorch(name):
    torch = pytest.importorskip("torch")
    torch_fn = {"erf": torch.erf, "erfc": torch.erfc, "erfinv": torch.erfinv,
                "gelu": torch.nn.functional.gelu}[name]
    fast, exact, grid = FUNCTIONS[name]
    x = grid()
    ref = exact(x.astype(np.float64))
    ours = _errors(fast(x), ref)
    theirs = _errors(torch_fn(torch.from_numpy(x)).numpy(), ref)
    for what, a, b in zip(("absolute", "relative"), ours, theirs):
        assert a <= max(b, ULP), f"{name}: {what} error {a:.3g}, PyTorch's {b:.3g}"


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_float16_rounds_once(name):
    fast, exact, _ = FUNCTIONS[name]
    x = (np.linspace(-0.999, 0.999, 20_001) if name == "erfinv"
         else np.linspace(-6, 6, 20_001)).astype(np.float16)
    got = fast(x)
    assert got.dtype == np.float16
    want = exact(x.astype(np.float64)).astype(np.float16)  # the correctly rounded result
    np.testing.assert_array_equal(got, want)


def test_special_values():
    inf, nan = math.inf, math.nan
    x = np.float32([inf, -inf, nan, 0.0, -0.0, 30.0, -30.0])
    np.testing.assert_array_equal(E.erf_array(x), np.float32([1, -1, nan, 0, -0.0, 1, -1]))
    assert np.signbit(E.erf_array(x)[4])
    np.testing.assert_array_equal(E.erfc_array(x), np.float32([0, 2, nan, 1, 1, 0, 2]))
    np.testing.assert_array_equal(E.gelu_array(x), np.float32([inf, nan, nan, 0, 0, 30, -0.0]))
    y = np.float32([1, -1, 1.5, -2, nan, 0])
    np.testing.assert_array_equal(E.erfinv_array(y), np.float32([inf, -inf, nan, nan, nan, 0]))


def test_gelu_float32_backward_matches_its_derivative():
    x = np.linspace(-12, 12, 10_001).astype(np.float32)
    t = latte.tensor(x, requires_grad=True)
    latte.nn.functional.gelu(t).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), E.gelu_grad_array(x))


def test_non_contiguous_and_scalar_inputs():
    x = np.linspace(-3, 3, 600, dtype=np.float32).reshape(20, 30)[:, ::3].T
    np.testing.assert_array_equal(E.erf_array(x), E.erf_array(np.ascontiguousarray(x)))
    assert E.erfc_array(np.float32(0.5)[()]).shape == ()
    scalar = E.gelu_array(np.asarray(np.float32(1.0)))
    assert scalar.shape == () and scalar.dtype == np.float32
