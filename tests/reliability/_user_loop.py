"""A plain user training loop that checkpoints every few steps and resumes mid-epoch.

``python _user_loop.py RUN_DIR STEPS WORKERS``: trains a small MLP with dropout on a shuffled
``DataLoader`` (``WORKERS`` worker processes, random noise added in the dataset) for ``STEPS``
optimizer steps, saving ``ckpt.pt`` every 3 steps with ``latte.save`` (model, optimizer, every
random state, and where in the epoch the run is) and ``final.pt`` at the end. When ``ckpt.pt``
exists it resumes from it: the epoch's loader generator is restored to its state at the start
of the epoch and the batches already trained on are skipped, so the draws repeat exactly.

``LATTE_KILL_AT=step:N`` SIGKILLs the process between backward and ``optimizer.step`` of step
``N``; ``write:N`` halfway through writing the ``N``-th checkpoint of this process.
"""
from __future__ import annotations

import io
import os
import random
import signal
import sys
from pathlib import Path

import numpy as np

import latte
import latte.serialization
from latte import nn, optim
from latte.train.checkpoint import get_rng_states, set_rng_states
from latte.utils.data import DataLoader, Dataset

CKPT_EVERY = 3


class NoisyBlobs(Dataset):
    """64 points of 4 classes; each read adds noise from the worker's NumPy generator."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.x = rng.normal(size=(64, 8)).astype(np.float32)
        self.y = (self.x[:, 0] > 0).astype(np.int64) + 2 * (self.x[:, 1] > 0)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> tuple:
        noise = np.random.normal(scale=0.1, size=8).astype(np.float32)
        return latte.tensor(self.x[i] + noise), int(self.y[i])


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_point() -> tuple[str, int]:
    point, _, n = os.environ.get("LATTE_KILL_AT", "").partition(":")
    return point, int(n or 0)


def _tear_writes(n: int) -> None:
    write, count = latte.serialization._write_archive, [0]

    def torn_write(f, *args, **kwargs):
        count[0] += 1
        buffer = io.BytesIO()
        write(buffer, *args, **kwargs)
        data = buffer.getvalue()
        f.write(data[:len(data) // 2] if count[0] == n else data)
        if count[0] == n:
            f.flush()
            os.fsync(f.fileno())
            _die()
    latte.serialization._write_archive = torn_write


def main(run_dir: Path, steps: int, workers: int) -> None:
    point, n = _kill_point()
    if point == "write":
        _tear_writes(n)
    latte.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 4))
    opt = optim.Adam(model.parameters(), lr=0.01)
    generator = latte.Generator().manual_seed(1)
    loader = DataLoader(NoisyBlobs(), batch_size=8, shuffle=True, num_workers=workers,
                        generator=generator)
    step, epoch, skip = 0, 0, 0
    epoch_start_state = generator.get_state()
    ckpt = run_dir / "ckpt.pt"
    if ckpt.exists():
        state = latte.load(ckpt)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, epoch, skip = state["step"], state["epoch"], state["batch"]
        epoch_start_state = state["loader_generator"]
        generator.set_state(epoch_start_state)
        pending_rng = state["rng"]  # restored once the skipped batches have been drawn
    while step < steps:
        batches = iter(loader)
        for batch, (x, y) in enumerate(batches):
            if batch < skip:  # trained on before the interruption: drawn again, not trained
                if batch == skip - 1:  # where the checkpoint was taken: go on from its state
                    set_rng_states(pending_rng)
                continue
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            step += 1
            if point == "step" and step == n:
                _die()
            opt.step()
            if step % CKPT_EVERY == 0:
                latte.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                            "step": step, "epoch": epoch, "batch": batch + 1,
                            "loader_generator": epoch_start_state, "rng": get_rng_states()},
                           ckpt)
            if step == steps:
                break
        else:
            epoch += 1
            epoch_start_state = generator.get_state()
        skip = 0
        del batches  # workers shut down before the next epoch's start
    latte.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                "rng": get_rng_states(), "generator": generator.get_state()},
               run_dir / "final.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
