"""A DDP job in which one rank is SIGKILLed: ``python _dying_rank.py RANK`` under ``mpiexec``.

Every rank trains a small ``DistributedDataParallel`` model; after 3 steps rank ``RANK`` kills
itself (as the out-of-memory killer would) while the others go on into the next gradient
all-reduce, where they would wait for ever if nothing ended them.
"""
import os
import signal
import sys

import latte
import latte.distributed as dist
from latte import nn
from latte.nn.parallel import DistributedDataParallel

victim = int(sys.argv[1])
dist.init_process_group("mpi")
latte.manual_seed(0)
model = DistributedDataParallel(nn.Linear(4, 2))
opt = latte.optim.SGD(model.parameters(), lr=0.1)
for step in range(1000):
    if step == 3 and dist.get_rank() == victim:
        print(f"rank {victim} kills itself", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    opt.zero_grad()
    model(latte.randn(8, 4)).sum().backward()
    opt.step()
print(f"rank {dist.get_rank()} finished 1000 steps", flush=True)
