"""``latte train --device cuda`` on the stand-in GPU: the CLI's runner trains, tests and saves."""
from __future__ import annotations

import pytest

import latte
from latte.cli.config import TrainConfig
from latte.cli.runner import run_train, training_device


def test_cli_trains_on_the_gpu(gpu, tmp_path):
    cfg = TrainConfig(model="mlp", dataset="mnist", epochs=1, limit_batches=3, device="cuda",
                      plots=False, progress=False, out=str(tmp_path))
    summary = run_train(cfg, run_dir=tmp_path / "run", log=lambda *a: None)
    assert 0.0 <= summary["test_acc"] <= 1.0
    saved = latte.load(tmp_path / "run" / "last.pt")
    weights = next(iter(saved["model"].values()))
    assert weights.device == latte.device("cuda:0")  # saved from the GPU, restored there


def test_device_option_resolves(gpu):
    assert training_device("auto") == latte.device("cuda:0")
    assert training_device("cuda:1") == latte.device("cuda:1")
    assert training_device("cpu") == latte.device("cpu")
    with pytest.raises(ValueError, match="--nproc with --device cuda"):
        training_device("cuda", world_size=2)


def test_device_option_without_gpu_explains():
    assert training_device("auto") == latte.device("cpu") or latte.cuda.is_available()
    if not latte.cuda.is_available():
        with pytest.raises(RuntimeError, match=r"latte\[cuda12\]"):
            training_device("cuda")
