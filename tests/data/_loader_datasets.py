"""Datasets for the DataLoader worker tests, at module level so ``spawn`` workers can import
them (a spawned worker unpickles the dataset by module and class name)."""
from __future__ import annotations

import os
import random
import time

import numpy as np

import latte
from latte.utils.data import Dataset, IterableDataset, get_worker_info


class PidDataset(Dataset):
    """Sample ``i`` is ``(i, pid of the process that loaded it)``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple:
        return latte.tensor([float(i), float(i) * 2]), i, os.getpid()


class SeedDataset(Dataset):
    """Sample ``i`` records the worker and what its seeded RNGs produce."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        info = get_worker_info()
        return {"worker": -1 if info is None else info.id,
                "seed": -1 if info is None else info.seed,
                "latte": latte.rand(1).item(),
                "random": random.random(),
                "numpy": float(np.random.rand())}


class FailingDataset(Dataset):
    """Raises ``ValueError`` at index ``bad``."""

    def __init__(self, n: int, bad: int) -> None:
        self.n, self.bad = n, bad

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        if i == self.bad:
            raise ValueError(f"sample {i} is broken on purpose")
        return i


class KeyErrorDataset(FailingDataset):
    def __getitem__(self, i: int) -> int:
        return {}[f"missing-{i}"]


class DyingDataset(FailingDataset):
    """The worker process exits abruptly at index ``bad``."""

    def __getitem__(self, i: int) -> int:
        if i == self.bad and get_worker_info() is not None:
            os._exit(3)
        return i


class UnpicklableDataset(FailingDataset):
    """Samples that cannot be sent back from a worker (a local function)."""

    def __getitem__(self, i: int) -> object:
        return lambda: i


class SlowDataset(PidDataset):
    """Each sample takes ``delay`` seconds."""

    def __init__(self, n: int, delay: float) -> None:
        super().__init__(n)
        self.delay = delay

    def __getitem__(self, i: int) -> int:
        time.sleep(self.delay)
        return i


_init_marker = None


def mark_worker(worker_id: int) -> None:
    """A ``worker_init_fn``: leaves a trace that the worker's samples report."""
    global _init_marker
    _init_marker = 100 + worker_id


def failing_init(worker_id: int) -> None:
    raise RuntimeError(f"init of worker {worker_id} failed on purpose")


class InitMarkerDataset(PidDataset):
    def __getitem__(self, i: int) -> tuple:
        return i, -1 if _init_marker is None else _init_marker


class ShardedRange(IterableDataset):
    """``range(n)`` split between workers with ``get_worker_info``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


class UnshardedRange(ShardedRange):
    """``range(n)`` in every worker (no sharding): each sample comes once per worker."""

    def __iter__(self):
        return iter(range(self.n))
