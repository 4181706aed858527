"""StackDataset: several datasets' samples side by side, as a tuple or a dict (PyTorch's)."""
import pytest

import latte
from latte.utils.data import DataLoader, StackDataset, TensorDataset


def test_tuple_and_dict_samples_and_batches():
    images, labels = TensorDataset(latte.randn(6, 2)), latte.arange(6)
    pairs = StackDataset(images, labels)
    assert len(pairs) == 6
    (x,), y = pairs[4]
    assert x.equal(images[4][0]) and y.item() == 4
    batch = next(iter(DataLoader(pairs, batch_size=4)))
    assert batch[0][0].shape == (4, 2) and batch[1].tolist() == [0, 1, 2, 3]
    named = StackDataset(x=latte.arange(3), y=["a", "b", "c"])
    assert named[1] == {"x": latte.tensor(1), "y": "b"}
    batch = next(iter(DataLoader(named, batch_size=2)))
    assert batch["x"].tolist() == [0, 1] and batch["y"] == ["a", "b"]


def test_errors_as_pytorch():
    torch = pytest.importorskip("torch")
    cases = [((latte.arange(3), latte.arange(4)), {}), ((), {}),
             ((latte.arange(2),), {"y": latte.arange(2)})]
    for args, kwargs in cases:
        with pytest.raises(ValueError) as ours:
            StackDataset(*args, **kwargs)
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.StackDataset(*[torch.tensor(a.tolist()) for a in args],
                                          **{k: torch.tensor(v.tolist())
                                             for k, v in kwargs.items()})
        assert str(ours.value) == str(theirs.value)
