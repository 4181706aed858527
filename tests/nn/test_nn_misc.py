"""F.pad (all modes), padding layers, one_hot, cosine_similarity, normalize, pairwise_distance."""
from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import close, f64, run_pair

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck

PADS = [((2, 3, 5), (1, 2)), ((2, 3, 4, 5), (1, 2, 2, 0)), ((1, 2, 3, 4, 5), (1, 1, 2, 1, 0, 2)),
        ((2, 4, 4), (3, 0))]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", PADS, ids=str)
def test_pad_parity_and_gradcheck(mode, shape, pad):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    kw = {"value": 1.5} if mode == "constant" else {}
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lout = F.pad(lx, pad, mode=mode, **kw)
    tout = torch.nn.functional.pad(tx, pad, mode=mode, **kw)
    close(lout, tout, 1e-12, 1e-12)
    up = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    lout.backward(latte.tensor(up))
    tout.backward(torch.tensor(up))
    close(lx.grad, tx.grad, 1e-12, 1e-12)
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode, **kw), (f64(*shape[-3:]) if len(shape)
                                                                 > 3 else f64(*shape),))


def test_pad_errors():
    with pytest.raises(RuntimeError, match="reflect"):
        F.pad(latte.zeros(1, 3), (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(latte.zeros(3), (1,))
    with pytest.raises(NotImplementedError, match="mode"):
        F.pad(latte.zeros(3), (1, 1), mode="wrap")


def test_one_hot():
    out = F.one_hot(latte.tensor([[0, 2], [1, 0]]))
    assert out.dtype == latte.int64 and out.shape == (2, 2, 3)
    assert out.tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [1, 0, 0]]]
    assert F.one_hot(latte.tensor([1]), num_classes=4).tolist() == [[0, 1, 0, 0]]
    with pytest.raises(RuntimeError, match="Class values"):
        F.one_hot(latte.tensor([4]), num_classes=3)


def test_cosine_similarity_normalize_pairwise_parity():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    tf = torch.nn.functional
    close(F.cosine_similarity(latte.tensor(a), latte.tensor(b)),
          tf.cosine_similarity(torch.tensor(a), torch.tensor(b)), 1e-12, 1e-12)
    close(F.cosine_similarity(latte.tensor(a), latte.tensor(b[:1]), dim=-1),
          tf.cosine_similarity(torch.tensor(a), torch.tensor(b[:1]), dim=-1), 1e-12, 1e-12)
    close(F.normalize(latte.tensor(a), dim=0), tf.normalize(torch.tensor(a), dim=0), 1e-12)
    close(F.normalize(latte.tensor(a), p=1.0), tf.normalize(torch.tensor(a), p=1.0), 1e-12)
    close(F.pairwise_distance(latte.tensor(a), latte.tensor(b)),
          tf.pairwise_distance(torch.tensor(a), torch.tensor(b)), 1e-12)
    assert gradcheck(F.cosine_similarity, (f64(3, 4), f64(3, 4, seed=1)))
    assert gradcheck(F.normalize, (f64(3, 4),))


@pytest.mark.parametrize("name,args,shape", [
    ("ZeroPad2d", ((1, 2, 0, 3),), (2, 3, 4, 4)), ("ZeroPad1d", (2,), (2, 3, 4)),
    ("ConstantPad2d", (1, 2.5), (2, 3, 4, 4)), ("ConstantPad3d", ((1, 0, 0, 1, 1, 1), -1.0),
                                                (1, 2, 2, 3, 3)),
    ("ReflectionPad1d", ((2, 1),), (2, 3, 4)), ("ReflectionPad2d", (1,), (2, 3, 4, 4)),
    ("ReplicationPad2d", ((0, 2, 1, 1),), (2, 3, 4, 4)), ("ReplicationPad3d", (1,),
                                                          (1, 2, 2, 3, 3)),
    ("CircularPad2d", ((1, 1, 2, 0),), (2, 3, 4, 4)),
])
def test_padding_modules_match_torch(name, args, shape):
    torch = pytest.importorskip("torch")
    lmod, tmod = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    run_pair(torch, lmod, tmod, x)
    assert repr(lmod) == repr(tmod)
