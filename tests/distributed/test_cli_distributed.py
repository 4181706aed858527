"""Data-parallel ``latte train``: ``--nproc 2`` and ``mpiexec -n 2 latte train``, one writer,
identical replicas, parity with one process on the concatenated batch, resume across process
counts, and stops that every process agrees on."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
from _mpi_harness import check, mpiexec, mpirun

import latte
from latte.cli.build import build_loss, build_model, build_optimizer
from latte.cli.config import TrainConfig
from latte.cli.data import load_data, split_train_val
from latte.cli.main import main
from latte.train import seed_everything
from latte.utils.data import DistributedSampler

SMALL = {"dataset": "mnist-sample", "hidden": "32", "batch_size": 16, "limit_batches": 3,
         "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "seed": 0}
OPTIONS = ["--dataset", "mnist-sample", "--hidden", "32", "--batch-size", "16",
           "--limit-batches", "3", "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9",
           "--no-progress", "--no-plots"]
RUN_FILES = {"best.pt", "last.pt", "history.csv", "history.json", "confusion.csv",
             "results.json"}


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                PYTHONUNBUFFERED="1")


def _latte(*args, launcher=(), timeout=60):
    """``[launcher] python -m latte.cli train args`` with output captured."""
    command = [*launcher, sys.executable, "-m", "latte.cli", "train", *args]
    return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=timeout)


def _ok(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _epochs(run):
    return [row["epoch"] for row in json.loads((run / "history.json").read_text())]


def _reference(epochs):
    """One process training on the concatenation of what the 2 ranks read at each step."""
    cfg = TrainConfig(**SMALL)
    seed_everything(cfg.seed)
    bundle = load_data(cfg.dataset, log=lambda s: None)
    train_ds, _ = split_train_val(bundle, cfg.val_split, cfg.seed)
    model = build_model(cfg, bundle.input_shape, bundle.num_classes)
    optimizer, loss_fn = build_optimizer(cfg, model), build_loss(cfg)
    for epoch in range(1, epochs + 1):
        shares = []
        for rank in range(2):
            sampler = DistributedSampler(train_ds, num_replicas=2, rank=rank, seed=cfg.seed)
            sampler.set_epoch(epoch)
            shares.append(list(sampler))
        for step in range(cfg.limit_batches):
            rows = slice(step * cfg.batch_size, (step + 1) * cfg.batch_size)
            index = shares[0][rows] + shares[1][rows]
            x = latte.stack([train_ds[i][0] for i in index])
            y = latte.tensor([int(train_ds[i][1]) for i in index])
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
    return model.state_dict()


def test_nproc_2_matches_one_process_on_the_concatenated_batch(tmp_path):
    mpiexec()
    out = _ok(_latte(*OPTIONS, "--epochs", "2", "--out", str(tmp_path), "--name", "r",
                     "--nproc", "2"))
    run = tmp_path / "r"
    # rank 0 alone logs and writes: one of each line, one of each file, no leftovers
    assert out.count("epoch   1 ") == 1 and out.count("Results") == 1, out
    assert "2 processes: 16 examples per process per step, 32 in all" in out
    assert {p.name for p in run.iterdir()} == RUN_FILES
    assert _epochs(run) == [1, 2]
    results = json.loads((run / "results.json").read_text())
    assert results["processes"] == 2 and results["epochs"] == 2
    ckpt = latte.load(run / "last.pt")
    assert not any(k.startswith("module.") for k in ckpt["model"])
    for name, expected in _reference(2).items():
        err = np.abs(ckpt["model"][name].numpy() - expected.numpy()).max()
        assert err <= 1e-5, f"{name} differs by {err}"


def test_every_process_ends_with_the_same_parameters(tmp_path):
    # the worker runs the CLI in each rank and compares all ranks' final parameters
    check(mpirun(2, "cli_train", *OPTIONS, "--epochs", "2", "--patience", "1",
                 "--monitor", "val_acc", "--out", str(tmp_path), "--name", "w"), 2)
    assert (tmp_path / "w" / "results.json").exists()


def test_resume_from_two_processes_on_one_and_back(tmp_path, capsys):
    mpiexec()
    run = tmp_path / "r"
    _ok(_latte(*OPTIONS, "--epochs", "1", "--out", str(tmp_path), "--name", "r",
               "--nproc", "2"))
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 0
    assert f"Resuming {run} after epoch 1" in capsys.readouterr().out
    assert _epochs(run) == [1, 2]
    # and a one-process checkpoint continued by mpiexec -n 2 latte train
    out = _ok(_latte("--resume", str(run), "--epochs", "3",
                     launcher=(mpiexec(), "-n", "2")))
    assert out.count(f"Resuming {run} after epoch 2") == 1, out
    assert _epochs(run) == [1, 2, 3]
    assert latte.load(run / "last.pt")["epoch"] == 3
    assert {p.name for p in run.iterdir()} == RUN_FILES


def test_a_stop_on_one_process_stops_all_at_the_same_batch(tmp_path):
    check(mpirun(2, "cli_stop", str(tmp_path / "s")), 2)
    assert {p.name for p in (tmp_path / "s").iterdir()} == {
        "best.pt", "last.pt", "history.csv", "history.json", "interrupted.pt"}


def test_ctrl_c_stops_every_process_cleanly(tmp_path):
    mpiexec()
    command = [sys.executable, "-m", "latte.cli", "train", *OPTIONS, "--limit-batches", "40",
               "--epochs", "50", "--out", str(tmp_path), "--name", "c", "--nproc", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=_env(), start_new_session=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("epoch   1 "):
                os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    out = "".join(lines)
    assert code == 0, out
    assert "continue with: latte train --resume" in out and "Results" not in out, out
    assert out.count("Interrupted: finishing the current batch") <= 1, out
    assert latte.load(tmp_path / "c" / "last.pt")["epoch"] >= 1


def test_nproc_must_agree_with_the_launcher(tmp_path):
    proc = _latte(*OPTIONS, "--nproc", "3", "--out", str(tmp_path), launcher=(mpiexec(), "-n",
                                                                               "2"))
    assert proc.returncode != 0
    assert "--nproc 3, but mpiexec started 2 processes" in proc.stderr


def test_help_says_batch_size_is_per_process():
    out = subprocess.run([sys.executable, "-m", "latte.cli", "train", "--help"],
                         capture_output=True, text=True, timeout=60).stdout
    assert "--nproc N" in out and "per process" in out
