"""Samplers: order, lengths, reproducibility, distributions and argument checks."""
from collections import Counter

import numpy as np
import pytest

import latte
from latte.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_sequential_sampler():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_random_sampler_is_a_permutation_each_epoch():
    s = RandomSampler(range(20), generator=latte.Generator().manual_seed(0))
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == list(range(20))
    assert a != b  # a fresh permutation per epoch
    assert len(s) == 20


def test_random_sampler_reproducible():
    a = list(RandomSampler(range(30), generator=latte.Generator().manual_seed(3)))
    b = list(RandomSampler(range(30), generator=latte.Generator().manual_seed(3)))
    assert a == b
    latte.manual_seed(7)
    c = list(RandomSampler(range(30)))
    latte.manual_seed(7)
    d = list(RandomSampler(range(30)))
    assert c == d and sorted(c) == list(range(30))


def test_random_sampler_num_samples_without_replacement_repeats_permutations():
    s = RandomSampler(range(4), num_samples=10, generator=latte.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert set(out[8:]) <= {0, 1, 2, 3} and len(set(out[8:])) == 2


def test_random_sampler_with_replacement():
    s = RandomSampler(range(3), replacement=True, num_samples=70,
                      generator=latte.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == 70 and set(out) == {0, 1, 2}


def test_random_sampler_argument_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples=0"):
        RandomSampler([])


def test_subset_random_sampler():
    s = SubsetRandomSampler([10, 20, 30, 40], generator=latte.Generator().manual_seed(0))
    out = list(s)
    assert sorted(out) == [10, 20, 30, 40] and len(s) == 4


def test_weighted_sampler_follows_weights():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], num_samples=4000,
                              generator=latte.Generator().manual_seed(0))
    counts = Counter(s)
    assert counts[0] == 0 and len(s) == 4000
    assert abs(counts[2] / 4000 - 0.75) < 0.03  # binomial sd is 0.007


def test_weighted_sampler_without_replacement_is_unique():
    s = WeightedRandomSampler([1, 2, 3, 4, 5], num_samples=5, replacement=False,
                              generator=latte.Generator().manual_seed(0))
    assert sorted(s) == [0, 1, 2, 3, 4]


def test_weighted_sampler_argument_errors():
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        WeightedRandomSampler([1, 2], num_samples=True)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1, 2], num_samples=2, replacement=None)
    with pytest.raises(ValueError, match=r"1d sequence.*shape \(2, 1\)"):
        WeightedRandomSampler([[1], [2]], num_samples=2)
    assert WeightedRandomSampler(latte.tensor([1.0, 2.0]), 3).weights.dtype == latte.float64


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, bs", [(10, 3), (9, 3), (2, 5), (0, 2)])
def test_batch_sampler(n, bs, drop_last):
    s = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    batches = list(s)
    assert len(batches) == len(s)
    flat = [i for b in batches for i in b]
    assert flat == list(range(len(flat)))
    assert all(len(b) == bs for b in batches[:-1])
    if drop_last:
        assert all(len(b) == bs for b in batches) and len(flat) == n - n % bs
    else:
        assert len(flat) == n


def test_batch_sampler_matches_pytorch():
    torch = pytest.importorskip("torch")
    for drop_last in (False, True):
        ours = BatchSampler(range(11), 4, drop_last)
        theirs = torch.utils.data.BatchSampler(range(11), 4, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_batch_sampler_argument_errors():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size=2.0"):
        BatchSampler(range(3), 2.0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 0)


def test_samplers_yield_python_ints():
    for s in (RandomSampler(range(5)), SubsetRandomSampler(np.arange(3)),
              WeightedRandomSampler([1.0, 1.0], 3)):
        assert all(type(i) in (int, np.int64) for i in s)
    assert all(type(i) is int for i in RandomSampler(range(5)))
