"""CuPy as Latte's 'cuda' library: found once, lazily, by :func:`latte.backend.cuda_backend`."""
from __future__ import annotations

from typing import Any

import numpy

_INSTALL_HINT = ("Latte's 'cuda' device runs on CuPy: pip install 'latte[cuda12]' (CUDA 12) or "
                 "'latte[cuda13]' (CUDA 13) on a machine with an NVIDIA GPU")


class CupyBackend:
    """The operations of :class:`latte.backend.ArrayBackend` on CuPy."""

    name = "cupy"

    def __init__(self, cupy: Any) -> None:
        self.xp = cupy
        self.array_type = cupy.ndarray
        self._generators: dict[int, Any] = {}
        self._seed: int | None = None
        self._peaks: dict[int, int] | None = None  # per GPU, once peak tracking is installed

    def device_index(self, array: Any) -> int:
        return array.device.id

    def to_host(self, array: Any) -> numpy.ndarray:
        return array.get()

    def from_host(self, array: numpy.ndarray, index: int) -> Any:
        with self.xp.cuda.Device(index):
            return self.xp.asarray(array)

    def copy_to(self, array: Any, index: int) -> Any:
        with self.xp.cuda.Device(index):
            return self.xp.array(array, copy=True)

    def device_count(self) -> int:
        return self.xp.cuda.runtime.getDeviceCount()

    def current_device(self) -> int:
        return self.xp.cuda.Device().id

    def set_device(self, index: int) -> None:
        self.xp.cuda.Device(index).use()

    def synchronize(self, index: int) -> None:
        self.xp.cuda.Device(index).synchronize()

    def device_name(self, index: int) -> str:
        props = self.xp.cuda.runtime.getDeviceProperties(index)
        name = props["name"]
        return name.decode() if isinstance(name, bytes) else str(name)

    def manual_seed(self, seed: int) -> None:
        self._seed = int(seed)
        self._generators.clear()

    def generator(self, index: int) -> Any:
        """This GPU's random generator (CuPy's), seeded by ``latte.cuda.manual_seed``."""
        if index not in self._generators:
            with self.xp.cuda.Device(index):
                seed = None if self._seed is None else self._seed + index
                self._generators[index] = self.xp.random.default_rng(seed)
        return self._generators[index]


    # --- memory: CuPy's default pool ---------------------------------------------------------
    def _pool_bytes(self, index: int) -> tuple[int, int]:
        pool = self.xp.get_default_memory_pool()
        with self.xp.cuda.Device(index):
            return int(pool.used_bytes()), int(pool.total_bytes())

    def _track_peaks(self) -> dict:
        """Route CuPy's allocations through a wrapper of its pool that records the peak of
        ``used_bytes`` per GPU. Installed on the first question about peaks (CuPy keeps none),
        so allocations pay nothing until a program asks."""
        if self._peaks is None:
            pool = self.xp.get_default_memory_pool()
            peaks = self._peaks = {}
            runtime = self.xp.cuda.runtime

            def malloc(size: int) -> Any:
                memory = pool.malloc(size)
                used = pool.used_bytes()
                index = runtime.getDevice()
                if used > peaks.get(index, 0):
                    peaks[index] = used
                return memory
            self.xp.cuda.set_allocator(malloc)
        return self._peaks

    def memory_stats(self, index: int) -> dict:
        """``allocated``/``reserved`` bytes now, and the peak of ``allocated``."""
        used, total = self._pool_bytes(index)
        peaks = self._track_peaks()
        peak = max(peaks.get(index, 0), used)
        peaks[index] = peak
        return {"allocated": used, "allocated_peak": peak, "reserved": total}

    def reset_peak(self, index: int) -> None:
        self._track_peaks()[index] = self._pool_bytes(index)[0]


def probe() -> tuple[CupyBackend | None, str]:
    """CuPy's backend when CuPy imports and sees a GPU, else None and the reason in words."""
    try:
        import cupy
    except ImportError:
        return None, f"CuPy is not installed ({_INSTALL_HINT})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken: say what CuPy said
        return None, f"CuPy is installed but cannot reach a GPU ({type(e).__name__}: {e})"
    if count == 0:
        return None, "CuPy is installed but found no GPU"
    return CupyBackend(cupy), ""
