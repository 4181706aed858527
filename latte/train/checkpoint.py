"""Checkpoints that survive interruptions: atomic writes and the full random state.

A checkpoint is a dict saved with ``latte.save`` (PyTorch's file format)::

    {"model": state_dict, "optimizer": ..., "scheduler": ... or None, "epoch": 3,
     "rng": {"latte": uint8 tensor, "numpy": str, "python": str}, "config": {...}, ...}

``save_atomic`` writes to a temporary file in the same folder and renames it over the target
with ``os.replace``, which is atomic on POSIX and Windows: a crash, a Ctrl-C or a SIGKILL
mid-write leaves the previous checkpoint intact and never a truncated one (the next save removes
the temporary files of writers that died).
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import numpy as np

import latte
from latte.train import _atomic

__all__ = ["save_atomic", "load_checkpoint", "get_rng_states", "set_rng_states", "seed_everything"]


def save_atomic(obj: Any, path: str | os.PathLike) -> Path:
    """``latte.save(obj, path)`` through a temporary file and ``os.replace``.

    Example::

        >>> save_atomic({"model": model.state_dict(), "epoch": 3},
        ...             "runs/mlp/last.pt")  # doctest: +SKIP
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic.remove_stale_temps(path)
    tmp = _atomic.temp_path(path)
    try:
        with open(tmp, "wb") as f:
            latte.save(obj, f)
            f.flush()
            os.fsync(f.fileno())  # the data must be on disk before the rename makes it visible
        _atomic.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by ``save_atomic``, with clear errors for missing/bad files."""
    path = Path(path)
    if path.is_dir():
        path = path / "last.pt"
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        ckpt = latte.load(path)
    except Exception as e:  # noqa: BLE001 - any decoding failure means the same to the user
        raise RuntimeError(f"{path} is not a readable checkpoint: {e}") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt:
        raise RuntimeError(f"{path} is not a latte training checkpoint (no 'model' entry); "
                           f"to load bare weights use model.load_state_dict(latte.load(path))")
    return ckpt


def seed_everything(seed: int) -> None:
    """Seed latte's default generator, NumPy's global generator and Python's ``random``."""
    latte.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def get_rng_states() -> dict[str, Any]:
    """Every random state a run may draw from, in a form ``latte.save`` can store."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    return {"latte": latte.get_rng_state(),
            "numpy": json.dumps([kind, keys.tolist(), pos, has_gauss, gauss]),
            "python": json.dumps(random.getstate())}


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore the states from ``get_rng_states``: the run continues with the same draws."""
    latte.set_rng_state(states["latte"])
    kind, keys, pos, has_gauss, gauss = json.loads(states["numpy"])
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, gauss))
    version, internal, gauss_next = json.loads(states["python"])
    random.setstate((version, tuple(internal), gauss_next))
