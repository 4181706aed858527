"""Each reproduction in experiments/ runs end to end in its --quick form (a few batches)."""
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("latte.vision.models")
EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"
sys.path.insert(0, str(EXPERIMENTS))


def _table(out):
    lines = (out / "results.md").read_text().splitlines()
    assert (out / "results.csv").is_file()
    return lines


def test_mnist_mlp_quick(tmp_path, monkeypatch):
    import mnist_mlp
    monkeypatch.setenv("LATTE_DATA", str(tmp_path / "none"))  # the shipped sample, always
    mnist_mlp.main(["--quick", "--out", str(tmp_path)])
    lines = _table(tmp_path)
    assert len(lines) == 2 + len(mnist_mlp.VARIANTS)
    assert lines[0].startswith("| run |") and "test_acc" in lines[0]
    assert "mnist-sample" in (tmp_path / "base" / "results.json").read_text()


def test_mnist_resnet_quick(tmp_path, monkeypatch):
    import mnist_resnet
    monkeypatch.setenv("LATTE_DATA", str(tmp_path / "none"))
    mnist_resnet.main(["--quick", "--out", str(tmp_path)])
    assert len(_table(tmp_path)) == 4


def _fake_cifar(root, n=12):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 "labels": [int(v) for v in rng.integers(0, 10, n)]}
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {"label_names": [f"class{i}" for i in range(10)]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))


def test_cifar10_c5l3_quick(tmp_path):
    import cifar10_c5l3
    _fake_cifar(tmp_path / "data")
    cifar10_c5l3.main(["--quick", "--data-dir", str(tmp_path / "data"), "--out",
                       str(tmp_path / "runs"), "--only", "adam", "batchnorm"])
    lines = _table(tmp_path / "runs")
    assert len(lines) == 4 and "epoch_time_s" in lines[0]


def test_circle_vs_torch_quick(tmp_path):
    import circle_vs_torch
    rows = circle_vs_torch.main(["--quick", "--out", str(tmp_path)])
    assert {r["activation"] for r in rows} == {"relu", "tanh"}
    assert "± " in _table(tmp_path)[-1]
