"""Activations: module and functional parity with PyTorch, float64 gradcheck, repr."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_helpers import close, f64, run_pair

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck, gradgradcheck

# (module name, constructor args); each must have a twin in torch.nn with the same arguments
MODULES = [
    ("ReLU", ()), ("ReLU6", ()), ("LeakyReLU", ()), ("LeakyReLU", (0.2,)), ("PReLU", ()),
    ("PReLU", (6,)), ("ELU", ()), ("ELU", (0.5,)), ("SELU", ()), ("CELU", (0.7,)), ("GELU", ()),
    ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()), ("Tanh", ()),
    ("Softplus", ()), ("Softplus", (2.0, 1.0)), ("Softsign", ()), ("Tanhshrink", ()),
    ("Hardtanh", ()), ("Hardtanh", (-2.0, 0.5)), ("Hardsigmoid", ()), ("Hardswish", ()),
    ("LogSigmoid", ()), ("Softmax", (1,)), ("Softmax", (-1,)), ("LogSoftmax", (1,)),
    ("Softmin", (1,)), ("GLU", (1,)), ("Threshold", (0.1, -2.0)), ("Hardshrink", ()),
    ("Softshrink", (0.3,)),
]


def _input(seed=0, shape=(4, 6, 5)):
    # values away from the kinks (0, +-1, +-3, thresholds) so finite differences are smooth
    x = np.random.default_rng(seed).standard_normal(shape) * 2.5
    x[np.abs(x) < 0.05] += 0.2
    return x


@pytest.mark.parametrize("name,args", MODULES, ids=[f"{n}{a}" for n, a in MODULES])
def test_module_parity_and_repr(name, args):
    torch = pytest.importorskip("torch")
    lmod, tmod = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    x = _input().astype(np.float32)
    run_pair(torch, lmod, tmod, x, atol=1e-5, rtol=1e-4)
    assert repr(lmod) == repr(tmod)


FUNCTIONS = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.1}), ("elu", {}),
    ("selu", {}), ("celu", {"alpha": 2.0}), ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}), ("mish", {}), ("sigmoid", {}), ("tanh", {}), ("softplus", {"beta": 0.5}),
    ("softsign", {}), ("tanhshrink", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("hardsigmoid", {}), ("hardswish", {}), ("logsigmoid", {}), ("softmax", {"dim": 0}),
    ("log_softmax", {"dim": -1}), ("softmin", {"dim": 1}), ("glu", {"dim": 0}),
    ("threshold", {"threshold": 0.5, "value": 0.0}), ("hardshrink", {}), ("softshrink", {}),
]


@pytest.mark.parametrize("name,kwargs", FUNCTIONS, ids=[f"{n}{k}" for n, k in FUNCTIONS])
def test_functional_gradcheck_float64(name, kwargs):
    fn = getattr(F, name)
    x = latte.tensor(_input(1, (4, 3)), dtype=latte.float64, requires_grad=True)
    assert gradcheck(lambda t: fn(t, **kwargs), (x,))


@pytest.mark.parametrize("name,kwargs", FUNCTIONS, ids=[f"{n}{k}" for n, k in FUNCTIONS])
def test_functional_parity(name, kwargs):
    torch = pytest.importorskip("torch")
    x = _input(2, (4, 6)).astype(np.float64)
    close(getattr(F, name)(latte.tensor(x), **kwargs),
          getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs), 1e-10, 1e-10)


def test_smooth_activations_double_backward():
    for fn in (F.gelu, F.silu, F.elu, F.softplus, F.mish, F.logsigmoid):
        assert gradgradcheck(fn, (f64(3, 2, scale=2.0),))


def test_prelu_gradcheck_weight():
    x = latte.tensor(_input(3, (2, 3, 4)), dtype=latte.float64, requires_grad=True)
    assert gradcheck(F.prelu, (x, f64(3, seed=4)))
    assert gradcheck(F.prelu, (x, f64(1, seed=5)))
    with pytest.raises(RuntimeError, match="channel size"):
        F.prelu(latte.zeros(2, 3), latte.zeros(4))


def test_extreme_inputs_stay_finite():
    x = latte.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    for fn in (F.softplus, F.logsigmoid, F.elu, F.selu, F.celu, F.silu, F.mish, F.gelu,
               F.sigmoid):
        y = fn(x)
        y.sum().backward()
        assert np.isfinite(y.detach().numpy()).all(), fn.__name__
        assert np.isfinite(x.grad.numpy()).all(), fn.__name__
        x.grad = None


@pytest.mark.parametrize("inplace", [False, True])
def test_relu_gradient_at_nan_inf_and_zero_follows_pytorch(inplace):
    # PyTorch's threshold backward is `out <= 0 ? 0 : grad`: a NaN output passes its gradient
    values = [math.nan, -math.inf, -1.0, -0.0, 0.0, 2.0, math.inf]
    x = latte.tensor(values, requires_grad=True)
    F.relu(x * 1.0, inplace=inplace).backward(latte.full((7,), 3.0))
    assert x.grad.tolist() == [3.0, 0.0, 0.0, 0.0, 0.0, 3.0, 3.0]
    torch = pytest.importorskip("torch")
    t = torch.tensor(values, requires_grad=True)
    torch.nn.functional.relu(t * 1.0, inplace=inplace).backward(torch.full((7,), 3.0))
    assert t.grad.tolist() == x.grad.tolist()


def test_erf_accuracy():
    xs = np.linspace(-7, 7, 2001)
    got = F.erf(latte.tensor(xs, dtype=latte.float64)).numpy()
    want = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(got, want, atol=2e-15)


def test_inplace_variants_write_into_input():
    x = latte.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and x.tolist() == [0.0, 2.0]
    y = latte.tensor([-1.0, 3.0])
    nn.LeakyReLU(0.5, inplace=True)(y)
    assert y.tolist() == [-0.5, 3.0]
    z = latte.tensor([-3.0, 9.0])
    nn.ReLU6(inplace=True)(z)
    assert z.tolist() == [0.0, 6.0]


@pytest.mark.parametrize("name,args", [
    ("leaky_relu", (0.2,)), ("elu", ()), ("selu", ()), ("celu", ()), ("silu", ()), ("mish", ()),
    ("hardsigmoid", ()), ("hardswish", ()), ("threshold", (0.1, -1.0)), ("relu6", ())])
def test_inplace_on_intermediate_backpropagates_like_torch(name, args):
    # e.g. DCGAN's Conv2d -> BatchNorm2d -> LeakyReLU(0.2, inplace=True): the write must not
    # invalidate what the activation's own graph saved
    torch = pytest.importorskip("torch")
    x = _input(7, (3, 4)).astype(np.float64)
    a = latte.tensor(x, requires_grad=True)
    mid = a * 2.0
    out = getattr(F, name)(mid, *args, inplace=True)
    assert out is mid
    (out * out).sum().backward()
    b = torch.tensor(x, requires_grad=True)
    out_t = getattr(torch.nn.functional, name)(b * 2.0, *args, inplace=True)
    (out_t * out_t).sum().backward()
    close(out.detach(), out_t.detach(), 1e-12, 1e-12)
    close(a.grad, b.grad, 1e-7, 1e-12)  # torch's float64 hardsigmoid backward uses float32 1/6


def test_softmax_default_dim_like_torch():
    torch = pytest.importorskip("torch")
    x = _input(4, (2, 3, 4)).astype(np.float64)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = torch.nn.functional.softmax(torch.tensor(x))
    close(F.softmax(latte.tensor(x)), want, 1e-12, 1e-12)


# the kinks (0, +-0.5, +-1, +-3, 6), the infinities and NaN: PyTorch's values and gradients there
SPECIAL = [-math.inf, -6.0, -3.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 3.0, 6.0, math.inf, math.nan]


@pytest.mark.parametrize("name,kwargs", FUNCTIONS, ids=[f"{n}{k}" for n, k in FUNCTIONS])
def test_functional_at_kinks_and_non_finite_inputs_follows_pytorch(name, kwargs):
    torch = pytest.importorskip("torch")
    if name in ("softmax", "log_softmax", "softmin", "glu"):
        pytest.skip("a whole-row function: NaN and inf spread over the row")
    upstream = np.arange(1.0, len(SPECIAL) + 1)
    x = latte.tensor(SPECIAL, dtype=latte.float64, requires_grad=True)
    t = torch.tensor(SPECIAL, dtype=torch.float64, requires_grad=True)
    y = getattr(F, name)(x, **kwargs)
    u = getattr(torch.nn.functional, name)(t, **kwargs)
    y.backward(latte.tensor(upstream))
    u.backward(torch.tensor(upstream))
    # NaN and inf must match where they are, the finite values to rounding (PyTorch's float64
    # hardsigmoid slope is float32's 1/6)
    np.testing.assert_allclose(y.detach().numpy(), u.detach().numpy(), rtol=1e-7, atol=1e-15)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-15)


def test_hard_activations_gradients_at_plus_minus_three():
    # PyTorch's: hardswish 0 at -3 and 1 at 3; hardsigmoid 0 at both (its slope is 1/6 inside)
    x = latte.tensor([-3.0, 3.0], requires_grad=True)
    F.hardswish(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    x.grad = None
    F.hardsigmoid(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
