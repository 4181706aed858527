"""Exact resume after SIGKILL: a run killed at chosen points (inside an optimizer step, halfway
through a checkpoint write, between the tmp file and its rename, between ``best.pt`` and
``last.pt``, during validation) and resumed ends bit-identical to an uninterrupted run:
parameters, optimizer state, scheduler, history and every random state. ``latte train`` in one
process, with DataLoader workers, and on 2 MPI ranks; and a plain user loop with
``latte.save``/``latte.load`` that resumes mid-epoch.

After every kill, the ``last.pt`` left behind is bit-identical to the uninterrupted run's
checkpoint of the same epoch (never a file that loads but holds something else), and a
half-written temporary file is refused with an error naming it.
"""
import os
import sys

import pytest
from _reliability import assert_same_checkpoint, mpiexec, python, run

import latte

pytest.importorskip("latte.vision.models")

OPTIONS = ["--dataset", "mnist-sample", "--hidden", "32", "--dropout", "0.2", "--augment",
           "--batch-size", "16", "--limit-batches", "3", "--optimizer", "adam",
           "--scheduler", "step", "--epochs", "4", "--no-progress", "--no-plots"]

# (kill point, epoch of last.pt after the kill); the MLP has 4 parameter tensors, so an epoch
# of 3 steps is 12 updates and writes history.csv, history.json, best.pt, last.pt (4 replaces)
CHAIN = [("update:18", 1),    # a fresh run, inside the 2nd step of epoch 2
         ("write:2", 1),      # resumed after 1: last.pt of epoch 2 torn halfway
         ("replaced:7", 2),   # best.pt of epoch 3 in place, last.pt not yet
         ("validate:1", 2),   # during the validation of epoch 3
         ("replace:4", 2),    # last.pt of epoch 3 complete on disk, not yet renamed
         ("update:20", 3),    # inside the 2nd step of epoch 4
         ("", 4)]             # to the end
# the same kinds of points, fewer runs (the full chain runs with workers, and under make soak)
SHORT_CHAIN = [("replaced:7", 1), ("update:20", 2), ("", 4)]
# on 2 ranks: @R kills rank R alone (mpiexec then ends the other); rank 0 writes the files
MPI_CHAIN = [("update:18@1", 1), ("write:2@0", 1), ("replaced:7@0", 2), ("validate:1@1", 2),
             ("update:20@0", 3), ("", 4)]


def _train(args, kill="", launcher=(), **extra):
    return run([*launcher, sys.executable, "tests/reliability/_kill_hook.py", "train", *args],
               LATTE_KILL_AT=kill, **extra)


def _check_leftovers(run_dir):
    """What a kill left in the run folder: last.pt exactly as the uninterrupted run wrote it
    for the same epoch, and temporary files that are complete or refused by name."""
    epoch = latte.load(run_dir / "last.pt")["epoch"]
    assert_same_checkpoint(run_dir.parent / "ref" / f"last-epoch{epoch}.pt", run_dir / "last.pt",
                           ignore=("config",))
    for tmp in run_dir.glob(".*.pt.*.tmp"):
        try:
            latte.load(tmp)
        except RuntimeError as e:
            assert str(tmp) in str(e) and "truncated or corrupt" in str(e), e
    return epoch


def _kill_and_resume(tmp_path, options, chain, launcher=(), ref_launcher=None):
    ref_launcher = launcher if ref_launcher is None else ref_launcher
    ref = _train([*options, "--out", str(tmp_path), "--name", "ref"], launcher=ref_launcher,
                 LATTE_KEEP_EPOCHS="1")
    assert ref.returncode == 0, ref.stdout + ref.stderr
    run_dir = tmp_path / "k"
    for i, (kill, epoch) in enumerate(chain):
        args = [*options, "--out", str(tmp_path), "--name", "k"] if i == 0 else \
            ["--resume", str(run_dir), "--no-progress", "--no-plots"]
        proc = _train(args, kill, launcher)
        output = proc.stdout + proc.stderr
        if kill:
            assert proc.returncode != 0, f"{kill} did not kill the run:\n{output}"
        else:
            assert proc.returncode == 0, output
        if i:
            assert "Resuming" in proc.stdout, output
        assert _check_leftovers(run_dir) == epoch, f"after {kill}:\n{output}"
    assert_same_checkpoint(tmp_path / "ref" / "last.pt", run_dir / "last.pt", ignore=("config",))
    assert not list(run_dir.glob(".*.tmp")), "temporary files of killed runs were left behind"


@pytest.mark.parametrize("workers", [0, 2])
def test_latte_train_killed_anywhere_resumes_exactly(tmp_path, workers):
    chain = CHAIN if workers or os.environ.get("LATTE_SOAK") else SHORT_CHAIN
    _kill_and_resume(tmp_path, [*OPTIONS, "--workers", str(workers)], chain)


def test_latte_train_on_two_ranks_killed_anywhere_resumes_exactly(tmp_path):
    launcher = (mpiexec(), "-n", "2")
    _kill_and_resume(tmp_path, OPTIONS, MPI_CHAIN, launcher)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_user_loop_resumes_mid_epoch_exactly(tmp_path, workers):
    ref, killed = tmp_path / "ref", tmp_path / "k"
    ref.mkdir(), killed.mkdir()
    steps, workers = "20", str(workers)
    assert python("_user_loop.py", str(ref), steps, workers).returncode == 0
    # between backward and step 5; the 2nd checkpoint (step 9) torn; between backward and
    # step 16 (after the checkpoint of step 15); then to the end
    for kill in ("step:5", "write:2", "step:16", ""):
        proc = python("_user_loop.py", str(killed), steps, workers, LATTE_KILL_AT=kill)
        assert (proc.returncode != 0) == bool(kill), proc.stdout + proc.stderr
    assert_same_checkpoint(ref / "final.pt", killed / "final.pt")


def test_a_torn_write_leaves_the_previous_file_intact(tmp_path):
    # latte.save(obj, path) killed halfway through its temporary file: path still holds the
    # previous checkpoint, and the torn temporary file is refused by name
    target = tmp_path / "w.pt"
    latte.save({"w": latte.arange(1000.0)}, target)
    script = ("import io, os, signal, sys, latte, latte.serialization as s\n"
              "write = s._write_archive\n"
              "def torn(f, *a):\n"
              "    b = io.BytesIO(); write(b, *a); f.write(b.getvalue()[:3000]); f.flush()\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n"
              "s._write_archive = torn\n"
              "latte.save({'w': latte.zeros(1000)}, sys.argv[1])\n")
    proc = run([sys.executable, "-c", script, str(target)])
    assert proc.returncode != 0, proc.stderr
    assert latte.load(target)["w"].tolist() == list(range(1000))
    (torn,) = tmp_path.glob(".w.pt.*.tmp")
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        latte.load(torn)
