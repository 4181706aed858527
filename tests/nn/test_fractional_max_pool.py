"""Fractional max pooling against PyTorch: with ``_random_samples`` given, values, indices and
gradients are PyTorch's exactly; without, samples come from Latte's seeded generator."""
from __future__ import annotations

import numpy as np
import pytest

import latte
from latte import nn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_cases_equal_torch(d, dtype):
    rng = np.random.default_rng(d * 10 + len(dtype))
    for trial in range(40):
        batched = trial % 4 != 0
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        spatial = tuple(int(v) for v in rng.integers(3, 11, d))
        kernel = tuple(int(rng.integers(1, s + (d == 2))) for s in spatial)
        # the largest output each library accepts (PyTorch's 3-D kernel needs one more input)
        out = tuple(int(rng.integers(1, s - k + 2 - (d == 3))) for s, k in zip(spatial, kernel))
        x = rng.normal(size=((n,) if batched else ()) + (c,) + spatial)
        u = rng.uniform(size=(n if batched else 1, c, d))
        res = []
        for lib in (latte, torch):
            dt = getattr(lib, dtype)
            xt = lib.tensor(x, dtype=dt, requires_grad=True)
            f = getattr(lib.nn.functional, f"fractional_max_pool{d}d")
            o, i = f(xt, kernel, output_size=out, return_indices=True,
                     _random_samples=lib.tensor(u, dtype=dt))
            weights = lib.tensor(np.arange(o.numel(), dtype=np.float64).reshape(o.shape), dtype=dt)
            (g,) = lib.autograd.grad((o * weights).sum(), xt)
            res.append((o.detach().numpy(), i.numpy(), g.numpy(), o.grad_fn.name()))
        (a, ia, ga, na), (b, ib, gb, nb) = res
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_allclose(ga, gb)
        assert na == nb == f"FractionalMaxPool{d}DBackward0" and ia.dtype == np.int64


def test_output_ratio_and_with_indices_forms():
    x = np.random.default_rng(0).normal(size=(2, 3, 9, 10))
    u = np.random.default_rng(1).uniform(size=(2, 3, 2))
    outs = []
    for lib in (latte, torch):
        F = lib.nn.functional
        xt, ut = lib.tensor(x), lib.tensor(u)
        v = F.fractional_max_pool2d(xt, 3, output_ratio=(0.5, 0.4), _random_samples=ut)
        vi = F.fractional_max_pool2d_with_indices(xt, 3, output_ratio=(0.5, 0.4),
                                                  _random_samples=ut)
        outs.append((v.numpy(), vi[0].numpy(), vi[1].numpy()))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    assert outs[0][0].shape == (2, 3, 4, 4)


def test_unseeded_samples_come_from_latte_generator():
    x = latte.randn(2, 3, 9, 9)
    latte.manual_seed(5)
    a, ia = nn.functional.fractional_max_pool2d(x, 2, output_size=4, return_indices=True)
    latte.manual_seed(5)
    b, ib = nn.functional.fractional_max_pool2d(x, 2, output_size=4, return_indices=True)
    assert a.shape == (2, 3, 4, 4) and latte.equal(a, b) and latte.equal(ia, ib)
    latte.manual_seed(5)
    u = latte.rand(2, 3, 2)
    c = nn.functional.fractional_max_pool2d(x, 2, output_size=4, _random_samples=u)
    assert latte.equal(a, c)


def test_modules_match_torch():
    u = np.random.default_rng(2).uniform(size=(1, 2, 3))
    x = np.random.default_rng(3).normal(size=(1, 2, 7, 8, 6))
    res = []
    for lib in (latte, torch):
        pool = lib.nn.FractionalMaxPool3d((2, 3, 2), output_size=(3, 4, 2), return_indices=True,
                                          _random_samples=lib.tensor(u))
        v, i = pool(lib.tensor(x))
        p2 = lib.nn.FractionalMaxPool2d(2, output_ratio=0.5)
        res.append((v.numpy(), i.numpy(), list(pool.state_dict()), repr(pool), repr(p2),
                    p2.output_ratio, pool.kernel_size, list(p2.state_dict())))
    a, b = res
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert a[2:] == b[2:]


@pytest.mark.parametrize("cls,kw", [
    ("FractionalMaxPool2d", {"kernel_size": 2}),
    ("FractionalMaxPool2d", {"kernel_size": 2, "output_size": 2, "output_ratio": 0.5}),
    ("FractionalMaxPool2d", {"kernel_size": 2, "output_ratio": 1.5}),
    ("FractionalMaxPool3d", {"kernel_size": 0, "output_size": 2}),
])
def test_module_errors_match_torch(cls, kw):
    messages = []
    for lib in (latte, torch):
        with pytest.raises(ValueError) as info:
            getattr(lib.nn, cls)(**kw)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("d,shape,kernel,out,samples", [
    (2, (1, 1, 8, 8), 5, (5, 5), (1, 1, 2)),
    (2, (1, 1, 8, 8), 2, (3, 9), (1, 1, 2)),
    (3, (1, 1, 6, 7, 8), 5, (2, 2, 2), (1, 1, 3)),
    (3, (1, 1, 6, 7, 8), 2, (2, 2, 7), (1, 1, 3)),
    (2, (1, 6, 5, 5), 2, (2, 2), (1, 5, 2)),
])
def test_functional_errors_match_torch(d, shape, kernel, out, samples):
    messages = []
    for lib in (latte, torch):
        f = getattr(lib.nn.functional, f"fractional_max_pool{d}d")
        with pytest.raises(RuntimeError) as info:
            f(lib.zeros(*shape), kernel, output_size=out, _random_samples=lib.rand(*samples))
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    with pytest.raises(ValueError, match="either an output_size or an output_ratio"):
        nn.functional.fractional_max_pool2d(latte.zeros(1, 1, 4, 4), 2)
