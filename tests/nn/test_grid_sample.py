"""F.affine_grid and F.grid_sample against PyTorch (values and gradients in input, grid and
theta, every mode / padding / align_corners, points off the image), float64 gradcheck, and a
spatial transformer network (the PyTorch tutorial's) forward and backward."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from _nn_helpers import close, load_from_torch

import latte
import latte.nn as lnn
import latte.nn.functional as F
from latte.autograd import gradcheck, gradgradcheck

TF = torch.nn.functional
RNG = np.random.default_rng(0)
MODES = ["bilinear", "nearest"]
PADDINGS = ["zeros", "border", "reflection"]


def _pair(x, **kw):
    return latte.tensor(x, **kw), torch.tensor(x, **kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
@pytest.mark.parametrize("mode", MODES)
def test_grid_sample_matches_torch(mode, padding_mode, align_corners, dtype):
    x = RNG.standard_normal((2, 3, 5, 6)).astype(dtype)
    grid = RNG.uniform(-2.5, 2.5, (2, 4, 7, 2)).astype(dtype)  # many points off the image
    lx, tx = _pair(x, requires_grad=True)
    lg, tg = _pair(grid, requires_grad=True)
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    lout, tout = F.grid_sample(lx, lg, **kw), TF.grid_sample(tx, tg, **kw)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert lout.dtype == (latte.float32 if dtype == np.float32 else latte.float64)
    close(lout, tout, tol, tol, "output")
    up = RNG.standard_normal(tuple(tout.shape)).astype(dtype)
    lout.backward(latte.tensor(up))
    tout.backward(torch.tensor(up))
    close(lx.grad, tx.grad, tol, tol, "input grad")
    close(lg.grad, tg.grad, tol, 10 * tol, "grid grad")  # nearest: zeros, as torch


def test_grid_sample_default_and_reflection_far_outside():
    x = RNG.standard_normal((1, 2, 4, 3))
    grid = np.array([[[[-7.3, 5.1], [9.9, -3.2], [0.3, 0.2]]]])
    for pad in PADDINGS:
        got = F.grid_sample(latte.tensor(x), latte.tensor(grid), padding_mode=pad)
        close(got, TF.grid_sample(torch.tensor(x), torch.tensor(grid), padding_mode=pad,
                                  align_corners=False), 1e-12, 1e-12, pad)


def test_grid_sample_single_pixel_reflection():
    x = RNG.standard_normal((1, 1, 1, 4))
    grid = RNG.uniform(-2, 2, (1, 3, 3, 2))
    for ac in (False, True):
        got = F.grid_sample(latte.tensor(x), latte.tensor(grid), padding_mode="reflection",
                            align_corners=ac)
        close(got, TF.grid_sample(torch.tensor(x), torch.tensor(grid),
                                  padding_mode="reflection", align_corners=ac), 1e-12, 1e-12)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", PADDINGS)
def test_gradcheck_grid_sample(padding_mode, align_corners):
    x = latte.tensor(RNG.standard_normal((1, 2, 4, 5)), requires_grad=True)
    grid = latte.tensor(RNG.uniform(-1.4, 1.4, (1, 3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode,
                                                align_corners=align_corners), [x, grid])


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_matches_torch(align_corners):
    theta = RNG.standard_normal((3, 2, 3))
    lt, tt = _pair(theta, requires_grad=True)
    for size in [(3, 2, 4, 5), (3, 1, 1, 6)]:
        lout = F.affine_grid(lt, size, align_corners=align_corners)
        with pytest.warns(UserWarning) if align_corners and 1 in size[2:] else _nothing():
            tout = TF.affine_grid(tt, size, align_corners=align_corners)
        close(lout, tout, 1e-12, 1e-12, f"grid {size}")
        up = RNG.standard_normal(tuple(tout.shape))
        lt.grad = None
        tt.grad = None
        lout.backward(latte.tensor(up))
        tout.backward(torch.tensor(up))
        close(lt.grad, tt.grad, 1e-12, 1e-12, "theta grad")
    assert gradcheck(lambda t: F.affine_grid(t, (3, 1, 3, 4), align_corners=align_corners),
                     [latte.tensor(theta, requires_grad=True)])


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_bad_arguments_raise():
    x = latte.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(latte.randn(2, 3, 3), (2, 3, 4, 4))
    with pytest.raises(RuntimeError, match=r"\[2, 3, 4, 4\].*\[1, 4, 4, 2\]"):
        F.grid_sample(x, latte.randn(1, 4, 4, 2))
    with pytest.raises(ValueError, match="'bilinear', 'nearest' or 'bicubic'.*lanczos"):
        F.grid_sample(x, latte.randn(2, 4, 4, 2), mode="lanczos")
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, latte.randn(2, 4, 4, 2), padding_mode="wrap")


def _stn(nn):
    """The spatial transformer of PyTorch's tutorial, shrunk: localisation net, affine grid,
    sampling, then a small classifier."""

    class STN(nn.Module):
        def __init__(self):
            super().__init__()
            self.localization = nn.Sequential(
                nn.Conv2d(1, 4, kernel_size=5), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                nn.Conv2d(4, 6, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(6 * 5 * 5, 16), nn.ReLU(True),
                                        nn.Linear(16, 6))
            self.fc = nn.Linear(28 * 28, 10)

        def forward(self, x, functional):
            xs = self.localization(x).view(-1, 6 * 5 * 5)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            grid = functional.affine_grid(theta, x.size(), align_corners=False)
            x = functional.grid_sample(x, grid, align_corners=False)
            return functional.log_softmax(self.fc(x.view(-1, 28 * 28)), dim=1)

    return STN()


def test_spatial_transformer_network_matches_torch():
    torch.manual_seed(0)
    tnet, lnet = _stn(torch.nn), _stn(lnn)
    with torch.no_grad():  # the tutorial's identity start, perturbed off the pixel grid
        tnet.fc_loc[2].weight.mul_(0.1)
        tnet.fc_loc[2].bias.copy_(torch.tensor([1.0, 0, 0, 0, 1, 0], dtype=torch.float32)
                                  + 0.05 * torch.randn(6))
    load_from_torch(lnet, tnet)
    assert list(lnet.state_dict()) == list(tnet.state_dict())
    x = RNG.standard_normal((4, 1, 28, 28)).astype(np.float32)
    target = np.array([1, 7, 3, 0])
    lout = lnet(latte.tensor(x), F)
    tout = tnet(torch.tensor(x), TF)
    close(lout, tout, 1e-4, 1e-4, "log-probs")
    F.nll_loss(lout, latte.tensor(target)).backward()
    TF.nll_loss(tout, torch.tensor(target)).backward()
    tparams = dict(tnet.named_parameters())
    for name, p in lnet.named_parameters():
        assert p.grad is not None, name
        close(p.grad, tparams[name].grad, 1e-3, 1e-4, name)


@pytest.mark.parametrize("padding_mode,align_corners",
                         [("zeros", False), ("border", True), ("reflection", False)])
def test_gradgradcheck_bilinear(padding_mode, align_corners):
    # the fused op's create_graph backward, written with differentiable ops
    x = latte.tensor(RNG.standard_normal((2, 1, 3, 3)), requires_grad=True)
    grid = latte.tensor(RNG.uniform(-1.3, 1.3, (2, 1, 2, 2)), requires_grad=True)
    assert gradgradcheck(lambda a, g: F.grid_sample(a, g, padding_mode=padding_mode,
                                                    align_corners=align_corners), [x, grid])


def test_bilinear_node_name_and_layout_match_torch():
    x, tx = _pair(RNG.standard_normal((2, 3, 5, 4)), requires_grad=True)
    grid, tgrid = _pair(RNG.uniform(-1.2, 1.2, (2, 6, 7, 2)))
    out, tout = F.grid_sample(x, grid, align_corners=False), TF.grid_sample(tx, tgrid,
                                                                            align_corners=False)
    assert out.grad_fn.name() == tout.grad_fn.name()
    assert out.is_contiguous() and out.view(2, -1).shape == tout.view(2, -1).shape
