"""nn.init: gains, fans, distributions, seeding and generators; default layer inits."""
from __future__ import annotations

import math

import numpy as np
import pytest

import latte
import latte.nn as nn
from latte.nn import init


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None),
                        ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
                        ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="Unsupported"):
        init.calculate_gain("swish")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(latte.empty(8, 4)) == (4, 8)
    assert init._calculate_fan_in_and_fan_out(latte.empty(16, 3, 5, 5)) == (75, 400)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(latte.empty(5))


def test_uniform_normal_constant_fills():
    latte.manual_seed(0)
    t = latte.empty(200, 300)
    init.uniform_(t, -2.0, 3.0)
    a = t.numpy()
    assert a.min() >= -2 and a.max() <= 3 and abs(a.mean() - 0.5) < 0.02
    init.normal_(t, 1.0, 2.0)
    assert abs(t.numpy().mean() - 1) < 0.02 and abs(t.numpy().std() - 2) < 0.02
    assert init.constant_(t, 0.5).numpy().max() == 0.5
    assert init.zeros_(t).numpy().max() == 0 and init.ones_(t).numpy().min() == 1
    np.testing.assert_array_equal(init.eye_(latte.empty(2, 3)).numpy(), np.eye(2, 3))


@pytest.mark.parametrize("fn,expected_std", [
    (lambda t: init.xavier_uniform_(t), math.sqrt(2 / (400 + 300))),
    (lambda t: init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / (400 + 300))),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / 300)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2 / 400)),
    (lambda t: init.kaiming_normal_(t, a=0.2), math.sqrt(2 / (1 + 0.04)) / math.sqrt(300)),
    (lambda t: init.trunc_normal_(t, std=0.02), 0.02),
])
def test_variance_scaling_inits(fn, expected_std):
    latte.manual_seed(1)
    t = fn(latte.empty(400, 300))
    assert abs(t.numpy().std() / expected_std - 1) < 0.02
    assert abs(t.numpy().mean()) < 0.01 * max(expected_std * 10, 0.01)


def test_trunc_normal_respects_bounds_and_kaiming_uniform_bound():
    latte.manual_seed(2)
    t = init.trunc_normal_(latte.empty(10000), mean=0.0, std=1.0, a=-0.5, b=1.0)
    assert t.numpy().min() >= -0.5 and t.numpy().max() <= 1.0
    k = init.kaiming_uniform_(latte.empty(64, 100), a=math.sqrt(5))
    assert np.abs(k.numpy()).max() <= 1 / math.sqrt(100)


def test_orthogonal():
    latte.manual_seed(3)
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = init.orthogonal_(latte.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1)
        small = min(q.shape)
        prod = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
        np.testing.assert_allclose(prod, 4 * np.eye(small), atol=1e-5)


def test_generator_and_seed_repeat_and_no_grad():
    g = latte.Generator().manual_seed(5)
    a = init.normal_(latte.empty(10), generator=g).numpy().copy()
    g.manual_seed(5)
    assert np.array_equal(a, init.normal_(latte.empty(10), generator=g).numpy())
    p = nn.Parameter(latte.empty(3, 3))
    init.kaiming_uniform_(p)  # works on parameters that require grad, records nothing
    assert p.grad_fn is None and p.requires_grad


def test_default_layer_inits_follow_torch_distributions():
    latte.manual_seed(4)
    emb = nn.Embedding(500, 64)
    assert abs(emb.weight.detach().numpy().std() - 1) < 0.02
    bn = nn.BatchNorm2d(8)
    assert bn.weight.tolist() == [1.0] * 8 and bn.bias.tolist() == [0.0] * 8
    ln = nn.LayerNorm(4)
    assert ln.weight.tolist() == [1.0] * 4
    assert nn.PReLU().weight.tolist() == [0.25]
