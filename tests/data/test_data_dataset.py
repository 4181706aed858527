"""Datasets: TensorDataset (and its batch gather), ConcatDataset, ChainDataset, Subset,
random_split."""
import numpy as np
import pytest

import latte
from latte.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    GatheredSamples,
    IterableDataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Stream(IterableDataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


def test_tensor_dataset_rows_and_len():
    x = latte.arange(12).reshape(6, 2)
    y = latte.tensor([0, 1, 0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8, 9] and yi.item() == 0
    assert ds.tensors[0] is x


def test_tensor_dataset_accepts_numpy_arrays():
    ds = TensorDataset(np.zeros((3, 2), np.float32), np.arange(3))
    assert isinstance(ds.tensors[0], latte.Tensor) and ds[2][1].item() == 2


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"Size mismatch.*\[5, 4\].*\(5, 2\).*\(4,\)"):
        TensorDataset(latte.zeros(5, 2), latte.zeros(4))


def test_tensor_dataset_rejects_scalar_and_empty():
    with pytest.raises(ValueError, match="0-d tensor at position 1"):
        TensorDataset(latte.zeros(3), latte.tensor(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_getitems_is_one_gather_equal_to_per_sample_stack():
    x = latte.randn(20, 3, 4)
    y = latte.arange(20)
    ds = TensorDataset(x, y)
    idx = [7, 0, 19, 7, -1]
    batch = ds.__getitems__(idx)
    assert isinstance(batch, GatheredSamples) and len(batch) == 5
    # the lazy samples are exactly dataset[i]
    for k, i in enumerate(idx):
        for a, b in zip(batch[k], ds[i]):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    fast = default_collate(batch)
    slow = default_collate([ds[i] for i in idx])
    assert isinstance(fast, list) and len(fast) == 2
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_getitems_out_of_range_raises_index_error():
    ds = TensorDataset(latte.zeros(4, 2))
    with pytest.raises(IndexError, match="out of bounds"):
        ds.__getitems__([1, 4])


def test_getitems_keeps_graph_for_tensors_requiring_grad():
    w = latte.randn(5, 2, dtype=latte.float64, requires_grad=True)
    ds = TensorDataset(w)
    (rows,) = default_collate(ds.__getitems__([1, 3, 1]))
    rows.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.array([[0, 0], [2, 2], [0, 0], [1, 1],
                                                            [0, 0]], dtype=np.float64))


def test_gathered_samples_columns_kinds():
    a, b = latte.arange(6).reshape(3, 2), latte.tensor([1.0, 2.0, 3.0])
    single = GatheredSamples(a)
    assert single[1].tolist() == [2, 3] and default_collate(single) is a
    as_dict = GatheredSamples({"x": a, "y": b})
    assert as_dict[2]["y"].item() == 3.0
    out = default_collate(as_dict)
    assert set(out) == {"x", "y"} and out["x"] is a
    pair = GatheredSamples((a, b))
    assert [s[1].item() for s in pair[0:2]] == [1.0, 2.0]
    assert [s[1].item() for s in pair] == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError, match="same batch size, got 3 and 2"):
        GatheredSamples((a, latte.zeros(2)))


def test_dataset_add_makes_concat():
    ds = Squares(3) + Squares(2)
    assert isinstance(ds, ConcatDataset)
    assert len(ds) == 5 and [ds[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert ds[-1] == 1 and ds[-5] == 0
    assert ds.cumulative_sizes == [3, 5]
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-6]


def test_concat_dataset_errors():
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="IterableDataset"):
        ConcatDataset([Squares(2), Stream([1])])


def test_iterable_add_makes_chain():
    chain = Stream([1, 2]) + Stream([3])
    assert isinstance(chain, ChainDataset)
    assert list(chain) == [1, 2, 3] and len(chain) == 3
    with pytest.raises(TypeError, match="only supports IterableDataset"):
        list(ChainDataset([Stream([1]), Squares(2)]))


def test_base_classes_need_overrides():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())


def test_subset_maps_indices_and_keeps_fast_path():
    base = TensorDataset(latte.arange(10) * 10)
    sub = Subset(base, [9, 2, 5])
    assert len(sub) == 3 and sub[0][0].item() == 90
    batch = sub.__getitems__([2, 0])
    assert isinstance(batch, GatheredSamples)
    assert default_collate(batch)[0].tolist() == [50, 90]


def test_subset_without_parent_getitems_loops():
    sub = Subset(Squares(10), [3, 4])
    assert sub.__getitems__([1, 0]) == [16, 9]
    assert sub[1] == 16


def test_random_split_lengths_disjoint_and_complete():
    ds = Squares(10)
    parts = random_split(ds, [3, 7], generator=latte.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    seen = sorted(i for p in parts for i in p.indices)
    assert seen == list(range(10))


def test_random_split_reproducible_with_seeded_generator():
    ds = Squares(50)
    a = random_split(ds, [0.5, 0.5], generator=latte.Generator().manual_seed(42))
    b = random_split(ds, [0.5, 0.5], generator=latte.Generator().manual_seed(42))
    c = random_split(ds, [0.5, 0.5], generator=latte.Generator().manual_seed(43))
    assert [p.indices for p in a] == [p.indices for p in b]
    assert [p.indices for p in a] != [p.indices for p in c]
    latte.manual_seed(5)
    d = random_split(ds, [25, 25])
    latte.manual_seed(5)
    e = random_split(ds, [25, 25])
    assert [p.indices for p in d] == [p.indices for p in e]


@pytest.mark.parametrize("n, fractions", [(10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]),
                                          (7, [0.1, 0.2, 0.3, 0.4]), (100, [0.8, 0.1, 0.1])])
def test_random_split_fraction_rounding_matches_pytorch(n, fractions):
    torch = pytest.importorskip("torch")
    ours = [len(p) for p in random_split(Squares(n), fractions)]
    theirs = [len(p) for p in torch.utils.data.random_split(range(n), fractions)]
    assert ours == theirs


def test_random_split_fraction_rounding_round_robin():
    # floors 3, 3, 3 leave 1 over: it goes to the first split
    assert [len(p) for p in random_split(Squares(10), [0.33, 0.33, 0.34])] == [4, 3, 3]


def test_random_split_errors_and_warning():
    with pytest.raises(ValueError, match=r"Sum of input lengths \(9\).*\(10\)"):
        random_split(Squares(10), [4, 5])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(Squares(10), [1.5, -0.5])
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        parts = random_split(Squares(2), [0.5, 0.5, 0.0])
    assert [len(p) for p in parts] == [1, 1, 0]
