"""Start a data-parallel job: ``run(nproc, argv)`` runs ``mpiexec -n nproc python *argv``.

Used by ``latte train --nproc N``; equivalent to typing ``mpiexec -n N python train.py ...``.
``run_torch_script`` starts a PyTorch script as torchrun would (``latte run --nproc N``,
``python -m latte.distributed.run``), and :func:`torchrun_environment` gives each process the
variables torchrun sets, read from the MPI launcher's.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from latte.distributed import _rank_watch
from latte.distributed._mpi import INSTALL_HINT

__all__ = ["find_mpiexec", "run", "run_torch_script", "torchrun_environment"]


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
        >>> # mpiexec -n 2 python train.py ...
        >>> launch.run(2, ["train.py", "--epochs", "3"])  # doctest: +SKIP
        0
    """
    return _mpiexec(nproc, argv, {}, timeout)


def _mpiexec(nproc: int, argv: Sequence[str], extra_env: dict[str, str],
             timeout: float | None) -> int:
    if nproc < 1:
        raise ValueError(f"run: nproc must be at least 1, got {nproc}")
    env = dict(os.environ, **extra_env)
    threads = str(max(1, (os.cpu_count() or 1) // nproc))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, threads)
    command = [find_mpiexec(), "-n", str(nproc), sys.executable, *argv]
    with tempfile.TemporaryDirectory(prefix="latte-ranks-") as folder:
        env[_rank_watch.ENV] = folder
        watcher = _rank_watch.Watcher(folder)
        try:
            code = subprocess.run(command, env=env, timeout=timeout).returncode
        finally:
            watcher.stop()
        if code != 0:
            _report_dead_ranks(watcher.first_unclean(), nproc)
    return code


def _report_dead_ranks(dead: list[tuple[int, int]], nproc: int) -> None:
    """Name the ranks that ended first without a clean exit: mpiexec's own report gives a
    process id, often of a rank it stopped itself."""
    if not dead:
        return
    names = ", ".join(f"rank {rank} (pid {pid})" for rank, pid in dead)
    others = nproc - len(dead)
    print(f"latte.distributed.launch: {names} ended without a clean exit (killed by a signal, "
          f"e.g. by the out-of-memory killer, or crashed); mpiexec then stopped the other "
          f"{others} process{'es' if others != 1 else ''}", file=sys.stderr, flush=True)


DEFAULT_MASTER_PORT = 29500  # torchrun's


def free_port() -> int:
    """A TCP port free on this machine now (torchrun --standalone picks one the same way)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_torch_script(nproc: int, script: str, args: Sequence[str] = (), *,
                     master_addr: str = "127.0.0.1", master_port: int | None = None,
                     timeout: float | None = None) -> int:
    """Run a PyTorch script written for torchrun in ``nproc`` processes under ``latte run``.

    Each process has ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``,
    ``MASTER_ADDR`` and ``MASTER_PORT`` set (:func:`torchrun_environment`); the script's
    ``init_process_group("gloo" | "nccl" | "mpi")`` then joins the MPI job.

    Example::

        >>> run_torch_script(2, "train_ddp.py", ["--epochs", "1"])  # doctest: +SKIP
        0
    """
    port = master_port if master_port is not None else free_port()
    env = {"MASTER_ADDR": master_addr, "MASTER_PORT": str(port)}
    return _mpiexec(nproc, ["-m", "latte.compat", script, *args], env, timeout)


# (rank, size, local rank, local size) as MPICH's Hydra and Open MPI's mpirun name them
_MPI_VARIABLES = (("PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"),
                  ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
                   "OMPI_COMM_WORLD_LOCAL_SIZE"),
                  ("PMIX_RANK", "PMIX_SIZE", "PMIX_LOCAL_RANK", "PMIX_LOCAL_SIZE"))


def torchrun_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables torchrun sets, for a process started by ``mpiexec``: ``RANK``,
    ``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``, ``GROUP_RANK``, ``MASTER_ADDR`` and
    ``MASTER_PORT`` (those already set are kept, the ranks come from MPI's own variables).
    Empty outside an MPI job. Reads the environment only: MPI is not initialised.

    Example::

        >>> torchrun_environment({"PMI_RANK": "1", "PMI_SIZE": "2"})["RANK"]
        '1'
    """
    env = os.environ if environ is None else environ
    for rank, size, local_rank, local_size in _MPI_VARIABLES:
        if rank in env and size in env:
            return {"RANK": env[rank], "WORLD_SIZE": env[size],
                    "LOCAL_RANK": env.get(local_rank, env[rank]),
                    "LOCAL_WORLD_SIZE": env.get(local_size, env[size]),
                    "GROUP_RANK": env.get("GROUP_RANK", "0"),
                    "MASTER_ADDR": env.get("MASTER_ADDR", "127.0.0.1"),
                    "MASTER_PORT": env.get("MASTER_PORT", str(DEFAULT_MASTER_PORT))}
    return {}
