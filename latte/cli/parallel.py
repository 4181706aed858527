"""Data-parallel ``latte train``: relaunching under ``mpiexec`` and the per-process glue.

``latte train --nproc N`` starts ``mpiexec -n N python -m latte.cli train ...``; so does
typing ``mpiexec -n N latte train ...``. Each process then sees the launcher's world size in
its environment, joins the MPI process group, trains a ``DistributedDataParallel`` replica on
its ``DistributedSampler`` share of the training set and evaluates its shard of the
validation and test sets; ``MPIProcesses`` combines the metrics and the stop decisions so that
every process takes the same path through the loop.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from latte.train.loop import Replicas
from latte.train.metrics import MetricMeter
from latte.utils.data import Dataset, Subset

__all__ = ["launched_world_size", "relaunch", "OneProcess", "MPIProcesses", "start"]

# the world size MPI launchers put in each process's environment: MPICH/Hydra, Intel MPI and
# Slurm's PMI (PMI_SIZE), Open MPI, MVAPICH
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")


def launched_world_size() -> int:
    """How many processes the MPI launcher started (1 when not started by one).

    Read from the environment, so a plain ``latte train`` never imports or initialises MPI.
    """
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def relaunch(nproc: int, argv: Sequence[str]) -> int:
    """Run ``python -m latte.cli *argv`` in ``nproc`` MPI processes; returns the exit code.

    Ctrl-C is left to ``mpiexec``, which forwards it to every process: they finish the current
    batch and save, as a one-process run does. This process only waits for them.
    """
    from latte.distributed import launch
    # a Python handler, not SIG_IGN: exec() resets handlers, while an ignored SIGINT would be
    # inherited by mpiexec and the ranks
    previous = signal.signal(signal.SIGINT, lambda signum, frame: None)
    try:
        return launch.run(nproc, ["-m", "latte.cli", *argv])
    finally:
        signal.signal(signal.SIGINT, previous)


class OneProcess(Replicas):
    """A run in this process alone: no wrapping, no sharding."""

    rank, world_size = 0, 1

    def wrap(self, model: Any) -> Any:
        return model

    def sampler(self, dataset: Dataset, seed: int) -> Any:
        """The training sampler; None lets the DataLoader shuffle."""
        return None

    def shard(self, dataset: Dataset) -> Dataset:
        """This process's part of an evaluation set."""
        return dataset

    def abort(self, code: int) -> None:
        """Nothing to take down: the caller returns ``code``."""

    def close(self) -> None:
        pass


class MPIProcesses(OneProcess):
    """One of the processes of an ``mpiexec`` job (``init_process_group`` on creation)."""

    def __init__(self, timeout: timedelta | None = None) -> None:
        import latte.distributed as dist
        self._dist = dist
        dist.init_process_group("mpi", timeout=timeout)
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        self.is_main = self.rank == 0

    def wrap(self, model: Any) -> Any:
        from latte.nn.parallel import DistributedDataParallel
        return DistributedDataParallel(model)

    def sampler(self, dataset: Dataset, seed: int) -> Any:
        from latte.utils.data import DistributedSampler
        return DistributedSampler(dataset, seed=seed)

    def shard(self, dataset: Dataset) -> Dataset:
        # strided and unpadded: every example is evaluated exactly once over the processes
        return Subset(dataset, list(range(self.rank, len(dataset), self.world_size)))

    def merge(self, meter: MetricMeter) -> None:
        """Sum the meter's counts over processes through ``all_gather``, then add the rows in
        rank order: the totals are bitwise identical everywhere, so are the decisions."""
        import latte
        ks = sorted(meter.topk_hits)
        confusion = meter.confusion if meter.confusion is not None else np.zeros(0, np.int64)
        local = np.concatenate([[meter.count, meter.loss_sum, meter.correct],
                                [meter.topk_hits[k] for k in ks],
                                confusion.ravel()]).astype(np.float64)
        gathered = latte.zeros(self.world_size * local.size, dtype=latte.float64)
        self._dist.all_gather_into_tensor(gathered, latte.tensor(local))
        total = gathered.numpy().reshape(self.world_size, local.size).sum(0)
        meter.count, meter.loss_sum, meter.correct = int(total[0]), float(total[1]), int(total[2])
        meter.topk_hits = {k: int(v) for k, v in zip(ks, total[3:3 + len(ks)])}
        if meter.confusion is not None:
            meter.confusion = np.rint(total[3 + len(ks):]).astype(np.int64).reshape(
                meter.confusion.shape)

    def agree(self, stop: bool) -> bool:
        import latte
        flag = latte.tensor([int(stop)], dtype=latte.int32)
        self._dist.all_reduce(flag, op=self._dist.ReduceOp.MAX)
        return bool(flag.item())

    def abort(self, code: int) -> None:
        """End every process of the job now: the others may be waiting in a collective."""
        from latte.distributed import _mpi
        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(0.2)  # mpiexec drops output still in the pipes once the abort tears down
        _mpi.mpi().COMM_WORLD.Abort(code)

    def close(self) -> None:
        self._dist.destroy_process_group()


def start(nproc: int | None) -> OneProcess:
    """The processes of this run: ``MPIProcesses`` under an MPI launcher with more than one
    process, else ``OneProcess``; ``--nproc``, when given, must agree with the launcher."""
    size = launched_world_size()
    if nproc is not None and size > 1 and nproc != size:
        raise ValueError(f"--nproc {nproc}, but mpiexec started {size} processes; give one or "
                         f"the other")
    return MPIProcesses() if size > 1 else OneProcess()
