"""A job where rank 1 fails: ``raise`` (an uncaught exception) or ``stall`` (never joins the
collective, as a hung process); rank 0 waits in an all_reduce. The job must end, not hang."""
import sys
import time
from datetime import timedelta

import latte
import latte.distributed as dist

mode = sys.argv[1]
dist.init_process_group("mpi", timeout=timedelta(seconds=1 if mode == "stall" else 60))
if dist.get_rank() == 1:
    if mode == "raise":
        raise ValueError("rank 1 fails on purpose")
    time.sleep(60)
dist.all_reduce(latte.ones(3))
print("rank 0 passed a collective its peer never joined", flush=True)
