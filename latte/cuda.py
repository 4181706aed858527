"""``latte.cuda``: the GPUs Latte can use, through CuPy (``pip install 'latte[cuda12]'``).

Without CuPy or without a GPU everything here answers as PyTorch does on a CPU-only machine:
``is_available()`` is False, ``device_count()`` is 0 and seeding is accepted and ignored.
"""
from __future__ import annotations

from typing import Any

from latte import backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "manual_seed", "manual_seed_all", "seed", "empty_cache"]


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return backend.cuda_backend() is not None


def device_count() -> int:
    """The number of GPUs (0 without CuPy)."""
    gpu = backend.cuda_backend()
    return 0 if gpu is None else gpu.device_count()


def _gpu() -> Any:
    backend.parse_device("cuda")  # raises the install/no-GPU explanation
    return backend.cuda_backend()


def _index(device: Any) -> int:
    return backend.parse_device("cuda" if device is None else device).index


def current_device() -> int:
    """The index of the GPU that ``'cuda'`` means."""
    return _gpu().current_device()


def set_device(device: Any) -> None:
    """Make ``device`` (an index or ``'cuda:N'``) the one that ``'cuda'`` means."""
    _gpu().set_device(_index(device))


def synchronize(device: Any = None) -> None:
    """Wait for the GPU's queued work to finish (timing needs it: kernels run asynchronously)."""
    gpu = backend.cuda_backend()
    if gpu is not None:
        gpu.synchronize(_index(device))


def get_device_name(device: Any = None) -> str:
    return _gpu().device_name(_index(device))


def manual_seed(seed: int) -> None:
    """Seed the GPUs' generators (dropout masks drawn on the GPU); ignored without a GPU."""
    gpu = backend.cuda_backend() if backend._cuda_probed else None
    if gpu is not None:
        gpu.manual_seed(seed)


manual_seed_all = manual_seed


def seed() -> None:
    """Accepted for PyTorch compatibility; GPU generators are seeded by ``manual_seed``."""


def empty_cache() -> None:
    """Return CuPy's cached blocks of GPU memory to the driver."""
    gpu = backend.cuda_backend() if backend._cuda_probed else None
    if gpu is not None and gpu.name == "cupy":
        gpu.xp.get_default_memory_pool().free_all_blocks()
