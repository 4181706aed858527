"""latte.vision.models without PyTorch: registry, parameter counts (torchvision's published
numbers), torchvision's state_dict keys, forward shapes, options and ``weights=`` loading."""
from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest

import latte
from latte import nn
from latte.vision import models
from latte.vision.datasets.utils import DownloadError
from latte.vision.models import _weights as weights_module

NAMES = ["mlp", "lenet", "mnist_resnet", "c5l3", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
         "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "resnet18", "resnet34", "resnet50"]


def arr(t: latte.Tensor) -> np.ndarray:
    return t.detach().numpy()


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_registry_lists_every_model_and_rejects_unknown_names():
    assert models.list_models() == NAMES
    assert isinstance(models.get_model("LeNet"), models.LeNet)
    with pytest.raises(ValueError, match="unknown model 'alexnet'.*resnet18"):
        models.get_model("alexnet")


# torchvision's num_params (1000 classes) and the reference projects' counts.
COUNTS = {"mnist_resnet": 174_970, "c5l3": 7_281_802, "lenet": 421_642,
          "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
          "vgg11": 132_863_336, "vgg11_bn": 132_868_840, "vgg13": 133_047_848,
          "vgg13_bn": 133_053_736, "vgg16": 138_357_544, "vgg16_bn": 138_365_992}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_parameter_counts(name):
    kwargs = {} if name in ("mnist_resnet", "c5l3", "lenet") else {"num_classes": 1000}
    if name.startswith("vgg"):
        kwargs["init_weights"] = False  # counting only: skip the 100M-value re-init
    assert n_params(models.get_model(name, **kwargs)) == COUNTS[name]


def test_mlp_structure_and_options():
    model = models.MLP(784, (128, 64), 10, dropout=0.25, bias=False)
    assert n_params(model) == 784 * 128 + 128 * 64 + 64 * 10
    assert list(model.state_dict()) == ["layers.1.weight", "layers.4.weight", "layers.7.weight"]
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == 2
    assert not any(isinstance(m, nn.Dropout) for m in models.MLP(hidden_sizes=(8,)).modules())
    assert n_params(models.MLP(20, (), 3)) == 20 * 3 + 3  # no hidden layer: logistic regression
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        models.MLP(activation="swishy")
    with pytest.raises(ValueError, match="dropout must be in"):
        models.MLP(dropout=1.0)


def test_mlp_dropout_is_active_only_in_training():
    model = models.MLP(16, (256,), 4, dropout=0.5)
    x = latte.randn(8, 16)
    model.eval()
    np.testing.assert_array_equal(model(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    assert not np.allclose(model(x).detach().numpy(), model(x).detach().numpy())


@pytest.mark.parametrize("name,kwargs,shape,out", [
    ("mlp", {"hidden_sizes": (32,)}, (4, 1, 28, 28), (4, 10)),
    ("lenet", {}, (2, 1, 28, 28), (2, 10)),
    ("lenet", {"in_channels": 3, "num_classes": 5, "dropout": 0.5}, (2, 3, 28, 28), (2, 5)),
    ("mnist_resnet", {}, (2, 1, 28, 28), (2, 10)),
    ("mnist_resnet", {"in_channels": 3, "dropout": 0.1}, (1, 3, 32, 32), (1, 10)),
    ("c5l3", {"batch_norm": True, "dropout": 0.2}, (2, 3, 32, 32), (2, 10)),
    ("vgg11", {"num_classes": 10, "cifar": True}, (2, 3, 32, 32), (2, 10)),
    ("vgg13_bn", {"num_classes": 10, "cifar": True}, (1, 3, 32, 32), (1, 10)),
    ("vgg16_bn", {"num_classes": 10, "cifar": True}, (1, 3, 32, 32), (1, 10)),
    ("resnet18", {"num_classes": 10, "stem": "cifar"}, (2, 3, 32, 32), (2, 10)),
    ("resnet34", {"num_classes": 7}, (1, 3, 64, 64), (1, 7)),
    ("resnet50", {"num_classes": 10, "stem": "cifar", "dropout": 0.2}, (1, 3, 16, 16), (1, 10)),
])
def test_forward_shapes_and_backward(name, kwargs, shape, out):
    model = models.get_model(name, **kwargs)
    y = model(latte.randn(*shape))
    assert tuple(y.shape) == out
    y.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_mnist_resnet_layout():
    model = models.mnist_resnet()
    keys = list(model.state_dict())
    assert keys[:2] == ["conv1.weight", "bn1.weight"] and keys[-2:] == ["fc.weight", "fc.bias"]
    assert "layer1.0.downsample.0.weight" not in keys  # 16 -> 16: identity shortcut
    assert tuple(model.state_dict()["layer2.0.downsample.0.weight"].shape) == (32, 16, 1, 1)
    assert tuple(model.state_dict()["layer3.1.conv2.weight"].shape) == (64, 64, 3, 3)
    assert tuple(model.fc.weight.shape) == (10, 64)


def test_c5l3_dropout_options_keep_the_keys():
    a, b = models.C5L3(), models.C5L3(dropout=0.0, conv_dropout=0.0)
    assert list(a.state_dict()) == list(b.state_dict())
    ps = sorted({m.p for m in a.modules() if isinstance(m, nn.Dropout)})
    assert ps == [0.3, 0.5]
    assert n_params(models.C5L3(batch_norm=True)) == COUNTS["c5l3"] + 2 * (128 + 256 + 512 + 512
                                                                           + 256)


RESNET18_HEAD = ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                 "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight"]


def test_resnet_keys_are_torchvisions():
    sd = models.resnet18().state_dict()
    assert len(sd) == 122  # torchvision's resnet18 state_dict has 122 entries
    assert list(sd)[:7] == RESNET18_HEAD and list(sd)[-2:] == ["fc.weight", "fc.bias"]
    for key, shape in [("layer2.0.downsample.0.weight", (128, 64, 1, 1)),
                       ("layer4.1.bn2.running_var", (512,)), ("fc.weight", (1000, 512)),
                       ("conv1.weight", (64, 3, 7, 7))]:
        assert tuple(sd[key].shape) == shape
    sd50 = models.resnet50().state_dict()
    assert len(sd50) == 320
    assert tuple(sd50["layer1.0.downsample.0.weight"].shape) == (256, 64, 1, 1)
    assert tuple(sd50["layer4.2.conv3.weight"].shape) == (2048, 512, 1, 1)
    assert tuple(models.resnet18(stem="cifar").conv1.weight.shape) == (64, 3, 3, 3)
    assert isinstance(models.resnet18(stem="cifar").maxpool, nn.Identity)


def test_vgg_keys_are_torchvisions():
    sd = models.vgg11_bn(num_classes=10, cifar=True).state_dict()
    convs = [k[:-len(".weight")] for k, v in sd.items() if k.endswith(".weight") and v.ndim == 4]
    assert convs == [f"features.{i}" for i in (0, 4, 8, 11, 15, 18, 22, 25)]
    assert list(sd)[-6:] == ["classifier.0.weight", "classifier.0.bias", "classifier.3.weight",
                             "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"]
    plain = models.vgg16(num_classes=10, cifar=True).state_dict()
    assert [k for k in plain if k.startswith("features") and k.endswith("weight")] == \
        [f"features.{i}.weight" for i in (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)]


def test_resnet_init_follows_torchvision():
    latte.manual_seed(0)
    model = models.resnet18(zero_init_residual=True)
    w = model.layer3[0].conv1.weight.detach().numpy()  # fan_out = 256 * 9
    assert abs(w.std() - np.sqrt(2 / (256 * 9))) < 0.05 * np.sqrt(2 / (256 * 9))
    assert np.all(arr(model.bn1.weight) == 1) and np.all(arr(model.bn1.bias) == 0)
    assert np.all(model.layer1[0].bn2.weight.detach().numpy() == 0)
    assert np.all(models.resnet18().layer1[0].bn2.weight.detach().numpy() == 1)
    assert np.all(arr(models.resnet50(zero_init_residual=True).layer2[1].bn3.weight) == 0)
    with pytest.raises(ValueError, match="stem must be 'imagenet' or 'cifar', got 'tiny'"):
        models.resnet18(stem="tiny")


def test_vgg_init_follows_torchvision():
    latte.manual_seed(0)
    model = models.vgg11(num_classes=10, cifar=True)
    w = model.classifier[3].weight.detach().numpy()
    assert abs(w.std() - 0.01) < 0.001 and np.all(model.classifier[3].bias.detach().numpy() == 0)
    assert np.all(model.features[0].bias.detach().numpy() == 0)


# ---- weights= ----------------------------------------------------------------------------------
@pytest.fixture
def latte_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LATTE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _filled(model: nn.Module, value: float) -> dict:
    return {k: latte.full(tuple(v.shape), value, dtype=v.dtype) for k, v in
            model.state_dict().items()}


@pytest.mark.parametrize("wrap", [None, "model", "state_dict"])
def test_weights_from_a_local_checkpoint(tmp_path, wrap):
    state = _filled(models.LeNet(), 0.5)
    latte.save(state if wrap is None else {wrap: state, "epoch": 2}, tmp_path / "w.pt")
    model = models.get_model("lenet", weights=str(tmp_path / "w.pt"))
    assert np.all(model.features[0].weight.detach().numpy() == 0.5)
    assert np.all(arr(models.lenet(weights=tmp_path / "w.pt").classifier[4].bias) == 0.5)


def test_weights_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file not found: .*nope.pt"):
        models.lenet(weights=tmp_path / "nope.pt")
    latte.save(_filled(models.LeNet(num_classes=5), 1.0), tmp_path / "five.pt")
    with pytest.raises(RuntimeError, match="classifier.4"):
        models.lenet(weights=tmp_path / "five.pt")  # 5 classes into a 10-class model
    latte.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="expected a state_dict"):
        models.lenet(weights=tmp_path / "list.pt")
    with pytest.raises(ValueError, match="'IMAGENET1K_V1' is neither an existing file.*none"):
        models.mnist_resnet(weights="IMAGENET1K_V1")
    with pytest.raises(ValueError, match="known names: DEFAULT, IMAGENET1K_V1$"):
        models.resnet18(weights="IMAGENET1K_V9")


def _refused_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more: connection refused
    return f"http://127.0.0.1:{port}/models/"


@pytest.fixture
def offline(monkeypatch):
    """The official server unreachable (tests never touch the network)."""
    monkeypatch.setattr(weights_module, "_BASE", _refused_url())
    monkeypatch.delenv("LATTE_WEIGHTS_MIRRORS", raising=False)
    monkeypatch.setenv("TORCH_HOME", "/nonexistent-torch-home")


@pytest.mark.parametrize("arch,name,file", [
    ("resnet18", "DEFAULT", "resnet18-f37072fd.pth"),
    ("resnet50", "DEFAULT", "resnet50-11ad3fa6.pth"),
    ("resnet50", "IMAGENET1K_V1", "resnet50-0676ba61.pth"),
    ("vgg16_bn", "imagenet1k_v1", "vgg16_bn-6c64b313.pth"),
])
def test_named_weights_offline_say_what_was_tried_and_where(latte_home, offline, arch, name,
                                                             file):
    with pytest.raises(DownloadError) as info:
        models.get_model(arch, weights=name)
    msg = str(info.value)
    assert weights_module._BASE + file in msg
    assert str(latte_home / "checkpoints" / file) in msg
    assert not (latte_home / "checkpoints" / file).exists()


def _published(tmp_path, model) -> tuple[str, bytes]:
    """A state_dict file named as torchvision names its weights: ``<arch>-<sha256[:8]>.pth``."""
    latte.save(_filled(model, 0.75), tmp_path / "w.pth")
    data = (tmp_path / "w.pth").read_bytes()
    return f"lenet-{hashlib.sha256(data).hexdigest()[:8]}.pth", data


def test_named_weights_download_from_a_mirror_once(latte_home, offline, http_servers, tmp_path,
                                                   monkeypatch):
    name, data = _published(tmp_path, models.LeNet())
    monkeypatch.setitem(weights_module.WEIGHTS, "lenet", {"IMAGENET1K_V1": name})
    server = http_servers()
    server.serve("models/" + name, data)
    monkeypatch.setenv("LATTE_WEIGHTS_MIRRORS", server.url + "models")
    model = models.lenet(weights="DEFAULT")
    assert np.all(arr(model.classifier[4].bias) == 0.75)
    assert sorted(p.name for p in (latte_home / "checkpoints").iterdir()) == [name]
    models.lenet(weights="IMAGENET1K_V1")  # from the cache: no second request
    assert server.requests == ["/models/" + name]


def test_named_weights_with_a_wrong_hash_are_refused_and_not_kept(latte_home, offline,
                                                                  http_servers, tmp_path,
                                                                  monkeypatch):
    name, data = _published(tmp_path, models.LeNet())
    monkeypatch.setitem(weights_module.WEIGHTS, "lenet", {"IMAGENET1K_V1": name})
    server = http_servers()
    server.serve("models/" + name, data[:-1] + bytes([data[-1] ^ 1]))
    monkeypatch.setenv("LATTE_WEIGHTS_MIRRORS", server.url + "models/")
    with pytest.raises(DownloadError, match=f"expected a digest starting with {name[6:14]}"):
        models.lenet(weights="IMAGENET1K_V1")
    assert not list((latte_home / "checkpoints").iterdir())


def test_named_weights_reuse_pytorchs_cache(latte_home, offline, tmp_path, monkeypatch):
    torch_home = tmp_path / "torch"
    (torch_home / "hub" / "checkpoints").mkdir(parents=True)
    latte.save(_filled(models.resnet18(), 0.5),
               torch_home / "hub" / "checkpoints" / "resnet18-f37072fd.pth")
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    model = models.resnet18(weights="IMAGENET1K_V1")  # offline: only the cache can serve it
    assert np.all(arr(model.fc.bias) == 0.5)


def test_load_state_dict_from_url_as_torch_hub(http_servers, tmp_path):
    name, data = _published(tmp_path, models.LeNet())
    server = http_servers()
    url = server.serve(name, data)
    state = weights_module.load_state_dict_from_url(url, model_dir=tmp_path / "hub",
                                                    progress=False, check_hash=True)
    assert np.all(arr(state["classifier.4.bias"]) == 0.75)
    assert (tmp_path / "hub" / name).is_file()


def test_checkpoint_dir_defaults_to_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("LATTE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert models.checkpoint_dir() == tmp_path / ".cache" / "latte" / "checkpoints"


def test_named_weights_load_from_the_checkpoint_dir(latte_home):
    (latte_home / "checkpoints").mkdir(parents=True)
    state = _filled(models.resnet18(), 0.25)
    latte.save(state, latte_home / "checkpoints" / "resnet18-f37072fd.pth")
    model = models.resnet18(weights="IMAGENET1K_V1")
    assert np.all(model.layer4[1].conv2.weight.detach().numpy() == 0.25)
    assert np.all(model.fc.bias.detach().numpy() == 0.25)
