"""Seeded randomness: ``Generator``, ``manual_seed``, RNG state, and the random tensor makers.

Every random function draws from a ``Generator`` (NumPy's PCG64 underneath): the one passed as
``generator=``, or the default one that ``latte.manual_seed`` reseeds. The state is a uint8
tensor, so checkpoints can store it and ``set_rng_state`` can restore it exactly.
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from latte import backend, cuda, dtypes
from latte.autograd import function

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
           "default_generator", "fork_rng"]


class Generator:
    """A source of random numbers with its own seed and state, as ``torch.Generator``."""

    def __init__(self, device: Any = "cpu") -> None:
        self.device = device
        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> Generator:
        """Reset the generator so the same draws repeat."""
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF  # PyTorch accepts negatives modulo 2**64
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy and return the seed used."""
        seed = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Any:
        """The full state as a uint8 tensor."""
        state = {"seed": self._seed, "bit_generator": self._rng.bit_generator.state}
        raw = json.dumps(state).encode()
        return function.Tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state: Any) -> Generator:
        """Restore a state from ``get_state``."""
        raw = bytes(np.asarray(getattr(state, "_data", state), dtype=np.uint8).tobytes())
        try:
            decoded = json.loads(raw.decode())
            bit_state = decoded["bit_generator"]
        except (ValueError, KeyError, UnicodeDecodeError):
            raise RuntimeError("invalid RNG state: expected a tensor from get_rng_state()") \
                from None
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = bit_state
        self._seed, self._rng = decoded["seed"], rng
        return self

    def __getstate__(self) -> dict:
        return {"device": self.device, "state": self.get_state()._data}

    def __setstate__(self, state: dict) -> None:
        self.device = state["device"]
        self.set_state(state["state"])


default_generator = Generator()


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator and the GPUs': runs after ``latte.manual_seed(0)`` repeat."""
    cuda.manual_seed_all(seed)
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the OS's entropy; returns the seed used."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with (by ``manual_seed`` or ``seed``)."""
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """The default generator's state, a uint8 tensor (store it in checkpoints)."""
    return default_generator.get_state()


def set_rng_state(state: Any) -> None:
    """Restore the default generator from ``get_rng_state()``."""
    default_generator.set_state(state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """A block whose random draws leave the default generator as it was: its state is saved
    on entry and restored on exit (``enabled=False``: nothing is saved). Latte draws for every
    device from the one default generator, so ``devices`` needs no GPU list.

    Example::

        >>> with latte.random.fork_rng():
        ...     noise = latte.rand(3)       # the draws after the block are unchanged
    """
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# --- raw draws used by the tensor makers and the in-place fills ------------------------------
def _uniform(shape: tuple, low: float, high: float, generator: Any,
             dtype: Any = np.float64) -> np.ndarray:
    """Uniform draws in ``[low, high)``; float32 is drawn directly (no float64 temporary)."""
    if np.dtype(dtype) == np.float32:
        out = _rng(generator).random(shape, dtype=np.float32)
        out *= high - low
        out += low
        return out
    return _rng(generator).uniform(low, high, size=shape)


def _normal(shape: tuple, mean: float, std: float, generator: Any,
            dtype: Any = np.float64) -> np.ndarray:
    """Normal draws; float32 is drawn directly (big layers initialise without a float64 copy)."""
    if np.dtype(dtype) == np.float32:
        out = _rng(generator).standard_normal(shape, dtype=np.float32)
        out *= std
        out += mean
        return out
    return _rng(generator).normal(mean, std, size=shape)


def _uniform_on(like: Any, shape: tuple, dtype: Any) -> Any:
    """Uniform draws in ``[0, 1)`` on the device of the array ``like``: the default generator on
    the CPU, the GPU's own generator on a GPU (masks never cross to the host)."""
    if type(like) is np.ndarray:
        return default_generator._rng.random(shape, dtype=dtype)
    gpu = backend.cuda_backend()
    return gpu.generator(backend.device_of(like).index).random(shape, dtype=dtype)


def _integers(low: int, high: Any, shape: tuple, generator: Any) -> np.ndarray:
    if high is None:
        low, high = 0, low
    return _rng(generator).integers(low, high, size=shape)


def _float_dtype(dtype: Any) -> np.dtype:
    return dtypes.get_default_dtype().np if dtype is None else dtypes.to_numpy_dtype(dtype)
