"""Start a data-parallel job: ``run(nproc, argv)`` runs ``mpiexec -n nproc python *argv``.

Used by ``latte train --nproc N``; equivalent to typing ``mpiexec -n N python train.py ...``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

from latte.distributed._mpi import INSTALL_HINT

__all__ = ["find_mpiexec", "run"]


def find_mpiexec() -> str:
    """The ``mpiexec`` beside this Python (the MPICH wheel puts it in the environment's ``bin``),
    else the first on ``PATH`` (a cluster's Open MPI or MPICH)."""
    local = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.access(local, os.X_OK):
        return local
    found = shutil.which("mpiexec")
    if found is None:
        raise RuntimeError(f"mpiexec not found beside {sys.executable} nor on PATH; "
                           f"{INSTALL_HINT}")
    return found


def run(nproc: int, argv: Sequence[str], *, timeout: float | None = None) -> int:
    """Run ``python *argv`` in ``nproc`` MPI processes on this machine and return the exit code.

    Each process gets ``OMP_NUM_THREADS`` (and the OpenBLAS/MKL equivalents) set to its share of
    the CPU cores unless already set, so processes do not oversubscribe the cores with BLAS
    threads.

    Example::

        >>> from latte.distributed import launch
        >>> launch.run(2, ["train.py", "--epochs", "3"])   # mpiexec -n 2 python train.py ...
        0
    """
    if nproc < 1:
        raise ValueError(f"run: nproc must be at least 1, got {nproc}")
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // nproc))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, threads)
    command = [find_mpiexec(), "-n", str(nproc), sys.executable, *argv]
    return subprocess.run(command, env=env, timeout=timeout).returncode
