"""``latte.cuda``: queries about GPUs. This build runs on the CPU; the GPU device comes later."""
from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """False: Latte has no CUDA device in this build."""
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Accepted and ignored without a GPU, as PyTorch does."""


manual_seed_all = manual_seed


def synchronize(device: Any = None) -> None:
    """Nothing to wait for on the CPU."""
