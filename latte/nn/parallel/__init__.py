"""Multi-process training: ``DistributedDataParallel`` and ``SyncBatchNorm`` over
``latte.distributed`` (MPI)."""
from latte.nn.parallel.distributed import DistributedDataParallel
from latte.nn.parallel.sync_batchnorm import SyncBatchNorm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]
