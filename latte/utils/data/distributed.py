"""``DistributedSampler``: each process of a data-parallel job reads its own share of a data set."""
from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import latte
from latte import distributed as dist
from latte.utils.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Split ``range(len(dataset))`` into ``num_replicas`` equal shares; process ``rank`` gets
    indices ``rank, rank + num_replicas, ...`` of one (shuffled) ordering.

    Every process shuffles with the same seed, ``seed + epoch``, so the shares never overlap:
    call ``set_epoch(epoch)`` before each epoch for a new order. When the length does not divide
    evenly, the ordering is padded by repeating its first indices (or, with ``drop_last``,
    its tail is dropped) so every process gets ``ceil(len / num_replicas)`` (or ``floor``)
    samples and therefore the same number of batches, as PyTorch.
    ``num_replicas`` and ``rank`` default to the world size and rank of ``latte.distributed``.

    Example::

        >>> # after init_process_group()
        >>> sampler = DistributedSampler(train_set)  # doctest: +SKIP
        >>> loader = DataLoader(train_set, batch_size=64, sampler=sampler)  # doctest: +SKIP
        >>> for epoch in range(10):  # doctest: +SKIP
        ...     sampler.set_epoch(epoch)
        ...     for x, y in loader: ...
    """

    def __init__(self, dataset: Sized, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler: pass num_replicas and rank, or call "
                                   "latte.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas}")
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = latte.Generator().manual_seed(self.seed + self.epoch)
            indices = latte.randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``epoch`` in the shuffling seed; call it before each epoch on every process."""
        self.epoch = epoch
