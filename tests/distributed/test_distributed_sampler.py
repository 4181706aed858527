"""DistributedSampler: shares, padding, drop_last and epochs, against PyTorch's semantics."""
import math

import pytest

from latte.utils.data import DataLoader, DistributedSampler


def shares(n, world, **kwargs):
    return [list(DistributedSampler(range(n), num_replicas=world, rank=r, **kwargs))
            for r in range(world)]


@pytest.mark.parametrize("n, world", [(10, 2), (10, 3), (7, 4), (3, 5), (1, 2), (12, 4)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_each_epoch_covers_the_data_set_with_equal_shares(n, world, shuffle):
    parts = shares(n, world, shuffle=shuffle, seed=5)
    sizes = {len(p) for p in parts}
    assert sizes == {math.ceil(n / world)}
    everything = [i for p in parts for i in p]
    assert sorted(set(everything)) == list(range(n))
    # padding repeats the ordering's first indices, so each index appears at most
    # ceil(total / n) times
    assert max(everything.count(i) for i in range(n)) <= math.ceil(len(everything) / n)


@pytest.mark.parametrize("n, world", [(10, 3), (7, 4), (12, 4), (5, 2)])
def test_drop_last_gives_disjoint_equal_shares(n, world):
    parts = shares(n, world, shuffle=True, drop_last=True)
    everything = [i for p in parts for i in p]
    assert {len(p) for p in parts} == {n // world}
    assert len(set(everything)) == len(everything) == (n // world) * world


def test_set_epoch_reshuffles_identically_on_every_rank():
    samplers = [DistributedSampler(range(50), num_replicas=2, rank=r, seed=1) for r in (0, 1)]
    epochs = []
    for epoch in range(3):
        for s in samplers:
            s.set_epoch(epoch)
        first, second = (list(s) for s in samplers)
        assert not set(first) & set(second)
        epochs.append(first)
    assert epochs[0] != epochs[1] != epochs[2]
    again = DistributedSampler(range(50), num_replicas=2, rank=0, seed=1)
    again.set_epoch(1)
    assert list(again) == epochs[1]


def test_in_a_data_loader_every_rank_gets_the_same_number_of_batches():
    loaders = [DataLoader(list(range(23)), batch_size=4,
                          sampler=DistributedSampler(range(23), num_replicas=3, rank=r))
               for r in range(3)]
    assert {len(list(loader)) for loader in loaders} == {2}


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


@pytest.mark.parametrize("n, world", [(10, 3), (7, 4), (3, 5), (12, 4), (11, 2)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_shares_as_pytorch(n, world, drop_last):
    pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler
    # without shuffling the indices are exactly PyTorch's
    for r in range(world):
        ours = DistributedSampler(range(n), num_replicas=world, rank=r, shuffle=False,
                                  drop_last=drop_last)
        theirs = TorchSampler(range(n), num_replicas=world, rank=r, shuffle=False,
                              drop_last=drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)
    # shuffled, the permutations differ (different generators) but the layout is the same:
    # map PyTorch's permutation onto ours position by position and the shares coincide
    ours = shares(n, world, shuffle=True, seed=3, drop_last=drop_last)
    theirs = [list(TorchSampler(range(n), num_replicas=world, rank=r, seed=3,
                                drop_last=drop_last)) for r in range(world)]
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    position = {}
    for mine, other in zip((i for p in ours for i in p), (i for p in theirs for i in p)):
        assert position.setdefault(other, mine) == mine
