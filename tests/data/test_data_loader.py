"""DataLoader in the calling process: batching, shuffling, samplers, collate_fn, argument checks,
iterable datasets, and the batch-gather fast path."""
import numpy as np
import pytest

import latte
from latte.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    GatheredSamples,
    IterableDataset,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
)


class Rows(Dataset):
    """A TensorDataset without ``__getitems__``: the per-sample path."""

    def __init__(self, *tensors):
        self.tensors = tensors

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, i):
        return tuple(t[i] for t in self.tensors)


class Count(IterableDataset):
    def __init__(self, n, with_len=True):
        self.n, self.with_len = n, with_len

    def __len__(self):
        if not self.with_len:
            raise TypeError("no length")
        return self.n

    def __iter__(self):
        return iter(range(self.n))


def make_ds(n=10):
    return TensorDataset(latte.arange(n * 2, dtype=latte.float32).reshape(n, 2), latte.arange(n))


def test_batches_shapes_and_len():
    loader = DataLoader(make_ds(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [b[0].shape for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last():
    loader = DataLoader(make_ds(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_default_batch_size_is_one():
    batches = list(DataLoader(make_ds(3)))
    assert len(batches) == 3 and batches[2][0].shape == (1, 2)


def test_shuffle_covers_everything_and_is_reproducible():
    ds = make_ds(50)
    latte.manual_seed(0)
    a = [i for _, y in DataLoader(ds, batch_size=8, shuffle=True) for i in y.tolist()]
    latte.manual_seed(0)
    b = [i for _, y in DataLoader(ds, batch_size=8, shuffle=True) for i in y.tolist()]
    assert a == b and sorted(a) == list(range(50)) and a != list(range(50))
    g = latte.Generator().manual_seed(1)
    loader = DataLoader(ds, batch_size=8, shuffle=True, generator=g)
    epoch1 = [i for _, y in loader for i in y.tolist()]
    epoch2 = [i for _, y in loader for i in y.tolist()]
    assert epoch1 != epoch2  # a new order each epoch
    g.manual_seed(1)
    assert [i for _, y in loader for i in y.tolist()] == epoch1


def test_fast_path_equals_per_sample_path():
    x = latte.randn(37, 3, 5)
    y = latte.randint(0, 10, (37,))
    fast = list(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True,
                           generator=latte.Generator().manual_seed(2)))
    slow = list(DataLoader(Rows(x, y), batch_size=8, shuffle=True,
                           generator=latte.Generator().manual_seed(2)))
    assert len(fast) == len(slow) == 5
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_fast_path_through_random_split_subsets():
    from latte.utils.data import random_split
    train, _ = random_split(make_ds(20), [0.5, 0.5], generator=latte.Generator().manual_seed(0))
    assert isinstance(train, Subset)
    (x, y), = list(DataLoader(train, batch_size=10))
    assert sorted(y.tolist()) == sorted(train.indices)
    np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


def test_custom_collate_fn_sees_samples():
    seen = []

    def collate(samples):
        seen.append([int(s[1]) for s in samples])
        return default_collate(samples)

    out = list(DataLoader(make_ds(5), batch_size=2, collate_fn=collate))
    assert seen == [[0, 1], [2, 3], [4]]
    assert out[2][1].tolist() == [4]


def test_collate_receives_gathered_samples_for_array_datasets():
    batches = list(DataLoader(make_ds(4), batch_size=4, collate_fn=lambda b: b))
    assert isinstance(batches[0], GatheredSamples) and len(batches[0]) == 4


def test_no_batching_with_batch_size_none():
    class Arrays(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.full(2, i), i

    out = list(DataLoader(Arrays(), batch_size=None))
    assert len(out) == 3 and isinstance(out[1], list)
    assert isinstance(out[1][0], latte.Tensor) and out[1][0].tolist() == [1, 1] and out[1][1] == 1


def test_custom_sampler_and_batch_sampler():
    ds = make_ds(6)
    out = list(DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 2, 1, 0]))
    assert [b[1].tolist() for b in out] == [[5, 4], [3, 2], [1, 0]]
    bs = BatchSampler(SequentialSampler(range(6)), 4, drop_last=False)
    loader = DataLoader(ds, batch_sampler=bs)
    assert len(loader) == 2 and [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]]
    assert loader.batch_size is None


def test_each_iter_is_a_fresh_pass():
    loader = DataLoader(make_ds(6), batch_size=2)
    it1, it2 = iter(loader), iter(loader)
    assert next(it1)[1].tolist() == [0, 1]
    assert next(it1)[1].tolist() == [2, 3]
    assert next(it2)[1].tolist() == [0, 1]
    assert len(it1) == 3


def test_iterable_dataset_batching_len_and_drop_last():
    loader = DataLoader(Count(10), batch_size=4)
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3
    loader = DataLoader(Count(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and len(list(loader)) == 2
    assert [int(x) for x in DataLoader(Count(3), batch_size=None)] == [0, 1, 2]
    with pytest.raises(TypeError, match="no length"):
        len(DataLoader(Count(3, with_len=False)))


def test_iterable_dataset_longer_than_reported_warns():
    class Liar(Count):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(4), batch_size=1)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="was reported to be 2"):
        assert len(list(loader)) == 4


def test_get_worker_info_is_none_in_main_process():
    assert get_worker_info() is None


def test_matches_pytorch_sequential():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((23, 4)).astype(np.float32)
    y = np.arange(23)
    ours = list(DataLoader(TensorDataset(latte.from_numpy(x), latte.from_numpy(y)),
                           batch_size=5, drop_last=True))
    theirs = list(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=5, drop_last=True))
    assert len(ours) == len(theirs) == 4
    for (a, b), (c, d) in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


BAD_ARGUMENTS = [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiproc"),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used with"),
    (dict(num_workers=1, multiprocessing_context="nope"), "should specify a valid start method"),
    (dict(batch_size=0), "batch_size should be a positive integer value"),
]


@pytest.mark.parametrize("kwargs, message", BAD_ARGUMENTS)
def test_argument_errors_match_pytorch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(make_ds(4), **kwargs)
    torch = pytest.importorskip("torch")
    tds = torch.utils.data.TensorDataset(torch.zeros(4))
    with pytest.raises(ValueError, match=message):
        torch.utils.data.DataLoader(tds, **kwargs)


def test_context_type_error():
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(make_ds(4), num_workers=1, multiprocessing_context=3)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]),
                                    dict(batch_sampler=[[0]])])
def test_iterable_dataset_rejects_sampling_options(kwargs):
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
        DataLoader(Count(3), **kwargs)


def test_attributes_frozen_after_init():
    loader = DataLoader(make_ds(4), batch_size=2)
    for attr in ("batch_size", "sampler", "dataset", "drop_last"):
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set after"):
            setattr(loader, attr, None)
    loader.num_workers = 0  # not frozen, as in PyTorch


def test_pin_memory_is_accepted_with_a_warning():
    with pytest.warns(UserWarning, match="no accelerator"):
        loader = DataLoader(make_ds(4), batch_size=2, pin_memory=True)
    assert len(list(loader)) == 2
