"""Datasets of the reliability tests, at module level so worker processes can unpickle them."""
from __future__ import annotations

import os
import signal
import time

import numpy as np

import latte
from latte.utils.data import Dataset


class Slow(Dataset):
    """``n`` samples ``(i, pid)``, each taking ``delay`` seconds: an epoch long enough to kill a
    worker in the middle of it."""

    def __init__(self, n: int = 64, delay: float = 0.02) -> None:
        self.n, self.delay = n, delay

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple:
        time.sleep(self.delay)
        return i, os.getpid()


class KillsItself(Dataset):
    """Sample ``victim`` SIGKILLs the worker process that loads it (once: a marker file says it
    happened, so a fresh iterator then loads every sample)."""

    def __init__(self, n: int, victim: int, marker: str) -> None:
        self.n, self.victim, self.marker = n, victim, marker

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if i == self.victim and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class Big(Dataset):
    """Samples of ``size`` float32 values: a few batches fill a pipe."""

    def __init__(self, n: int = 32, size: int = 1 << 16) -> None:
        self.n, self.size = n, size

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> latte.Tensor:
        return latte.tensor(np.full(self.size, float(i), dtype=np.float32))


class Tiny(Dataset):
    """16 samples of 4 values with a random draw per read (the worker's seeded NumPy)."""

    def __len__(self) -> int:
        return 16

    def __getitem__(self, i: int) -> tuple:
        return latte.tensor(np.random.normal(size=4).astype(np.float32)), i % 2
