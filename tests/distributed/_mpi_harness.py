"""Run a worker script of ``workers/`` under ``mpiexec``; skip when MPI is not installed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "workers"


def mpiexec() -> str:
    """The launcher, or a skip when mpi4py or mpiexec is missing."""
    pytest.importorskip("mpi4py", reason="needs the distributed extra: pip install "
                                         "latte[distributed]")
    from latte.distributed.launch import find_mpiexec
    try:
        return find_mpiexec()
    except RuntimeError as err:
        pytest.skip(str(err))


def mpirun(nproc: int, worker: str, *args: str, timeout: float = 60
           ) -> subprocess.CompletedProcess:
    """``mpiexec -n nproc python workers/<worker>.py *args`` with output captured."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    command = [mpiexec(), "-n", str(nproc), sys.executable, str(WORKERS / f"{worker}.py"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def check(result: subprocess.CompletedProcess, nproc: int) -> None:
    """The job exited cleanly and every rank reported that all its checks passed."""
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for rank in range(nproc):
        assert f"rank {rank} ok" in result.stdout, output
