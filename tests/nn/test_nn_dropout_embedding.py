"""Dropout (statistics, eval identity, seeding, channel masks) and Embedding."""
from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import close, load_from_torch

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck


def test_dropout_statistics_and_gradient():
    latte.manual_seed(0)
    x = latte.ones(200, 500, requires_grad=True)
    y = nn.Dropout(0.3)(x)
    kept = y.detach().numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())  # grad = mask / (1 - p)
    assert abs(float(y.mean()) - 1.0) < 0.01


def test_dropout_eval_identity_and_p_edges():
    x = latte.randn(4, 5)
    drop = nn.Dropout(0.5).eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert float(F.dropout(x, 1.0).abs().sum()) == 0.0
    assert F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2, inplace=False)"


def test_dropout_repeats_with_manual_seed():
    x = latte.ones(50)
    latte.manual_seed(7)
    a = F.dropout(x).numpy().copy()
    latte.manual_seed(7)
    assert np.array_equal(a, F.dropout(x).numpy())
    assert not np.array_equal(a, F.dropout(x).numpy())


def test_dropout2d_zeroes_whole_channels():
    latte.manual_seed(1)
    x = latte.ones(8, 16, 3, 3)
    y = nn.Dropout2d(0.5)(x).numpy()
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0.3 < (per_channel[..., 0] == 0).mean() < 0.7
    assert nn.Dropout2d().eval()(x) is x
    with pytest.raises(RuntimeError, match=r"dropout2d.*\(6,\)"):
        F.dropout2d(latte.ones(6))


def test_dropout2d_other_ranks_as_torch():
    # PyTorch warns on a 2D input (mnist_rnn's Dropout2d after an LSTM) and reads it as (N, C);
    # a 3D input is read as (N, C, L), not as an unbatched (C, H, W)
    latte.manual_seed(2)
    with pytest.warns(UserWarning, match="dropout2d"):
        y = F.dropout2d(latte.ones(40, 50), 0.5).numpy()
    assert set(np.unique(y)) == {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7
    z = F.dropout2d(latte.ones(30, 20, 5), 0.5).numpy()
    assert np.all((z == 0).all(-1) | (z == 2.0).all(-1))
    assert 0.1 < (z[:, :, 0] == 0).mean(0).min() and (z[:, :, 0] == 0).mean(0).max() < 0.9
    with pytest.warns(UserWarning, match="dropout3d"):
        w = F.dropout3d(latte.ones(30, 20, 5), 0.5).numpy()  # unbatched: whole rows of dim 0
    assert np.all((w == 0).all((1, 2)) | (w == 2.0).all((1, 2)))


def test_alpha_dropout_keeps_moments():
    latte.manual_seed(2)
    x = latte.randn(100000)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


def test_embedding_parity_and_padding():
    torch = pytest.importorskip("torch")
    lemb, temb = nn.Embedding(10, 4, padding_idx=2), torch.nn.Embedding(10, 4, padding_idx=2)
    load_from_torch(lemb, temb)
    idx = np.array([[1, 2, 3], [2, 9, 1]])
    lout, tout = lemb(latte.tensor(idx)), temb(torch.tensor(idx))
    close(lout, tout)
    up = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    lout.backward(latte.tensor(up))
    tout.backward(torch.tensor(up))
    close(lemb.weight.grad, temb.weight.grad)
    assert float(lemb.weight.grad[2].abs().sum()) == 0.0
    assert repr(lemb) == repr(temb)


def test_embedding_init_from_pretrained_and_errors():
    latte.manual_seed(0)
    emb = nn.Embedding(1000, 50, padding_idx=-1)
    w = emb.weight.detach().numpy()
    assert emb.padding_idx == 999 and not w[999].any()
    assert abs(w[:999].std() - 1.0) < 0.02
    table = latte.arange(6.0).reshape(3, 2)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad
    assert frozen(latte.tensor([2])).tolist() == [[4.0, 5.0]]
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="out of range"):
        emb(latte.tensor([1000]))
    with pytest.raises(RuntimeError, match="integer"):
        emb(latte.tensor([1.0]))


def test_embedding_gradcheck_and_max_norm():
    w = latte.tensor(np.random.default_rng(1).standard_normal((5, 3)), requires_grad=True)
    idx = latte.tensor([[0, 4], [4, 1]])
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))  # (padding rows get no gradient)
    big = latte.full((3, 2), 10.0)
    F.embedding(latte.tensor([0]), big, max_norm=1.0)
    np.testing.assert_allclose(np.linalg.norm(big.numpy()[0]), 1.0, rtol=1e-5)
    assert big.numpy()[1, 0] == 10.0  # rows not looked up are untouched
