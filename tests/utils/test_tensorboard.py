"""SummaryWriter's files, read back with TensorBoard's own reader (EventAccumulator)."""
from __future__ import annotations

import numpy as np
import pytest

import latte
from latte import nn

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from latte.utils.tensorboard import SummaryWriter  # noqa: E402


def _read(folder) -> EventAccumulator:
    acc = EventAccumulator(str(folder), size_guidance={"images": 0, "histograms": 0,
                                                       "scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_scalars_histograms_and_text_round_trip(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(5):
            writer.add_scalar("loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("acc", latte.tensor(0.5), 7)
        values = np.random.default_rng(0).normal(size=1000)
        writer.add_histogram("weights", latte.tensor(values), 3)
        writer.add_histogram("counts", np.arange(10), 4, bins=5)
        writer.add_text("note", "**hello**", 1)
    acc = _read(tmp_path)
    loss = acc.Scalars("loss/train")
    assert [e.step for e in loss] == list(range(5))
    np.testing.assert_allclose([e.value for e in loss], [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5],
                               rtol=1e-6)
    assert acc.Scalars("acc")[0].value == 0.5 and acc.Scalars("acc")[0].step == 7
    histo = acc.Histograms("weights")[0].histogram_value
    assert histo.num == 1000 and sum(histo.bucket) == 1000
    assert histo.min == pytest.approx(values.min()) and histo.max == pytest.approx(values.max())
    assert histo.sum == pytest.approx(values.sum())
    assert len(acc.Histograms("counts")[0].histogram_value.bucket) == 5
    text = acc.Tensors("note/text_summary")[0].tensor_proto.string_val[0]
    assert text == b"**hello**"


def test_images_and_figures(tmp_path):
    import io

    from PIL import Image
    img = np.zeros((3, 8, 10), dtype=np.float32)
    img[0] = 1.0  # red
    with SummaryWriter(tmp_path) as writer:
        writer.add_image("red", latte.tensor(img), 0)
        writer.add_image("gray", np.full((8, 10), 128, np.uint8), 0, dataformats="HW")
        writer.add_images("batch", latte.rand(4, 1, 6, 6), 0)
        matplotlib = pytest.importorskip("matplotlib")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig = plt.figure(figsize=(2, 2))
        plt.plot([0, 1], [1, 0])
        writer.add_figure("curve", fig, 0)
    acc = _read(tmp_path)
    red = acc.Images("red")[0]
    assert (red.height, red.width) == (8, 10)
    pixels = np.asarray(Image.open(io.BytesIO(red.encoded_image_string)))
    assert pixels.shape == (8, 10, 3)
    assert (pixels[..., 0] == 255).all() and (pixels[..., 1] == 0).all()
    assert acc.Images("gray")[0].width == 10
    assert acc.Images("batch")[0].height > 6  # a grid of four
    assert acc.Images("curve")[0].height == 200


def test_add_scalars_writes_one_run_per_series(tmp_path):
    with SummaryWriter(tmp_path) as writer:
        for step in range(3):
            writer.add_scalars("loss", {"train": 1.0 - step / 10, "val": 2.0}, step)
    train = _read(tmp_path / "loss_train").Scalars("loss")
    assert [round(e.value, 5) for e in train] == [1.0, 0.9, 0.8]
    assert _read(tmp_path / "loss_val").Scalars("loss")[2].value == 2.0


def test_add_hparams_writes_the_hparams_plugin_records(tmp_path):
    from tensorboard.plugins.hparams import metadata
    with SummaryWriter(tmp_path) as writer:
        writer.add_hparams({"lr": 0.1, "optimizer": "sgd", "bs": 64}, {"hparam/acc": 0.9},
                           run_name="trial")
    acc = _read(tmp_path / "trial")
    tags = acc.Tags()["tensors"]
    assert metadata.EXPERIMENT_TAG in tags and metadata.SESSION_START_INFO_TAG in tags
    content = acc.SummaryMetadata(metadata.SESSION_START_INFO_TAG).plugin_data.content
    start = metadata.parse_session_start_info_plugin_data(content)
    assert start.hparams["lr"].number_value == 0.1
    assert start.hparams["optimizer"].string_value == "sgd"
    assert acc.Scalars("hparam/acc")[0].value == pytest.approx(0.9)


def test_add_graph_names_ops_under_their_modules(tmp_path):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with SummaryWriter(tmp_path) as writer:
        writer.add_graph(model, latte.randn(3, 4))
    graph = _read(tmp_path).Graph()
    names = [n.name for n in graph.node]
    assert "Sequential/0.weight" in names and "Sequential/2.bias" in names
    assert any(name.startswith("Sequential/Linear[2]/") for name in names)
    assert any(name.startswith("Sequential/ReLU[1]/") for name in names)
    linear2 = next(n for n in graph.node if n.name.startswith("Sequential/Linear[2]/"))
    assert "Sequential/2.weight" in linear2.input


def test_purge_step_and_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_exp") as writer:
        writer.add_scalar("x", 1.0, 0)
    assert writer.get_logdir().startswith("runs") and writer.get_logdir().endswith("_exp")
    assert _read(writer.get_logdir()).Scalars("x")[0].value == 1.0


def test_latte_train_and_sweep_log_to_tensorboard(tmp_path, capsys):
    from latte.cli.main import main
    common = ["--dataset", "mnist-sample", "--epochs", "2", "--limit-batches", "3",
              "--no-progress", "--no-plots", "--tensorboard", "--out", str(tmp_path)]
    assert main(["train", *common, "--name", "t"]) == 0
    acc = _read(tmp_path / "t" / "tensorboard")
    assert [e.step for e in acc.Scalars("loss/train_loss")] == [1, 2]
    assert "accuracy/val_acc" in acc.Tags()["scalars"] and "lr/lr" in acc.Tags()["scalars"]
    histograms = acc.Tags()["histograms"]
    assert "weights/net.0.weight" in histograms or any(h.startswith("weights/")
                                                        for h in histograms)
    assert any(h.startswith("gradients/") for h in histograms)
    assert acc.Images("samples")[0].height > 28  # a grid of 16 digits
    assert main(["sweep", "--grid", "lr=0.01,0.001", *common, "--name", "s"]) == 0
    from tensorboard.plugins.hparams import metadata
    for run in ("lr=0.01", "lr=0.001"):
        trial = _read(tmp_path / "s" / "tensorboard" / run)
        assert metadata.SESSION_START_INFO_TAG in trial.Tags()["tensors"]
        assert "hparam/test_acc" in trial.Tags()["scalars"]
