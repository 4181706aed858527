"""Data loading with ``torch.utils.data``'s API: datasets, samplers, collation, ``DataLoader``.

Example::

    >>> from latte.utils.data import DataLoader, TensorDataset, random_split
    >>> ds = TensorDataset(latte.randn(1000, 784), latte.randint(0, 10, (1000,)))
    >>> train, val = random_split(ds, [0.9, 0.1])
    >>> for x, y in DataLoader(train, batch_size=64, shuffle=True, num_workers=2):  # doctest: +SKIP
    ...     ...
"""
from latte.utils.data._worker import WorkerInfo, get_worker_info
from latte.utils.data.collate import default_collate, default_convert
from latte.utils.data.dataloader import DataLoader
from latte.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from latte.utils.data.distributed import DistributedSampler
from latte.utils.data.gathered import GatheredSamples, gather_rows
from latte.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler",
           "GatheredSamples", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "WorkerInfo", "default_collate", "default_convert",
           "gather_rows", "get_worker_info", "random_split"]
