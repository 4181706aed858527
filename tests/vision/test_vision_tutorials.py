"""The pieces PyTorch's vision tutorials lean on: spatial transformers (grid_sample bicubic,
volumes, non-finite grids), FGSM, neural style transfer with LBFGS, fast neural style's antialiased
resize, transfer learning with named weights (VGG-19, weights enums), and make_grid.

Hard-coded expectations run without PyTorch; the parity tests skip when it is missing."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck
from latte.vision import models
from latte.vision.transforms._presets import ImageClassification
from latte.vision.utils import make_grid

RNG = np.random.default_rng(0)
PADDINGS = ["zeros", "border", "reflection"]

# A 3x4 image 0..11 sampled at NaN, +-inf and huge points; PyTorch 2.x CPU's outputs.
IMAGE = np.arange(12.0).reshape(1, 1, 3, 4)
ODD_GRID = np.array([[[[np.nan, 0.1], [np.inf, 0.3], [-5e6, 1e7], [-np.inf, 0.0],
                       [0.2, np.nan], [3.0, 0.0]]]])
ODD_EXPECTED = {  # (padding, mode, align_corners) -> output
    ("zeros", "bilinear", False): [np.nan, np.nan, 0, np.nan, np.nan, 0],
    ("zeros", "nearest", True): [0, 0, 0, 0, 0, 0],
    ("border", "bilinear", True): [4.4, 8.2, 8, 4, 1.8, 7],
    ("border", "bilinear", False): [4.6, 8.8, 8, 4, 1.9, 7],
    ("border", "nearest", False): [4, 7, 8, 4, 2, 7],
    ("reflection", "bilinear", True): [4.4, 5.2, 5.5, 4, 1.8, 4],
    ("reflection", "nearest", True): [4, 4, 6, 4, 2, 4],
    ("reflection", "bicubic", False): [np.nan, np.nan, 5.5, np.nan, np.nan, 3.8125],
    ("border", "bicubic", True): [np.nan, np.nan, 8, np.nan, np.nan, 7],
}


@pytest.mark.parametrize("key", list(ODD_EXPECTED))
def test_grid_sample_non_finite_points_follow_pytorch(key):
    padding, mode, align = key
    with np.errstate(invalid="ignore"):
        out = F.grid_sample(latte.tensor(IMAGE), latte.tensor(ODD_GRID), mode=mode,
                            padding_mode=padding, align_corners=align)
    np.testing.assert_allclose(out.numpy().ravel(), ODD_EXPECTED[key], atol=1e-12)


def test_grid_sample_bicubic_hand_values():
    # x^3 along a row of 4: halfway between pixels 1 and 2 Keys' weights (a = -0.75) are
    # (-3/32, 19/32, 19/32, -3/32), so 19/32 * (1 + 8) - 3/32 * 27 = 2.8125
    row = latte.tensor([[[[0.0, 1.0, 8.0, 27.0]]]])
    grid = latte.tensor([[[[0.0, 0.0], [-1.0, 0.0], [1 / 3, 0.0]]]])
    out = F.grid_sample(row, grid, mode="bicubic", align_corners=True).numpy().ravel()
    np.testing.assert_allclose(out, [2.8125, 0.0, 8.0], atol=1e-12)


@pytest.mark.parametrize("padding", PADDINGS)
def test_grid_sample_bicubic_gradcheck(padding):
    x = latte.tensor(RNG.standard_normal((1, 2, 4, 5)), requires_grad=True)
    g = latte.tensor(RNG.uniform(-1.2, 1.2, (1, 3, 2, 2)), requires_grad=True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, mode="bicubic", padding_mode=padding,
                                                align_corners=False), (x, g))


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_volumetric_identity_transform_returns_the_volume(mode):
    x = latte.tensor(RNG.standard_normal((2, 3, 4, 5, 6)))
    theta = latte.tensor(np.tile(np.eye(3, 4), (2, 1, 1)))
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    assert tuple(grid.shape) == (2, 4, 5, 6, 3)
    # x runs along W, y along H, z along D: pixel centres at (2k + 1) / n - 1
    np.testing.assert_allclose(grid.numpy()[0, 1, 2, :, 0], (2 * np.arange(6) + 1) / 6 - 1)
    np.testing.assert_allclose(grid.numpy()[0, :, 2, 3, 2], (2 * np.arange(4) + 1) / 4 - 1)
    out = F.grid_sample(x, grid, mode=mode, align_corners=False)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-12)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
        F.grid_sample(x, grid, mode="bicubic", align_corners=False)
    with pytest.raises(ValueError, match="Nx3x4"):
        F.affine_grid(latte.randn(2, 2, 3), x.shape, align_corners=False)


@pytest.mark.parametrize("padding", PADDINGS)
def test_volumetric_grid_sample_gradcheck(padding):
    x = latte.tensor(RNG.standard_normal((1, 2, 3, 3, 4)), requires_grad=True)
    g = latte.tensor(RNG.uniform(-1.2, 1.2, (1, 2, 2, 1, 3)), requires_grad=True)
    assert gradcheck(lambda a, b: F.grid_sample(a, b, padding_mode=padding,
                                                align_corners=True), (x, g))


def test_interpolate_antialias_hand_values():
    # downscale 4 -> 2: the triangle filter widened to 2 pixels, clipped and renormalised
    x = latte.tensor([[[[0.0, 1.0, 2.0, 3.0]]]], requires_grad=True)
    y = F.interpolate(x, size=(1, 2), mode="bilinear", antialias=True)
    np.testing.assert_allclose(y.detach().numpy().ravel(), [1.25 / 1.75, 4 / 1.75])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy().ravel(),
                               np.array([0.75, 0.75 + 0.25, 0.25 + 0.75, 0.75]) / 1.75)
    with pytest.raises(NotImplementedError, match="Anti-alias"):
        F.interpolate(latte.randn(1, 1, 4), size=2, mode="linear", antialias=True)


def test_make_grid_reads_3d_as_one_image_and_keeps_dtype():
    five = latte.rand(5, 4, 6)  # torchvision: one 5-channel image, returned as is
    np.testing.assert_array_equal(make_grid(five).numpy(), five.numpy())
    grey = make_grid(latte.ones(1, 2, 2) * 0.5)
    assert tuple(grey.shape) == (3, 2, 2) and (grey.numpy() == 0.5).all()
    imgs = latte.tensor(np.full((2, 3, 2, 2), 200, np.uint8))
    grid = make_grid(imgs, padding=1, pad_value=7)
    assert grid.dtype == latte.uint8 and tuple(grid.shape) == (3, 4, 7)
    assert grid.numpy()[0, 1, 1] == 200 and grid.numpy()[0, 0, 0] == 7
    assert make_grid(imgs, normalize=True).dtype == latte.float32


def test_vgg19_and_weights_enums():
    assert models.list_models()[-5:-3] == ["vgg19", "vgg19_bn"]
    vgg = models.vgg19()
    assert sum(p.numel() for p in vgg.parameters()) == 143_667_240
    convs = [m for m in vgg.features if isinstance(m, nn.Conv2d)]
    assert len(convs) == 16 and len(vgg.features) == 37
    w = models.VGG19_Weights.DEFAULT
    assert w is models.VGG19_Weights.IMAGENET1K_V1 and str(w) == "VGG19_Weights.IMAGENET1K_V1"
    assert w.url == "https://download.pytorch.org/models/vgg19-dcbb9e9d.pth"
    assert models.get_weight("ResNet50_Weights.DEFAULT") is models.ResNet50_Weights.IMAGENET1K_V2
    assert [m.name for m in models.ResNet18_Weights] == ["IMAGENET1K_V1"]
    with pytest.raises(ValueError, match="unknown weights"):
        models.get_weight("ResNet18_Weights.NOPE")
    assert models.get_model_weights("vgg19") is models.VGG19_Weights
    assert models.get_model_weights(models.resnet50) is models.ResNet50_Weights
    with pytest.raises(ValueError, match="no pretrained weights.*'lenet'"):
        models.get_model_weights("lenet")


def test_weights_enum_loads_the_named_file(tmp_path, monkeypatch):
    monkeypatch.setenv("LATTE_HOME", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    (tmp_path / "checkpoints").mkdir()
    source = models.resnet18()
    latte.save(source.state_dict(), tmp_path / "checkpoints" / "resnet18-f37072fd.pth")
    model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
    np.testing.assert_array_equal(model.fc.weight.detach().numpy(),
                                  source.fc.weight.detach().numpy())
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        legacy = models.resnet18(pretrained=True)
    np.testing.assert_array_equal(legacy.conv1.weight.detach().numpy(),
                                  source.conv1.weight.detach().numpy())
    with pytest.warns(UserWarning, match="'pretrained' is deprecated"):
        models.resnet18(pretrained=False)


def test_weights_transforms_preset():
    preset = models.ResNet18_Weights.DEFAULT.transforms()
    assert isinstance(preset, ImageClassification)
    assert preset.resize_size == [256] and models.ResNet50_Weights.DEFAULT.transforms(
    ).resize_size == [232]
    img = latte.tensor(np.full((3, 300, 400), 128, np.uint8))
    out = preset(img)
    assert out.dtype == latte.float32 and tuple(out.shape) == (3, 224, 224)
    mean, std = np.array(preset.mean), np.array(preset.std)
    np.testing.assert_allclose(out.numpy()[:, 100, 100], (128 / 255 - mean) / std, rtol=1e-5)
    Image = pytest.importorskip("PIL.Image")
    pil = Image.fromarray(np.full((300, 400, 3), 128, np.uint8))
    np.testing.assert_allclose(preset(pil).numpy(), out.numpy(), rtol=1e-5)


def _gram(x):
    a, b, c, d = x.size()
    features = x.view(a * b, c * d)
    return latte.mm(features, features.t()).div(a * b * c * d)


def test_style_transfer_loop_clamps_and_decreases():
    """The neural style tutorial's optimisation: LBFGS on the image, clamp_ under no_grad."""
    latte.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True),
                        nn.MaxPool2d(2), nn.Conv2d(4, 4, 3, padding=1))
    model = nn.Sequential()
    for i, layer in enumerate(cnn.children()):
        model.add_module(f"layer_{i}", nn.ReLU(inplace=False) if isinstance(layer, nn.ReLU)
                         else layer)
    model = model[:3]
    assert isinstance(model, nn.Sequential) and list(model._modules) == [
        "layer_0", "layer_1", "layer_2"]
    model.requires_grad_(False)
    style = latte.rand(1, 3, 8, 8)
    target = _gram(model(style)).detach()
    img = latte.rand(1, 3, 8, 8).requires_grad_(True)
    optimizer = latte.optim.LBFGS([img])
    losses = []

    def closure():
        with latte.no_grad():
            img.clamp_(0, 1)
        optimizer.zero_grad()
        loss = F.mse_loss(_gram(model(img)), target) * 1e4
        loss.backward()
        losses.append(loss.item())
        return loss

    for _ in range(3):
        optimizer.step(closure)
    with latte.no_grad():
        img.clamp_(0, 1)
    assert losses[-1] < losses[0] * 0.1
    assert img.requires_grad and 0 <= img.min().item() and img.max().item() <= 1
    assert all(p.grad is None for p in model.parameters())


# ---- parity with PyTorch -------------------------------------------------------------------

@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
def test_grid_sample_bicubic_matches_torch(padding, align):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 5, 6))
    g = RNG.uniform(-1.3, 1.3, (2, 4, 7, 2))
    w = RNG.standard_normal((2, 3, 4, 7))
    got, want = [], []
    for lib, out in ((latte, got), (torch, want)):
        xi = lib.tensor(x, requires_grad=True)
        gi = lib.tensor(g, requires_grad=True)
        y = lib.nn.functional.grid_sample(xi, gi, mode="bicubic", padding_mode=padding,
                                          align_corners=align)
        (y * lib.tensor(w)).sum().backward()
        out += [y.detach().numpy(), xi.grad.numpy(), gi.grad.numpy()]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("padding", PADDINGS)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_volumetric_stn_matches_torch(mode, padding, align):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 4, 5, 3))
    theta = np.eye(3, 4)[None] + RNG.normal(0, 0.3, (2, 3, 4))
    w = RNG.standard_normal((2, 3, 3, 4, 5))
    got, want = [], []
    for lib, out in ((latte, got), (torch, want)):
        xi = lib.tensor(x, requires_grad=True)
        ti = lib.tensor(theta, requires_grad=True)
        grid = lib.nn.functional.affine_grid(ti, [2, 3, 3, 4, 5], align_corners=align)
        y = lib.nn.functional.grid_sample(xi, grid, mode=mode, padding_mode=padding,
                                          align_corners=align)
        (y * lib.tensor(w)).sum().backward()
        out += [y.detach().numpy(), xi.grad.numpy(), ti.grad.numpy()]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-11)


@pytest.mark.parametrize("kwargs", [dict(size=(5, 7)), dict(size=(30, 40)),
                                    dict(scale_factor=0.37), dict(scale_factor=(0.5, 2.3)),
                                    dict(scale_factor=0.3, recompute_scale_factor=True)])
@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
def test_interpolate_antialias_matches_torch(mode, align, kwargs):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 17, 23))
    got, want = [], []
    for lib, out in ((latte, got), (torch, want)):
        xi = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.interpolate(xi, mode=mode, align_corners=align, antialias=True,
                                          **kwargs)
        (y * y).sum().backward()
        out += [y.detach().numpy(), xi.grad.numpy()]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-11)


def _fgsm(lib, model, data, target, epsilon):
    """The FGSM tutorial's attack step: gradient sign of the loss in the input."""
    data.requires_grad = True
    output = model(data)
    init_pred = output.max(1, keepdim=True)[1]
    loss = lib.nn.functional.nll_loss(output, target)
    model.zero_grad()
    loss.backward()
    perturbed = lib.clamp(data + epsilon * data.grad.data.sign(), 0, 1)
    return init_pred, perturbed, model(perturbed)


def _fgsm_net(lib):
    nn_ = lib.nn
    return nn_.Sequential(nn_.Conv2d(1, 4, 3), nn_.ReLU(), nn_.MaxPool2d(2), nn_.Flatten(),
                          nn_.Linear(4 * 5 * 5, 10), nn_.LogSoftmax(dim=1))


def test_fgsm_matches_torch():
    torch = pytest.importorskip("torch")
    tnet = _fgsm_net(torch).eval()
    lnet = _fgsm_net(latte).eval()
    lnet.load_state_dict({k: latte.tensor(v.numpy()) for k, v in tnet.state_dict().items()})
    x = RNG.random((3, 1, 12, 12)).astype(np.float32)
    y = np.array([1, 4, 7])
    tp, tx, to = _fgsm(torch, tnet, torch.tensor(x), torch.tensor(y), 0.1)
    lp, lx, lo = _fgsm(latte, lnet, latte.tensor(x), latte.tensor(y), 0.1)
    np.testing.assert_array_equal(lp.numpy(), tp.numpy())
    np.testing.assert_allclose(lx.detach().numpy(), tx.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), atol=1e-5)


def test_vgg19_state_dict_keys_match_torchvision_layout():
    # torchvision's vgg19 features: 16 convs at these indices, classifier 0/3/6
    keys = list(models.vgg19().state_dict())
    conv_idx = sorted({int(k.split(".")[1]) for k in keys if k.startswith("features.")})
    assert conv_idx == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
    assert keys[-6:] == ["classifier.0.weight", "classifier.0.bias", "classifier.3.weight",
                         "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(models.vgg19_bn().features) == 53


def test_fast_neural_style_normalize_batch_after_repeat():
    """pytorch/examples' fast neural style: ``style.repeat(batch, 1, 1, 1)`` then ``div_``."""
    style = latte.tensor(np.full((1, 3, 2, 2), 51.0, np.float32))
    batch = style.repeat(4, 1, 1, 1)
    assert batch.stride() == (12, 4, 2, 1)  # a copy, never a stride-0 view
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    out = (batch.div_(255.0) - mean) / std
    np.testing.assert_allclose(out.numpy()[3, :, 0, 0], (0.2 - mean.numpy().ravel()) /
                               std.numpy().ravel(), rtol=1e-6)
    assert (style.numpy() == 51.0).all()
    a = latte.arange(3.0)
    a.repeat(1).add_(1)  # repeat copies even when nothing is tiled
    np.testing.assert_array_equal(a.numpy(), [0.0, 1.0, 2.0])
    x = latte.arange(3.0, requires_grad=True)
    x.repeat(2, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0, 4.0])


def test_instance_norm_momentum_none_and_channel_checks():
    """Fast neural style's ``InstanceNorm2d``: PyTorch's momentum=None keeps running stats."""
    x = latte.tensor(RNG.standard_normal((2, 3, 4, 4)).astype(np.float32))
    norm = nn.InstanceNorm2d(3, track_running_stats=True, momentum=None)
    norm(x)
    np.testing.assert_array_equal(norm.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(norm.running_var.numpy(), np.ones(3))
    with pytest.raises(ValueError, match=r"dim=1 to match num_features \(4\), but got: 3"):
        nn.InstanceNorm2d(4, affine=True)(x)
    with pytest.warns(UserWarning, match="does not match num_features"):
        out = nn.InstanceNorm2d(4)(x)  # affine=False: num_features unused, as PyTorch
    np.testing.assert_allclose(out.numpy().mean(axis=(2, 3)), 0, atol=1e-6)
