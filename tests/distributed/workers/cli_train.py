"""``latte train`` as one process of an ``mpiexec`` job, then a check that every process ends
with the same parameters (rank 0's are the checkpoint); prints ``rank R ok``.

Usage: ``mpiexec -n N python cli_train.py TRAIN_OPTIONS...``
"""
import sys

import numpy as np
from mpi4py import MPI

import latte.cli.runner as runner
from latte.cli.main import main

models = []
fit = runner.fit


def capture(model, *args, **kwargs):
    models.append(model)
    return fit(model, *args, **kwargs)


runner.fit = capture
assert main(["train", *sys.argv[1:]]) == 0
comm = MPI.COMM_WORLD
(model,) = models
assert type(model).__name__ == "DistributedDataParallel", type(model)
flat = np.concatenate([p.detach().numpy().ravel() for p in model.module.parameters()])
everyone = comm.allgather(flat)
for rank, other in enumerate(everyone):
    assert np.array_equal(other, flat), f"rank {rank} holds other parameters"
print(f"rank {comm.Get_rank()} ok", flush=True)
