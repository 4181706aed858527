"""Linear, Bilinear, Identity: parity with PyTorch, default init, errors, gradcheck."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_helpers import f64, run_pair

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck, gradgradcheck


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_parity(shape, bias):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    run_pair(torch, nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias), x)


def test_bilinear_parity():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x1 = rng.standard_normal((5, 3)).astype(np.float32)
    x2 = rng.standard_normal((5, 4)).astype(np.float32)
    run_pair(torch, nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2), x1, x2)


def test_linear_gradcheck_and_double_backward():
    x, w, b = f64(3, 4), f64(2, 4, seed=1), f64(2, seed=2)
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (f64(2, 3, 4), w))
    assert gradgradcheck(lambda x, w: F.linear(x, w, b).tanh(), (x, w))
    assert gradcheck(F.bilinear, (f64(3, 2), f64(3, 4, seed=3), f64(5, 2, 4, seed=4),
                                  f64(5, seed=5)))


def test_linear_default_init_bounds():
    latte.manual_seed(0)
    fc = nn.Linear(1000, 1000)
    bound = 1 / math.sqrt(1000)
    w = fc.weight.detach().numpy()
    assert w.shape == (1000, 1000) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 1e-3  # uniform on [-b, b]
    assert abs(w.mean()) < 1e-3
    b = fc.bias.detach().numpy()
    assert np.abs(b).max() <= bound and b.std() > 0.5 * bound / math.sqrt(3)


def test_linear_init_repeats_with_seed():
    latte.manual_seed(3)
    a = nn.Linear(4, 4).weight.detach().numpy().copy()
    latte.manual_seed(3)
    assert np.array_equal(a, nn.Linear(4, 4).weight.detach().numpy())


def test_linear_error_names_layer_and_shapes():
    fc = nn.Linear(784, 10)
    with pytest.raises(RuntimeError) as info:
        fc(latte.zeros(32, 100))
    msg = str(info.value)
    assert "Linear(in_features=784, out_features=10, bias=True)" in msg
    assert "784" in msg and "(32, 100)" in msg
    with pytest.raises(RuntimeError, match="does not match weight"):
        F.linear(latte.zeros(2, 3), latte.zeros(4, 5))
    with pytest.raises(RuntimeError, match="Bilinear"):
        nn.Bilinear(3, 4, 2)(latte.zeros(2, 3), latte.zeros(2, 5))


def test_linear_without_bias_registers_none():
    fc = nn.Linear(3, 2, bias=False)
    assert fc.bias is None and [n for n, _ in fc.named_parameters()] == ["weight"]
    assert repr(fc) == "Linear(in_features=3, out_features=2, bias=False)"
