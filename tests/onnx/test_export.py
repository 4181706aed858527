"""latte.onnx.export: the checker accepts the file and ONNX Runtime gives Latte's outputs."""
from __future__ import annotations

import io

import numpy as np
import pytest

import latte
from latte import nn
from latte.vision import models

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def _run(model, x, **kwargs):
    """Export ``model`` on ``x``; the ONNX Runtime session and Latte's eval output."""
    buffer = io.BytesIO()
    latte.onnx.export(model, x, buffer, input_names=["x"], output_names=["y"], **kwargs)
    onnx.checker.check_model(onnx.load_from_string(buffer.getvalue()))
    session = ort.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    model.eval()
    with latte.no_grad():
        expected = model(x).numpy()
    return session, expected


def _assert_runtime_matches(model, x, rtol=1e-5, **kwargs):
    session, expected = _run(model, x, **kwargs)
    got = session.run(None, {"x": x.numpy()})[0]
    scale = np.abs(expected).max() + 1e-12
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() / scale < rtol
    return session


ZOO = [("mlp", (2, 1, 28, 28), {}), ("lenet", (2, 1, 28, 28), {}),
       ("mnist_resnet", (2, 1, 28, 28), {}), ("c5l3", (2, 3, 32, 32), {}),
       ("vgg11", (2, 3, 32, 32), {"num_classes": 10, "cifar": True}),
       ("resnet18", (1, 3, 64, 64), {"num_classes": 10}),
       ("resnet50", (1, 3, 64, 64), {"num_classes": 10})]


@pytest.mark.parametrize("name,shape,kwargs", ZOO, ids=[z[0] for z in ZOO])
def test_model_zoo_runs_in_onnx_runtime(name, shape, kwargs):
    latte.manual_seed(0)
    model = models.get_model(name, **kwargs)
    # trained-looking batch statistics, so that eval-mode BatchNorm does something
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(latte.randn(m.num_features) * 0.1)
            m.running_var.copy_(latte.rand(m.num_features) + 0.5)
    _assert_runtime_matches(model, latte.randn(*shape))


def test_transformer_encoder():
    latte.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    _assert_runtime_matches(model, latte.randn(2, 5, 16))


def test_dynamic_batch_axis_runs_at_two_batch_sizes():
    latte.manual_seed(0)
    model = models.get_model("lenet")
    session = _assert_runtime_matches(model, latte.randn(2, 1, 28, 28),
                                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    x5 = latte.randn(5, 1, 28, 28)
    with latte.no_grad():
        expected = model(x5).numpy()
    got = session.run(None, {"x": x5.numpy()})[0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


class _Layers(nn.Module):
    """The layers and functionals the zoo does not cover, in one forward."""

    def __init__(self):
        super().__init__()
        self.conv_t = nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1)
        self.grouped = nn.Conv2d(4, 8, 3, padding=2, dilation=2, groups=2)
        self.norm = nn.LayerNorm(8)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        y = nn.functional.gelu(self.conv_t(x)).tanh()
        y = self.grouped(y)
        y = nn.functional.avg_pool2d(y, 3, stride=2, padding=1, ceil_mode=True)
        y = nn.functional.max_pool2d(y, 2, ceil_mode=True)
        y = nn.functional.adaptive_avg_pool2d(y, 1).flatten(1)
        y = self.drop(self.norm(y))
        z = latte.cat([y[:, :4], y[:, 4:].sigmoid()], dim=1).permute(1, 0)
        return nn.functional.softmax(z[1:, :] * 2 - 1, dim=0).clamp(min=0.01) ** 2


def test_other_layers_and_functionals():
    latte.manual_seed(0)
    _assert_runtime_matches(_Layers(), latte.randn(2, 3, 7, 7))


def test_an_op_without_a_rule_names_the_op_and_the_module():
    class Rolls(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Sequential(nn.Linear(4, 4))

        def forward(self, x):
            return self.inner(x).roll(1, 1)

    with pytest.raises(latte.onnx.UnsupportedOperatorError, match=r"Roll op .*model \(Rolls\)"):
        latte.onnx.export(Rolls(), latte.randn(2, 4), io.BytesIO())


def test_export_to_a_path_and_the_cli(tmp_path, capsys):
    model = models.get_model("mlp")
    latte.onnx.export(model, latte.randn(1, 1, 28, 28), tmp_path / "m.onnx")
    assert onnx.load(str(tmp_path / "m.onnx")).graph.initializer
    from latte.cli.main import main
    assert main(["train", "--dataset", "mnist-sample", "--model", "lenet", "--epochs", "1",
                 "--limit-batches", "2", "--no-progress", "--no-plots", "--out",
                 str(tmp_path), "--name", "run"]) == 0
    assert main(["export", str(tmp_path / "run"), "--onnx", str(tmp_path / "l.onnx")]) == 0
    session = ort.InferenceSession(str(tmp_path / "l.onnx"), providers=["CPUExecutionProvider"])
    assert session.run(None, {"input": np.zeros((3, 1, 28, 28), np.float32)})[0].shape == (3, 10)
