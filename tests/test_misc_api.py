"""Small API pieces scripts touch: checkpoint, nbytes/itemsize, storage."""
import numpy as np
import pytest

import latte
from latte.utils.checkpoint import checkpoint, checkpoint_sequential

torch = pytest.importorskip("torch")


def test_checkpoint_gives_the_same_gradients():
    def block(x, w):
        return (x @ w).tanh() * 2

    w = latte.tensor(np.random.default_rng(0).standard_normal((3, 3)), requires_grad=True)
    x = latte.ones(2, 3, requires_grad=True)
    checkpoint(block, x, w, use_reentrant=False).sum().backward()
    gx, gw = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    block(x, w).sum().backward()
    np.testing.assert_array_equal(gx, x.grad.numpy())
    np.testing.assert_array_equal(gw, w.grad.numpy())
    with pytest.warns(UserWarning, match="use_reentrant"):
        checkpoint(block, x, w)
    seq = latte.nn.Sequential(latte.nn.Linear(3, 3), latte.nn.ReLU())
    np.testing.assert_array_equal(checkpoint_sequential(seq, 2, x).detach().numpy(),
                                  seq(x).detach().numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
def test_nbytes_itemsize_storage_match_torch(dtype):
    ours = latte.zeros(3, 4, dtype=getattr(latte, dtype))
    theirs = torch.zeros(3, 4, dtype=getattr(torch, dtype))
    assert ours.nbytes == theirs.nbytes and ours.itemsize == theirs.itemsize
    assert ours.untyped_storage().nbytes() == theirs.untyped_storage().nbytes()
    assert ours.untyped_storage().size() == theirs.untyped_storage().size()
    view, tview = ours[1], theirs[1]
    assert view.nbytes == tview.nbytes
    # a view reports its base's storage, as in torch
    assert view.untyped_storage().nbytes() == tview.untyped_storage().nbytes()
    assert view.untyped_storage().data_ptr() == ours.untyped_storage().data_ptr()
    assert ours.storage().size() == theirs.untyped_storage().nbytes() // theirs.itemsize
