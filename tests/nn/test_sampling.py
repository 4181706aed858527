"""F.interpolate and the Upsample layers, against PyTorch's index formulas and gradcheck."""
import numpy as np
import pytest

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck

RNG = np.random.default_rng(2)


def _randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _parity(latte_fn, torch_fn, x):
    torch = pytest.importorskip("torch")
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo, to = latte_fn(lx), torch_fn(tx)
    assert tuple(lo.shape) == tuple(to.shape)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), atol=1e-5, rtol=1e-5)
    g = _randn(*to.shape)
    lo.backward(latte.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), atol=1e-5, rtol=1e-5)


RESIZES = [
    {"scale_factor": 2}, {"scale_factor": 3}, {"size": (5, 13)}, {"size": (3, 3)},
    {"scale_factor": (1.7, 0.6)}, {"scale_factor": 0.5}, {"size": (12, 7)},
    {"scale_factor": 2.5, "recompute_scale_factor": True}, {"size": 1},
]
MODES = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True),
         ("bicubic", False), ("bicubic", True), ("area", None)]


@pytest.mark.parametrize("resize", RESIZES)
@pytest.mark.parametrize("mode,align_corners", MODES)
def test_interpolate_2d_matches_torch(resize, mode, align_corners):
    torch = pytest.importorskip("torch")
    kwargs = dict(resize, mode=mode, align_corners=align_corners)
    _parity(lambda x: F.interpolate(x, **kwargs),
            lambda x: torch.nn.functional.interpolate(x, **kwargs), _randn(2, 3, 6, 7))


@pytest.mark.parametrize("mode,align_corners", [("nearest", None), ("linear", False),
                                                ("linear", True), ("area", None)])
@pytest.mark.parametrize("resize", [{"scale_factor": 2}, {"size": 7}, {"scale_factor": 0.75}])
def test_interpolate_1d_matches_torch(resize, mode, align_corners):
    torch = pytest.importorskip("torch")
    kwargs = dict(resize, mode=mode, align_corners=align_corners)
    _parity(lambda x: F.interpolate(x, **kwargs),
            lambda x: torch.nn.functional.interpolate(x, **kwargs), _randn(2, 3, 10))


def test_interpolate_identity_returns_a_new_tensor():
    x = latte.randn(1, 1, 4, 4)
    y = F.interpolate(x, size=(4, 4))
    y.add_(1)
    assert not latte.equal(x, y)


@pytest.mark.parametrize("fn", [
    lambda x: F.interpolate(x, scale_factor=2),
    lambda x: F.interpolate(x, size=(3, 7), mode="nearest"),
    lambda x: F.interpolate(x, size=(7, 3), mode="bilinear"),
    lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=True),
    lambda x: F.interpolate(x, size=(9, 3), mode="bicubic"),
    lambda x: F.interpolate(x, scale_factor=1.5, mode="bicubic", align_corners=True),
])
def test_gradcheck_interpolate(fn):
    x = latte.tensor(_randn(1, 2, 4, 5, dtype=np.float64), requires_grad=True)
    assert gradcheck(fn, [x])


def test_interpolate_double_backward():
    """Interpolation is linear and built from differentiable ops: second derivatives work."""
    def grads(x):
        with latte.enable_grad():
            y = F.interpolate(x, size=(7, 3), mode="bilinear")
            return latte.autograd.grad((y * y).sum(), [x], create_graph=True)

    x = latte.tensor(_randn(1, 1, 4, 5, dtype=np.float64), requires_grad=True)
    assert gradcheck(grads, [x])


@pytest.mark.parametrize("name,kwargs", [
    ("Upsample", {"scale_factor": 2}),
    ("Upsample", {"size": (3, 4), "mode": "bilinear"}),
    ("Upsample", {"scale_factor": (2, 1.5), "mode": "bilinear", "align_corners": True}),
    ("UpsamplingNearest2d", {"scale_factor": 2}),
    ("UpsamplingNearest2d", {"size": 5}),
    ("UpsamplingBilinear2d", {"scale_factor": 2}),
])
def test_modules_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(ours) == repr(theirs)
    _parity(ours, theirs, _randn(2, 3, 4, 6))


def test_errors():
    x = latte.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(x, size=2, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor should be defined"):
        F.interpolate(x)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D"):
        F.interpolate(latte.randn(1, 1, 4), scale_factor=2, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="mode 'lanczos' is not supported"):
        F.interpolate(x, scale_factor=2, mode="lanczos")
    with pytest.raises(NotImplementedError, match="Got 5D input, but bicubic mode needs 4D"):
        F.interpolate(latte.randn(1, 1, 2, 2, 2), scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="same number of spatial dimensions"):
        F.interpolate(x, size=(2, 2, 2))


def test_bicubic_weights_are_keys_cubic_and_overshoot_like_pytorch():
    # upsampling a step by 2: Keys' a = -0.75 kernel rings past the input's range
    x = latte.tensor([[[[0.0, 0.0, 1.0, 1.0]]]])
    y = F.interpolate(x, size=(1, 8), mode="bicubic").reshape(-1)
    np.testing.assert_allclose(y.numpy(), [0.0, -0.03515625, -0.10546875, 0.2265625, 0.7734375,
                                           1.10546875, 1.03515625, 1.0], atol=1e-7)
