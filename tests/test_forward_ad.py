"""``latte.autograd.forward_ad``: dual tensors against ``torch.func.jvp`` semantics, the
Forward-mode AD tutorial's usage, and PyTorch's errors."""
import numpy as np
import pytest

import latte
import latte.autograd.forward_ad as fwAD
from latte import nn


def test_make_dual_outside_level_raises():
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(latte.randn(3), latte.randn(3))


def test_unpack_plain_tensor_has_no_tangent():
    x = latte.randn(3)
    out = fwAD.unpack_dual(x)
    assert isinstance(out, fwAD.UnpackedDualTensor) and out.tangent is None and out.primal is x


def test_errors_inside_level():
    x = latte.randn(3)
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(RuntimeError, match="different size"):
            fwAD.make_dual(x, latte.randn(2))
        with pytest.raises(ValueError, match="floating point"):
            fwAD.make_dual(x.long(), x.long())
        d = fwAD.make_dual(x, latte.randn(3))
        with pytest.raises(RuntimeError, match="already has a forward gradient"):
            fwAD.make_dual(d, latte.randn(3))
        with pytest.raises(RuntimeError, match="Nested"):
            with fwAD.dual_level():
                pass


def test_tutorial_basic():
    primal, tangent = latte.randn(10, 10), latte.randn(10, 10)
    plain = latte.randn(10, 10)
    with fwAD.dual_level():
        dual = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual).tangent is tangent
        assert fwAD.unpack_dual(fwAD.make_dual(primal, tangent.T)).tangent is not tangent
        out = dual ** 2 + plain ** 2
        jvp = fwAD.unpack_dual(out).tangent
        assert not fwAD.unpack_dual(out).primal.requires_grad
    np.testing.assert_allclose(jvp.numpy(), (2 * primal * tangent).numpy(), rtol=1e-5)
    assert fwAD.unpack_dual(out).tangent is None


def test_sum_over_several_duals_and_functional_ops():
    x, tx, w, tw = (latte.randn(4, dtype=latte.float64) for _ in range(4))
    with fwAD.dual_level():
        y = latte.nn.functional.gelu(fwAD.make_dual(x, tx) * fwAD.make_dual(w, tw)).sin()
        got = fwAD.unpack_dual(y).tangent
    _, ref = latte.func.jvp(lambda a, b: latte.nn.functional.gelu(a * b).sin(), (x, w), (tx, tw))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-10)


def test_module_parameters_dual_like_tutorial():
    latte.manual_seed(0)
    model, inp = nn.Linear(5, 5), latte.randn(16, 5)
    params = dict(model.named_parameters())
    tangents = {name: latte.rand_like(p) for name, p in params.items()}
    expected = inp @ tangents["weight"].T + tangents["bias"]
    with fwAD.dual_level():
        dual_params = {name: fwAD.make_dual(p, tangents[name]) for name, p in params.items()}
        jvp_fc = fwAD.unpack_dual(latte.func.functional_call(model, dual_params, inp)).tangent
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        unpacked = fwAD.unpack_dual(model(inp))
    np.testing.assert_allclose(jvp_fc.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(unpacked.tangent.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    # a parameter's dual stays in the reverse-mode graph, as PyTorch's
    assert unpacked.primal.requires_grad


def test_matches_torch():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfwAD
    rng = np.random.default_rng(0)
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    with tfwAD.dual_level():
        ref = tfwAD.unpack_dual(torch.tanh(tfwAD.make_dual(torch.tensor(x), torch.tensor(t)))
                                .logsumexp(1)).tangent
    with fwAD.dual_level():
        got = fwAD.unpack_dual(latte.tanh(fwAD.make_dual(latte.tensor(x), latte.tensor(t)))
                               .logsumexp(1)).tangent
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-10)
