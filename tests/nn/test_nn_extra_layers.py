"""RMSNorm, LocalResponseNorm, pixel/channel shuffles, distances, Softmax2d, EmbeddingBag,
gumbel_softmax, pdist and the margin losses: PyTorch parity (values and gradients), float64
gradchecks of the functionals, repr, state_dict keys, errors."""
from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import close, f64, load_from_torch, run_pair

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck

torch = pytest.importorskip("torch")


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# (name, constructor args, input arrays)
MODULE_CASES = [
    ("RMSNorm", (8,), [_rand(4, 8)]),
    ("RMSNorm", ((3, 4),), [_rand(2, 5, 3, 4)]),
    ("LocalResponseNorm", (3,), [_rand(2, 7, 4, 5)]),
    ("LocalResponseNorm", (4, 1e-2, 0.5, 2.0), [_rand(2, 6, 5)]),
    ("PixelShuffle", (2,), [_rand(2, 8, 3, 5)]),
    ("PixelShuffle", (3,), [_rand(9, 2, 2)]),
    ("PixelUnshuffle", (2,), [_rand(2, 3, 4, 6)]),
    ("ChannelShuffle", (3,), [_rand(2, 6, 4, 2)]),
    ("CosineSimilarity", (), [_rand(5, 6), _rand(5, 6, seed=1)]),
    ("CosineSimilarity", (-1,), [_rand(3, 1, 6), _rand(4, 6, seed=1)]),
    ("PairwiseDistance", (), [_rand(5, 6), _rand(5, 6, seed=1)]),
    ("PairwiseDistance", (1.0, 1e-3, True), [_rand(5, 6), _rand(5, 6, seed=1)]),
    ("Softmax2d", (), [_rand(2, 3, 4, 5)]),
    ("Softmax2d", (), [_rand(3, 4, 5)]),
]


@pytest.mark.parametrize("name,args,inputs", MODULE_CASES,
                         ids=[f"{c[0]}{c[1]}" for c in MODULE_CASES])
def test_module_matches_torch(name, args, inputs):
    lmod, tmod = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    if name == "RMSNorm":
        with torch.no_grad():
            tmod.weight.uniform_(0.5, 1.5)
    run_pair(torch, lmod, tmod, *inputs, rtol=1e-4, atol=1e-5)
    assert repr(lmod) == repr(tmod)
    assert list(lmod.state_dict()) == list(tmod.state_dict())


def test_rmsnorm_eps_and_no_affine():
    for kw in ({"eps": 1e-2}, {"elementwise_affine": False}):
        lmod, tmod = nn.RMSNorm(6, **kw), torch.nn.RMSNorm(6, **kw)
        run_pair(torch, lmod, tmod, _rand(3, 6) * 0.1)
        assert repr(lmod) == repr(tmod)


LOSS_CASES = [
    ("TripletMarginLoss", {}, [_rand(5, 4), _rand(5, 4, seed=1), _rand(5, 4, seed=2)]),
    ("TripletMarginLoss", {"swap": True, "p": 1.0, "margin": 2.0, "reduction": "sum"},
     [_rand(5, 4), _rand(5, 4, seed=1), _rand(5, 4, seed=2)]),
    ("TripletMarginLoss", {"reduction": "none"},
     [_rand(4), _rand(4, seed=1), _rand(4, seed=2)]),
    ("MultiLabelSoftMarginLoss", {}, [_rand(5, 4), (_rand(5, 4, seed=1) > 0).astype(np.float32)]),
    ("MultiLabelSoftMarginLoss", {"reduction": "none"},
     [_rand(5, 4), (_rand(5, 4, seed=1) > 0).astype(np.float32)]),
    ("MultiMarginLoss", {}, [_rand(6, 5), np.array([0, 4, 2, 2, 1, 3])]),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "reduction": "none"},
     [_rand(6, 5), np.array([0, 4, 2, 2, 1, 3])]),
    ("MultiMarginLoss", {}, [_rand(5), np.array([3])]),
    ("HingeEmbeddingLoss", {}, [_rand(4, 5), np.sign(_rand(4, 5, seed=1))]),
    ("HingeEmbeddingLoss", {"margin": 0.3, "reduction": "sum"},
     [_rand(4, 5), np.sign(_rand(4, 5, seed=1))]),
]


@pytest.mark.parametrize("name,kw,inputs", LOSS_CASES, ids=[f"{c[0]}{c[1]}" for c in LOSS_CASES])
def test_loss_matches_torch(name, kw, inputs):
    lmod, tmod = getattr(nn, name)(**kw), getattr(torch.nn, name)(**kw)
    if name != "TripletMarginLoss":  # the target carries no gradient
        lin = latte.tensor(inputs[0], requires_grad=True)
        tin = torch.tensor(inputs[0], requires_grad=True)
        lo, to = lmod(lin, latte.tensor(inputs[1])), tmod(tin, torch.tensor(inputs[1]))
        close(lo, to, 1e-5, 1e-6, "loss")
        lo.sum().backward()
        to.sum().backward()
        close(lin.grad, tin.grad, 1e-5, 1e-6, "grad")
    else:
        run_pair(torch, lmod, tmod, *inputs)
    assert repr(lmod) == repr(tmod)


@pytest.mark.parametrize("name", ["MultiLabelSoftMarginLoss", "MultiMarginLoss"])
def test_weighted_losses_weight_buffer(name):
    w = np.array([0.5, 1.0, 2.0, 1.5], np.float32)
    lmod, tmod = getattr(nn, name)(weight=latte.tensor(w)), getattr(torch.nn, name)(
        weight=torch.tensor(w))
    assert list(lmod.state_dict()) == list(tmod.state_dict()) == ["weight"]
    x = _rand(5, 4)
    y = (_rand(5, 4, seed=1) > 0).astype(np.float32) if name.startswith("MultiLabel") else \
        np.array([0, 3, 1, 2, 2])
    lin, tin = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo, to = lmod(lin, latte.tensor(y)), tmod(tin, torch.tensor(y))
    close(lo, to, 1e-5, 1e-6, "loss")
    lo.backward()
    to.backward()
    close(lin.grad, tin.grad, 1e-5, 1e-6, "grad")


# --- EmbeddingBag
BAG_CASES = [
    ("sum", {}), ("mean", {}), ("max", {}), ("sum", {"padding_idx": 0}),
    ("mean", {"padding_idx": 0}), ("max", {"padding_idx": 0}),
    ("sum", {"include_last_offset": True}), ("mean", {"max_norm": 1.0}),
]


@pytest.mark.parametrize("mode,kw", BAG_CASES, ids=[f"{m}{k}" for m, k in BAG_CASES])
@pytest.mark.parametrize("layout", ["offsets", "2d"])
def test_embedding_bag_matches_torch(mode, kw, layout):
    if layout == "2d" and kw.get("include_last_offset"):
        pytest.skip("include_last_offset needs offsets")
    lmod = nn.EmbeddingBag(10, 3, mode=mode, **kw)
    tmod = torch.nn.EmbeddingBag(10, 3, mode=mode, **kw)
    assert repr(lmod) == repr(tmod)
    assert list(lmod.state_dict()) == list(tmod.state_dict())
    load_from_torch(lmod, tmod)
    idx = np.array([1, 2, 4, 5, 4, 0, 3, 0, 9, 0, 0, 0])
    if layout == "2d":
        largs, targs = (latte.tensor(idx.reshape(3, 4)),), (torch.tensor(idx.reshape(3, 4)),)
    else:
        off = np.array([0, 2, 2, 5, 12] if kw.get("include_last_offset") else [0, 2, 2, 5, 9])
        largs = (latte.tensor(idx), latte.tensor(off))
        targs = (torch.tensor(idx), torch.tensor(off))
    lo, to = lmod(*largs), tmod(*targs)
    close(lo, to, 1e-5, 1e-6, "output")
    up = _rand(*to.shape, seed=3)
    lo.backward(latte.tensor(up))
    to.backward(torch.tensor(up))
    close(lmod.weight.grad, tmod.weight.grad, 1e-5, 1e-6, "weight grad")
    close(lmod.weight, tmod.weight, 1e-6, 1e-6, "weight after max_norm")


def test_embedding_bag_per_sample_weights():
    lmod, tmod = nn.EmbeddingBag(10, 3, mode="sum"), torch.nn.EmbeddingBag(10, 3, mode="sum")
    load_from_torch(lmod, tmod)
    idx, off, w = np.array([1, 2, 4, 5, 4, 3]), np.array([0, 3]), _rand(6)
    lw, tw = latte.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    lo = lmod(latte.tensor(idx), latte.tensor(off), per_sample_weights=lw)
    to = tmod(torch.tensor(idx), torch.tensor(off), per_sample_weights=tw)
    close(lo, to, 1e-5, 1e-6, "output")
    (lo * lo).sum().backward()
    (to * to).sum().backward()
    close(lw.grad, tw.grad, 1e-5, 1e-5, "per_sample_weights grad")
    close(lmod.weight.grad, tmod.weight.grad, 1e-5, 1e-5, "weight grad")


def test_embedding_bag_errors():
    w = latte.randn(10, 3)
    with pytest.raises(NotImplementedError, match="per_sample_weights"):
        F.embedding_bag(latte.tensor([1, 2]), w, latte.tensor([0]), mode="mean",
                        per_sample_weights=latte.ones(2))
    with pytest.raises(ValueError, match="offsets has to be None"):
        F.embedding_bag(latte.tensor([[1, 2]]), w, latte.tensor([0]))
    with pytest.raises(ValueError, match=r"offsets\[0\] has to be 0"):
        F.embedding_bag(latte.tensor([1, 2]), w, latte.tensor([1]))
    with pytest.raises(ValueError, match="mode"):
        F.embedding_bag(latte.tensor([[1, 2]]), w, mode="min")


# --- gumbel_softmax
def test_gumbel_softmax_soft_and_hard():
    latte.manual_seed(0)
    logits = latte.tensor(np.log([[0.1, 0.2, 0.7]] * 4000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    close(soft.sum(-1), np.ones(4000), 1e-5, 1e-5, "rows sum to 1")
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(-1) == 1)
    # argmax of logits + Gumbel noise samples the categorical distribution
    np.testing.assert_allclose(h.mean(0), [0.1, 0.2, 0.7], atol=0.03)
    (hard * latte.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert tuple(logits.grad.shape) == (4000, 3)
    assert np.all(np.isfinite(logits.grad.numpy())) and np.abs(logits.grad.numpy()).sum() > 0
    # dim=0 works too
    assert np.all(F.gumbel_softmax(latte.randn(5, 2), hard=True, dim=0).numpy().sum(0) == 1)


# --- gradchecks (float64)
def test_gradchecks():
    x, y = f64(3, 8, 4, 2, seed=1), f64(3, 4, seed=2)
    assert gradcheck(lambda a: F.rms_norm(a, (4, 2), eps=1e-5), (x,))
    wt = f64(2, seed=3)
    assert gradcheck(lambda a, w: F.rms_norm(a, (2,), w), (x, wt))
    assert gradcheck(lambda a: F.local_response_norm(a, 3, alpha=0.1, beta=0.75, k=1.0), (x,))
    assert gradcheck(lambda a: F.pixel_shuffle(a, 2), (x,))
    assert gradcheck(lambda a: F.pixel_unshuffle(a, 2), (x,))
    assert gradcheck(lambda a: F.channel_shuffle(a, 2), (x,))
    for p in (1.0, 2.0, 3.0):
        assert gradcheck(lambda a, p=p: F.pdist(a, p), (f64(5, 3, seed=4),))
    a, b, c = f64(4, 3, seed=5), f64(4, 3, seed=6), f64(4, 3, seed=7)
    assert gradcheck(lambda a, b, c: F.triplet_margin_loss(a, b, c, swap=True), (a, b, c))
    t01 = latte.tensor((np.random.default_rng(0).random((3, 4)) > 0.5) * 1.0)
    assert gradcheck(lambda a: F.multilabel_soft_margin_loss(a, t01), (y,))
    cls = latte.tensor([0, 3, 1])
    for p in (1, 2):
        assert gradcheck(lambda a, p=p: F.multi_margin_loss(a, cls, p=p), (y,))
    sign = latte.tensor(np.sign(np.random.default_rng(1).standard_normal((3, 4))))
    assert gradcheck(lambda a: F.hinge_embedding_loss(a, sign), (y,))
    w = f64(10, 3, seed=8)
    idx, off = latte.tensor([1, 2, 4, 5, 4, 3]), latte.tensor([0, 2, 2])
    for mode in ("sum", "mean", "max"):
        assert gradcheck(lambda w, mode=mode: F.embedding_bag(idx, w, off, mode=mode), (w,))


def test_pdist_matches_torch():
    x = _rand(6, 4)
    for p in (0.5, 1.0, 2.0, float("inf")):
        lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        lo, to = F.pdist(lx, p), torch.nn.functional.pdist(tx, p)
        close(lo, to, 1e-5, 1e-5, f"pdist p={p}")
        lo.sum().backward()
        to.sum().backward()
        close(lx.grad, tx.grad, 1e-4, 1e-5, f"pdist grad p={p}")


def test_errors_name_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 7, 3, 3\)"):
        F.pixel_shuffle(latte.randn(2, 7, 3, 3), 2)
    with pytest.raises(RuntimeError, match=r"\(2, 4, 3, 4\)"):
        F.pixel_unshuffle(latte.randn(2, 4, 3, 4), 2)
    with pytest.raises(RuntimeError, match=r"\(2, 5, 3\)"):
        F.channel_shuffle(latte.randn(2, 5, 3), 2)
    with pytest.raises(RuntimeError, match=r"\(4, 6\).*\[5\]|\[5\].*\(4, 6\)"):
        F.rms_norm(latte.randn(4, 6), (5,))
    with pytest.raises(ValueError, match="3D or higher"):
        F.local_response_norm(latte.randn(4, 6), 2)
    with pytest.raises(RuntimeError, match="2D"):
        F.pdist(latte.randn(4))
    with pytest.raises(ValueError, match="3D or 4D"):
        nn.Softmax2d()(latte.randn(4, 6))
    with pytest.raises(ValueError, match="p == 1 and p == 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="margin"):
        nn.TripletMarginLoss(margin=0.0)
