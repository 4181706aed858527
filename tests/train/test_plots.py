"""Every plot writes a PNG; without matplotlib the error says how to install it."""
import io
import sys

import numpy as np
import pytest

import latte
from latte import nn
from latte.train import History
from latte.train.progress import PlainProgress

PNG = b"\x89PNG"


def test_missing_matplotlib_message(monkeypatch):
    from latte.train import plots
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert not plots.matplotlib_available()
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plots.plot_confusion_matrix(np.eye(2, dtype=int), "x.png")


def test_all_plots_write_png(tmp_path):
    pytest.importorskip("matplotlib")
    from latte.train import plots
    latte.manual_seed(0)
    history = History([{"epoch": e, "lr": 0.1 / e, "train_loss": 1 / e, "train_acc": 0.5,
                        "val_loss": 1.1 / e, "val_acc": 0.4} for e in (1, 2, 3)])
    paths = plots.plot_history(history, tmp_path)
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 12), nn.ReLU(), nn.Linear(12, 10))
    cnn = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 26 * 26, 10))
    rgb = nn.Conv2d(3, 5, 3)
    x = latte.rand(6, 1, 28, 28)
    paths += [
        plots.plot_linear_weights(mlp[3], tmp_path / "w.png"),
        plots.plot_first_layer_images(mlp[1], tmp_path / "first.png"),
        plots.plot_conv_filters(cnn[0], tmp_path / "filters.png"),
        plots.plot_conv_filters(rgb, tmp_path / "rgb.png"),
        plots.plot_feature_maps(cnn, "0", x[0], tmp_path / "maps.png"),
        plots.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), tmp_path / "cm.png", ["a", "b"]),
        plots.plot_misclassified(x, latte.tensor([0, 1, 2, 3, 4, 5]),
                                 latte.tensor([0, 1, 2, 3, 5, 4]), tmp_path / "wrong.png"),
    ]
    assert [p.name for p in paths[:3]] == ["loss.png", "accuracy.png", "lr.png"]
    for path in paths:
        assert path.read_bytes()[:4] == PNG, path
    assert cnn.training  # the feature-map hook leaves the model as it found it
    assert not cnn[0]._forward_hooks
    with pytest.raises(ValueError, match="cannot be shown as 28x28"):
        plots.plot_first_layer_images(mlp[3], tmp_path / "bad.png")


def test_plain_progress_reports_every_tenth():
    out = io.StringIO()
    bar = PlainProgress(range(20), None, "epoch 1", out)
    for i in bar:
        bar.set_postfix(loss=f"{1 / (i + 1):.2f}")
    lines = out.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("epoch 1  20/20  loss=0.05")


def test_gradient_flow_plot_needs_gradients_and_draws_weights(tmp_path):
    pytest.importorskip("matplotlib")
    import latte
    from latte import nn
    from latte.train.plots import plot_gradient_flow
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with pytest.raises(ValueError, match="no weight has a gradient"):
        plot_gradient_flow(model.named_parameters(), tmp_path / "g.png")
    model(latte.randn(5, 4)).sum().backward()
    path = plot_gradient_flow(model.named_parameters(), tmp_path / "g.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
