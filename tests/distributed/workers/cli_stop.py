"""``fit`` on 2 processes where only rank 1 asks to stop (as a Ctrl-C reaching one process):
both must leave at the same batch and only rank 0 writes; prints ``rank R ok``.

Usage: ``mpiexec -n 2 python cli_stop.py RUN_DIR``
"""
import sys
from pathlib import Path

import latte
from latte import nn, optim
from latte.cli.parallel import MPIProcesses
from latte.train import StopFlag, fit, seed_everything
from latte.utils.data import DataLoader, TensorDataset

run_dir = Path(sys.argv[1])
procs = MPIProcesses()
seed_everything(0)
x, y = latte.randn(256, 4), latte.randint(0, 3, (256,))
data = TensorDataset(x, y)
model = procs.wrap(nn.Linear(4, 3))
stop = StopFlag()
steps = []


def loss_fn(output, target):
    steps.append(1)
    if procs.rank == 1 and len(steps) == 5:  # in epoch 2: batches 1-4 make epoch 1
        stop.set()
    return nn.functional.cross_entropy(output, target)


loader = DataLoader(data, batch_size=32, sampler=procs.sampler(data, seed=0))
result = fit(model, loader, loss_fn, optim.SGD(model.parameters(), lr=0.1), epochs=3,
             run_dir=run_dir, stop=stop, replicas=procs, show_progress=False)
assert result.interrupted and result.epochs_done == 1, result
assert len(steps) == 5, f"rank {procs.rank} trained {len(steps)} batches"
procs.close()
print(f"rank {procs.rank} ok", flush=True)
