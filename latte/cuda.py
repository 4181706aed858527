"""``latte.cuda``: the GPUs Latte can use, through CuPy (``pip install 'latte[cuda12]'``).

Without CuPy or without a GPU everything here answers as PyTorch does on a CPU-only machine:
``is_available()`` is False, ``device_count()`` is 0 and seeding is accepted and ignored.
"""
from __future__ import annotations

from typing import Any

from latte import backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "get_device_name", "manual_seed", "manual_seed_all", "seed", "empty_cache",
           "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "reset_peak_memory_stats", "reset_max_memory_allocated", "memory_stats",
           "memory_summary"]


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


# --- memory: the GPU library's pool (CuPy's default pool) ---------------------------------------
def memory_stats(device: Any = None) -> dict:
    """PyTorch's keys for the bytes held by tensors (``allocated_bytes.all.current``/``peak``)
    and by the pool (``reserved_bytes.all.current``); empty without a GPU, as PyTorch's."""
    gpu = backend.cuda_backend() if backend._cuda_probed or device is not None else None
    if gpu is None or not hasattr(gpu, "memory_stats"):
        return {}
    stats = gpu.memory_stats(_index(device))
    return {"allocated_bytes.all.current": stats["allocated"],
            "allocated_bytes.all.peak": stats["allocated_peak"],
            "reserved_bytes.all.current": stats["reserved"],
            "reserved_bytes.all.peak": max(stats["reserved"], stats["allocated_peak"])}


def memory_allocated(device: Any = None) -> int:
    """Bytes of GPU memory held by arrays now (0 without a GPU)."""
    return memory_stats(device).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device: Any = None) -> int:
    """The most bytes held by arrays at once since the start or ``reset_peak_memory_stats``.

    CuPy records no peak: Latte starts recording at the first call of this function or of
    ``reset_peak_memory_stats`` (call ``reset_peak_memory_stats()`` before the code measured).
    """
    return memory_stats(device).get("allocated_bytes.all.peak", 0)


def memory_reserved(device: Any = None) -> int:
    """Bytes the pool holds from the driver (allocated plus cached free blocks)."""
    return memory_stats(device).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device: Any = None) -> int:
    return memory_stats(device).get("reserved_bytes.all.peak", 0)


def reset_peak_memory_stats(device: Any = None) -> None:
    """Start measuring ``max_memory_allocated`` from the memory held now."""
    gpu = backend.cuda_backend() if backend._cuda_probed or device is not None else None
    if gpu is not None and hasattr(gpu, "reset_peak"):
        gpu.reset_peak(_index(device))


reset_max_memory_allocated = reset_peak_memory_stats


def memory_summary(device: Any = None, abbreviated: bool = False) -> str:
    """A short table of the counters above, in MiB, as ``torch.cuda.memory_summary``."""
    stats = memory_stats(device)
    if not stats:
        return "No GPU: no CUDA memory in use.\n"
    rows = [("Allocated memory", stats["allocated_bytes.all.current"],
             stats["allocated_bytes.all.peak"]),
            ("Reserved memory", stats["reserved_bytes.all.current"],
             stats["reserved_bytes.all.peak"])]
    name = "cuda" if device is None else str(backend.parse_device(device))
    lines = [f"|{'Latte CUDA memory summary, device ' + name:^58}|",
             f"|{'':-^58}|", f"| {'Metric':<26}| {'Cur Usage':>13} | {'Peak Usage':>13} |"]
    for label, current, peak in rows:
        lines.append(f"| {label:<26}| {current / 2**20:>9.2f} MiB | {peak / 2**20:>9.2f} MiB |")
    return "\n".join(lines) + "\n"
