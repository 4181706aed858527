"""Division by zero, log 0, sqrt(-1)... give inf/nan silently, as PyTorch: no NumPy warnings."""
import warnings

import numpy as np
import pytest

import latte

torch = pytest.importorskip("torch")

NAN = float("nan")
EXPRESSIONS = {
    "one_over_zero": lambda L: L.tensor([1.0]) / L.tensor([0.0]),
    "zero_over_zero": lambda L: L.tensor([0.0]) / L.tensor([0.0]),
    "zero_over_number_zero": lambda L: L.tensor([0.0]) / 0,
    "number_over_zero": lambda L: 1 / L.tensor([0.0, -0.0]),
    "log_zero": lambda L: L.log(L.zeros(1)),
    "log_negative": lambda L: L.log(L.tensor([-1.0])),
    "log2_log10_log1p": lambda L: L.cat([L.log2(L.zeros(1)), L.log10(L.zeros(1)),
                                         L.log1p(L.tensor([-1.0, -2.0]))]),
    "sqrt_negative": lambda L: L.sqrt(L.tensor([-1.0])),
    "rsqrt_reciprocal": lambda L: L.cat([L.rsqrt(L.tensor([0.0, -1.0])),
                                         L.reciprocal(L.tensor([0.0]))]),
    "pow": lambda L: L.cat([L.tensor([0.0, -1.0]) ** -0.5,
                            L.tensor([0.0, -1.0]) ** L.tensor([-1.0, 0.5])]),
    "exp_overflow": lambda L: L.exp(L.tensor([1000.0])),
    "nanmean_all_nan_row": lambda L: L.nanmean(L.tensor([[NAN, NAN], [1.0, 2.0]]), 1),
    "mean_of_empty": lambda L: L.tensor([]).mean(),
    "softmax_of_minus_inf": lambda L: L.tensor([[-float("inf")] * 2]).softmax(1),
}


def _grads(L, fn, *values):
    xs = [L.tensor(v, dtype=L.float64, requires_grad=True) for v in values]
    fn(*xs).sum().backward()
    return L.cat([x.grad for x in xs])


GRADIENTS = {
    "div": (lambda a, b: a / b, [1.0, 0.0], [0.0, 0.0]),
    "log": (lambda a: a.log(), [0.0, -1.0]),
    "sqrt": (lambda a: a.sqrt(), [0.0, -1.0]),
    "pow_scalar": (lambda a: a ** 0.5, [0.0, -1.0]),
    "reciprocal_rsqrt": (lambda a: a.reciprocal() + a.rsqrt(), [0.0]),
    "log1p": (lambda a: a.log1p(), [-1.0]),
}


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_forward_is_silent_and_matches_torch(name):
    fn = EXPRESSIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = fn(torch).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fn(latte).numpy()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_backward_is_silent_and_matches_torch(name):
    fn, *values = GRADIENTS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _grads(torch, fn, *values).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _grads(latte, fn, *values).numpy()
    np.testing.assert_array_equal(got, expected)


def test_numpy_state_outside_ops_is_unchanged():
    # the silencing is scoped to the op: the user's own NumPy still warns
    latte.tensor([1.0]) / latte.tensor([0.0])
    with pytest.warns(RuntimeWarning):
        np.array([1.0]) / np.array([0.0])


def test_logcumsumexp_of_nan_and_minus_inf_is_quiet():
    x = latte.tensor([[float("nan"), 1.0], [float("-inf"), float("-inf")]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = latte.logcumsumexp(x, 1)
    assert np.isnan(out.numpy()[0]).all() and np.isneginf(out.numpy()[1]).all()
