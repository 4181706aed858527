"""Helpers of the reliability tests: run a script as its own process, compare saved states bit
for bit, and find ``mpiexec`` (or skip)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import latte

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def env(**extra: str) -> dict[str, str]:
    """The environment of a child process: one BLAS thread, this checkout importable."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                PYTHONUNBUFFERED="1", PYTHONPATH=path, **extra)


def run(command: list[str], timeout: float = 120, **extra: str) -> subprocess.CompletedProcess:
    """Run ``command`` with output captured; the deadline catches a hang."""
    return subprocess.run(command, capture_output=True, text=True, env=env(**extra),
                          timeout=timeout)


def python(script: str, *args: str, timeout: float = 120, **extra: str
           ) -> subprocess.CompletedProcess:
    """``python tests/reliability/<script> args`` as its own process."""
    return run([sys.executable, str(HERE / script), *args], timeout=timeout, **extra)


def mpiexec() -> str:
    """The MPI launcher, or a skip when mpi4py or mpiexec is missing."""
    pytest.importorskip("mpi4py", reason="needs the distributed extra: pip install "
                                         "latte[distributed]")
    from latte.distributed.launch import find_mpiexec
    try:
        return find_mpiexec()
    except RuntimeError as err:
        pytest.skip(str(err))


def _without_time(value: Any) -> Any:
    # history rows carry each epoch's wall time: the one thing a resumed run may not repeat
    if isinstance(value, str) and value.startswith("[{"):
        return [{k: v for k, v in row.items() if k != "time"} for row in json.loads(value)]
    return value


def differences(a: Any, b: Any, path: str = "", ignore: tuple[str, ...] = ()) -> list[str]:
    """Where two loaded checkpoints differ: tensors bit for bit (dtype and shape included),
    everything else by ``==``; keys in ``ignore`` are skipped."""
    if isinstance(a, latte.Tensor):
        same = (isinstance(b, latte.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a.numpy(), b.numpy(), equal_nan=True))
        return [] if same else [path]
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            return [f"{path}: keys differ"]
        return [d for k in a if k not in ignore
                for d in differences(a[k], b[k], f"{path}/{k}", ignore)]
    if isinstance(a, (list, tuple)):
        if not isinstance(b, (list, tuple)) or len(a) != len(b):
            return [f"{path}: lengths differ"]
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in differences(x, y, f"{path}[{i}]", ignore)]
    a, b = _without_time(a), _without_time(b)
    return [] if a == b else [f"{path}: {a!r:.80} != {b!r:.80}"]


def assert_same_checkpoint(expected: Path, got: Path, ignore: tuple[str, ...] = ()) -> None:
    """``got`` holds bit for bit what ``expected`` holds (model, optimizer, RNG states ...)."""
    diffs = differences(latte.load(expected), latte.load(got), ignore=ignore)
    assert not diffs, f"{got} differs from {expected} at: {diffs}"
