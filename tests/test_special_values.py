"""Ops at special points (ties, NaN, zero vectors, the origin) give PyTorch's values and
gradients: hard-coded expectations, so they hold without PyTorch too, and PyTorch itself beside
them where it is installed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import latte
import latte.nn.functional as F


def _torch():
    return pytest.importorskip("torch")


def _value_and_grad(lib, fn, values, upstream=None):
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    y = fn(lib, x)
    y.backward(lib.ones_like(y) if upstream is None else lib.tensor(upstream, dtype=lib.float64))
    return np.asarray(y.detach().numpy()), np.asarray(x.grad.numpy())


def test_sign_of_nan_is_zero_with_a_zero_gradient():
    x = latte.tensor([math.nan, -2.0, -0.0, 0.0, 3.0], requires_grad=True)
    for name, node in (("sign", "SignBackward0"), ("sgn", "SgnBackward0")):
        y = getattr(x, name)()
        assert y.tolist() == [0.0, -1.0, 0.0, 0.0, 1.0]
        assert y.requires_grad and type(y.grad_fn).__name__ == node
        (y * 2.0).sum().backward()
        assert x.grad.tolist() == [0.0] * 5
        x.grad = None
    assert latte.tensor([-3, 0, 5]).sign().tolist() == [-1, 0, 1]
    torch = _torch()
    assert torch.tensor([math.nan, -2.0]).sign().tolist() == [0.0, -1.0]


def test_abs_gradient_at_nan_is_zero():
    _, grad = _value_and_grad(latte, lambda lib, x: x.abs(), [math.nan, -1.0, 0.0, 2.0])
    assert grad.tolist() == [0.0, -1.0, 0.0, 1.0]


def test_piecewise_constant_gradient_is_zero_under_infinite_upstream():
    _, grad = _value_and_grad(latte, lambda lib, x: x.floor(), [0.5, 1.5], [math.inf, math.nan])
    assert grad.tolist() == [0.0, 0.0]


def test_atan2_gradient_at_the_origin_is_zero():
    def fn(lib, x):
        return x.atan2(lib.tensor([0.0, 0.0, 2.0], dtype=lib.float64))
    _, grad = _value_and_grad(latte, fn, [0.0, 1.0, 0.0])
    np.testing.assert_allclose(grad, [0.0, 0.0, 0.5])
    np.testing.assert_allclose(grad, _value_and_grad(_torch(), fn, [0.0, 1.0, 0.0])[1])


MEDIAN_CASES = [
    ([1.0, 2.0, 2.0, 3.0], 2.0, [0.0, 0.5, 0.5, 0.0]),  # ties share the gradient
    ([1.0, math.nan, 2.0], math.nan, [0.0, 1.0, 0.0]),  # NaN anywhere: NaN, at the NaN
    ([math.nan, 1.0, math.nan], math.nan, [0.5, 0.0, 0.5]),
    ([math.inf, math.inf, math.inf, 1.0], math.inf, [1 / 3, 1 / 3, 1 / 3, 0.0]),
]


@pytest.mark.parametrize("values,median,grad", MEDIAN_CASES)
def test_median_of_all_elements_at_ties_and_nan(values, median, grad):
    value, got = _value_and_grad(latte, lambda lib, x: x.median(), values)
    np.testing.assert_equal(float(value), median)
    np.testing.assert_allclose(got, grad)
    torch_value, torch_grad = _value_and_grad(_torch(), lambda lib, x: x.median(), values)
    np.testing.assert_equal(value, torch_value)
    np.testing.assert_allclose(got, torch_grad)


def test_median_of_nothing_is_nan():
    assert math.isnan(latte.tensor([]).median().item())


def test_median_along_a_dim_is_nan_where_the_row_holds_nan():
    rows = [[1.0, math.nan, 2.0], [3.0, 1.0, 2.0], [math.nan, math.nan, 0.0]]
    x = latte.tensor(rows, requires_grad=True)
    values, indices = x.median(1)
    np.testing.assert_equal(values.tolist(), [math.nan, 2.0, math.nan])
    assert indices.tolist() == [1, 2, 0]
    values.sum().backward()
    assert x.grad.tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    torch = _torch()
    expected = torch.tensor(rows).median(1)
    np.testing.assert_equal(values.tolist(), expected.values.tolist())
    assert indices.tolist() == expected.indices.tolist()


def test_normalize_and_cosine_similarity_of_a_zero_vector_have_finite_gradients():
    def normalized(lib, x):
        return lib.nn.functional.normalize(x.reshape(1, 3), dim=1)

    def cosine(lib, x):
        ones = lib.ones(1, 3, dtype=lib.float64)
        return lib.nn.functional.cosine_similarity(x.reshape(1, 3), ones)
    for fn, scale in ((normalized, 1e12), (cosine, 1 / (math.sqrt(3) * 1e-8))):
        value, grad = _value_and_grad(latte, fn, [0.0, 0.0, 0.0])
        assert np.all(value == 0)
        np.testing.assert_allclose(grad, np.full(3, scale), rtol=1e-12)
        torch_value, torch_grad = _value_and_grad(_torch(), fn, [0.0, 0.0, 0.0])
        np.testing.assert_allclose(grad, torch_grad, rtol=1e-12)


def test_normalize_keeps_its_values_and_gradients_away_from_zero():
    x = latte.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)
    assert latte.autograd.gradcheck(lambda t: F.normalize(t, dim=1), (x,))
    assert latte.autograd.gradcheck(lambda t: F.cosine_similarity(t, t.flip(0), dim=1), (x,))


def test_elementwise_max_and_min_share_ties_and_pass_nan_to_both():
    nan = math.nan
    a_values, b_values = [1.0, nan, 2.0, 1.0, nan], [2.0, 1.0, nan, 1.0, nan]
    expected = {"maximum": ([0, 1, 1, 0.5, 1], [1, 1, 1, 0.5, 1]),
                "minimum": ([1, 1, 1, 0.5, 1], [0, 1, 1, 0.5, 1])}
    for name, (grad_a, grad_b) in expected.items():
        a = latte.tensor(a_values, requires_grad=True)
        b = latte.tensor(b_values, requires_grad=True)
        getattr(latte, name)(a, b).sum().backward()
        assert (a.grad.tolist(), b.grad.tolist()) == (grad_a, grad_b), name
    torch = _torch()
    a = torch.tensor(a_values, requires_grad=True)
    b = torch.tensor(b_values, requires_grad=True)
    torch.maximum(a, b).sum().backward()
    assert (a.grad.tolist(), b.grad.tolist()) == expected["maximum"]


def test_max_of_all_elements_gives_a_nan_result_gradient_to_the_nans():
    values = [1.0, math.nan, 2.0, math.nan]
    x = latte.tensor(values, requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.0, 0.5]
    x.grad = None
    x.amax().backward()  # amax's gradient is NaN everywhere then, as PyTorch's
    assert np.isnan(x.grad.numpy()).all()
    torch = _torch()
    t = torch.tensor(values, requires_grad=True)
    t.max().backward()
    assert t.grad.tolist() == [0.0, 0.5, 0.0, 0.5]
