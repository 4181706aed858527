"""latte.vision.models against PyTorch twins: same keys, and after torch.save -> latte.load ->
load_state_dict the same outputs in eval mode. The twins are small torch.nn definitions of the
same architectures (torchvision does not install beside the pinned torch here)."""
from __future__ import annotations

import numpy as np
import pytest

import latte
from latte.vision import models

torch = pytest.importorskip("torch")
tnn = torch.nn


# ---- torch twins -------------------------------------------------------------------------------
class TBasic(tnn.Module):
    expansion = 1

    def __init__(self, inp, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + idt)


class TBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inp, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inp, planes, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        idt = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + idt)


def t_layer(block, inp, planes, n, stride):
    ds = None
    if stride != 1 or inp != planes * block.expansion:
        ds = tnn.Sequential(tnn.Conv2d(inp, planes * block.expansion, 1, stride, bias=False),
                            tnn.BatchNorm2d(planes * block.expansion))
    return tnn.Sequential(block(inp, planes, stride, ds),
                          *[block(planes * block.expansion, planes) for _ in range(1, n)])


class TResNet(tnn.Module):
    def __init__(self, block, layers, num_classes=1000, stem="imagenet"):
        super().__init__()
        k, s, p = (7, 2, 3) if stem == "imagenet" else (3, 1, 1)
        self.conv1 = tnn.Conv2d(3, 64, k, s, p, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1) if stem == "imagenet" else tnn.Identity()
        inp = 64
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            setattr(self, f"layer{i + 1}", t_layer(block, inp, planes, n, 1 if i == 0 else 2))
            inp = planes * block.expansion
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(inp, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TMNISTResNet(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = tnn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(16)
        self.relu = tnn.ReLU()
        self.layer1 = t_layer(TBasic, 16, 16, 2, 1)
        self.layer2 = t_layer(TBasic, 16, 32, 2, 2)
        self.layer3 = t_layer(TBasic, 32, 64, 2, 2)
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(64, 10)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def t_vgg(cfg, bn, cifar):
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
            continue
        layers.append(tnn.Conv2d(c, v, 3, padding=1))
        layers += [tnn.BatchNorm2d(v)] if bn else []
        layers.append(tnn.ReLU(True))
        c = v
    size, hidden = (1, 512) if cifar else (7, 4096)
    model = tnn.Module()
    model.features = tnn.Sequential(*layers)
    model.avgpool = tnn.AdaptiveAvgPool2d(size)
    model.classifier = tnn.Sequential(
        tnn.Linear(512 * size * size, hidden), tnn.ReLU(True), tnn.Dropout(),
        tnn.Linear(hidden, hidden), tnn.ReLU(True), tnn.Dropout(), tnn.Linear(hidden, 10))
    model.forward = lambda x: model.classifier(torch.flatten(model.avgpool(model.features(x)), 1))
    return model


def t_c5l3(bn):
    feats, c = [], 3
    for i, w in enumerate((128, 256, 512, 512, 256)):
        feats += [tnn.Conv2d(c, w, 3, padding=1)] + ([tnn.BatchNorm2d(w)] if bn else [])
        feats.append(tnn.ReLU())
        feats += [tnn.MaxPool2d(2), tnn.Dropout(0.3)] if i in (0, 1, 4) else []
        c = w
    head = [tnn.Flatten()]
    for a, b in ((4096, 512), (512, 256), (256, 128)):
        head += [tnn.Linear(a, b), tnn.ReLU(), tnn.Dropout(0.5)]
    return tnn.Sequential(tnn.Sequential(*feats), tnn.Sequential(*head, tnn.Linear(128, 10)))


def t_lenet():
    return tnn.Sequential(
        tnn.Sequential(tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                       tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2)),
        tnn.Sequential(tnn.Flatten(), tnn.Linear(3136, 128), tnn.ReLU(), tnn.Identity(),
                       tnn.Linear(128, 10)))



VGG_A = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


# ---- helpers ----------------------------------------------------------------------------------
def _randomize_bn(tmodel):
    """Non-trivial running statistics and affine terms so eval-mode BN is really exercised."""
    g = torch.Generator().manual_seed(0)
    for m in tmodel.modules():
        if isinstance(m, tnn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5, generator=g)
                m.bias.uniform_(-0.2, 0.2, generator=g)
                m.running_mean.uniform_(-0.2, 0.2, generator=g)
                m.running_var.uniform_(0.5, 1.5, generator=g)
                m.num_batches_tracked.fill_(7)


def _check(tmodel, lmodel, shape, tmp_path, atol=1e-4):
    """Same keys and shapes, then torch.save -> latte.load -> load_state_dict -> same outputs."""
    _randomize_bn(tmodel)
    tsd = tmodel.state_dict()
    lsd = lmodel.state_dict()
    assert list(lsd) == list(tsd)
    assert [tuple(v.shape) for v in lsd.values()] == [tuple(v.shape) for v in tsd.values()]
    path = tmp_path / "twin.pt"
    torch.save(tsd, path)
    lmodel.load_state_dict(latte.load(path))
    for key, value in lmodel.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), tsd[key].numpy(), err_msg=key)
    tmodel.eval()
    lmodel.eval()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        expected = tmodel(torch.from_numpy(x)).numpy()
    with latte.no_grad():
        got = lmodel(latte.tensor(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=atol)


# ---- parity tests ------------------------------------------------------------------------------
def test_mlp_matches_torch(tmp_path):
    tmodel = tnn.Sequential()
    tmodel.layers = tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 64), tnn.Tanh(),
                                   tnn.Dropout(0.2), tnn.Linear(64, 32), tnn.Tanh(),
                                   tnn.Dropout(0.2), tnn.Linear(32, 10))
    lmodel = models.MLP(784, (64, 32), 10, activation="tanh", dropout=0.2)
    _check(tmodel, lmodel, (3, 1, 28, 28), tmp_path)


def test_lenet_matches_torch(tmp_path):
    seq = t_lenet()
    tmodel = tnn.Sequential()
    tmodel.features, tmodel.classifier = seq[0], seq[1]
    _check(tmodel, models.LeNet(), (2, 1, 28, 28), tmp_path)


def test_mnist_resnet_matches_torch(tmp_path):
    _check(TMNISTResNet(), models.mnist_resnet(), (2, 1, 28, 28), tmp_path)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_c5l3_matches_torch(tmp_path, batch_norm):
    seq = t_c5l3(batch_norm)
    tmodel = tnn.Sequential()
    tmodel.features, tmodel.classifier = seq[0], seq[1]
    _check(tmodel, models.C5L3(batch_norm=batch_norm), (2, 3, 32, 32), tmp_path)


def test_vgg11_bn_cifar_matches_torch(tmp_path):
    _check(t_vgg(VGG_A, True, cifar=True), models.vgg11_bn(num_classes=10, cifar=True),
           (2, 3, 32, 32), tmp_path)


@pytest.mark.slow
def test_vgg11_bn_matches_torch(tmp_path):
    """The full ImageNet head (a 25088x4096 Linear) on a 32x32 input: the 1x1 map is replicated
    to 7x7 by the adaptive pool, as in torchvision."""
    _check(t_vgg(VGG_A, True, cifar=False), models.vgg11_bn(num_classes=10),
           (1, 3, 32, 32), tmp_path)


@pytest.mark.parametrize("stem,size", [("cifar", 16), ("imagenet", 64)])
def test_resnet18_matches_torch(tmp_path, stem, size):
    _check(TResNet(TBasic, [2, 2, 2, 2], 10, stem), models.resnet18(num_classes=10, stem=stem),
           (2, 3, size, size), tmp_path)


def test_resnet50_keys_and_shapes_match_torch():
    tsd = TResNet(TBottleneck, [3, 4, 6, 3]).state_dict()
    lsd = models.resnet50().state_dict()
    assert list(lsd) == list(tsd)
    assert [tuple(v.shape) for v in lsd.values()] == [tuple(v.shape) for v in tsd.values()]


def test_resnet50_forward_matches_torch(tmp_path):
    """Bottleneck blocks (stride on the 3x3, as torchvision's V1.5) on a small input."""
    _check(TResNet(TBottleneck, [3, 4, 6, 3], 10, "cifar"),
           models.resnet50(num_classes=10, stem="cifar"), (1, 3, 8, 8), tmp_path)


def test_torch_resnet18_loads_into_latte_model_from_weights_path(tmp_path):
    tmodel = TResNet(TBasic, [2, 2, 2, 2], 10, "cifar")
    torch.save({"model": tmodel.state_dict(), "epoch": 3}, tmp_path / "ck.pt")
    lmodel = models.resnet18(num_classes=10, stem="cifar", weights=tmp_path / "ck.pt")
    np.testing.assert_array_equal(lmodel.fc.weight.detach().numpy(),
                                  tmodel.fc.weight.detach().numpy())
