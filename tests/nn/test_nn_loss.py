"""Losses: every reduction and option against PyTorch (values and gradients), float64 gradcheck,
the fused cross-entropy's double backward, and the sigmoid focal loss."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_helpers import close, f64

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck, gradgradcheck

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)


def _pair(torch, arrays, n_diff):
    lt = [latte.tensor(a, requires_grad=a.dtype.kind == "f" and i < n_diff)
          for i, a in enumerate(arrays)]
    tt = [torch.tensor(a, requires_grad=a.dtype.kind == "f" and i < n_diff)
          for i, a in enumerate(arrays)]
    return lt, tt


def _check(torch, lfn, tfn, arrays, rtol=1e-5, atol=1e-6, n_diff=99):
    """Same loss and same gradients for every float input (the first ``n_diff``)."""
    lt, tt = _pair(torch, arrays, n_diff)
    lout, tout = lfn(*lt), tfn(*tt)
    close(lout, tout, rtol, atol, "loss")
    up = np.random.default_rng(1).standard_normal(tuple(tout.shape)).astype(arrays[0].dtype)
    lout.backward(latte.tensor(up))
    tout.backward(torch.tensor(up))
    for i, (a, b) in enumerate(zip(lt, tt)):
        if b.grad is not None:
            close(a.grad, b.grad, rtol, atol, f"grad {i}")


# --- cross-entropy ----------------------------------------------------------------------------
CE_CASES = [
    {}, {"weight": True}, {"ignore_index": 2}, {"label_smoothing": 0.2},
    {"weight": True, "ignore_index": 1, "label_smoothing": 0.1},
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", CE_CASES, ids=str)
@pytest.mark.parametrize("shape", [(6, 5), (3, 5, 4), (2, 5, 3, 2), (5,)], ids=str)
def test_cross_entropy_indices_parity(shape, opts, reduction):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal(shape).astype(np.float32) * 3
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = RNG.integers(0, 5, size=tshape).astype(np.int64)
    w = (RNG.random(5) + 0.5).astype(np.float32)
    kw = dict(opts, reduction=reduction)
    lkw, tkw = dict(kw), dict(kw)
    if opts.get("weight"):
        lkw["weight"], tkw["weight"] = latte.tensor(w), torch.tensor(w)
    _check(torch, lambda a, b: F.cross_entropy(a, b, **lkw),
           lambda a, b: torch.nn.functional.cross_entropy(a, b, **tkw), [x, t])
    _check(torch, nn.CrossEntropyLoss(**lkw), torch.nn.CrossEntropyLoss(**tkw), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"label_smoothing": 0.3}, {"weight": True}], ids=str)
def test_cross_entropy_probabilities_parity(opts, reduction):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 3, 2)).astype(np.float32)
    p = RNG.random((4, 3, 2)).astype(np.float32)
    p /= p.sum(1, keepdims=True)
    w = (RNG.random(3) + 0.5).astype(np.float32)
    lkw = dict(opts, reduction=reduction)
    tkw = dict(lkw)
    if opts.get("weight"):
        lkw["weight"], tkw["weight"] = latte.tensor(w), torch.tensor(w)
    _check(torch, lambda a, b: F.cross_entropy(a, b, **lkw),
           lambda a, b: torch.nn.functional.cross_entropy(a, b, **tkw), [x, p])


def test_cross_entropy_is_stable_for_huge_logits():
    x = latte.tensor([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, latte.tensor([1, 1]))
    loss.backward()
    assert np.isfinite(loss.item()) and abs(loss.item() - 1000.0) < 1e-3
    assert np.isfinite(x.grad.numpy()).all()


def test_cross_entropy_gradcheck_and_double_backward():
    t = latte.tensor([0, 2, 1, 2])
    w = latte.tensor([0.5, 1.0, 2.0], dtype=latte.float64)
    for kw in ({}, {"weight": w, "label_smoothing": 0.2, "ignore_index": 1},
               {"reduction": "none"}, {"reduction": "sum", "label_smoothing": 0.5}):
        x = f64(4, 3)
        assert gradcheck(lambda a, kw=kw: F.cross_entropy(a, t, **kw), (x,))
        assert gradgradcheck(lambda a, kw=kw: F.cross_entropy(a, t, **kw), (x,))
    p = latte.tensor(np.full((4, 3), 1 / 3), dtype=latte.float64, requires_grad=True)
    assert gradcheck(lambda a, b: F.cross_entropy(a, b), (f64(4, 3), p))


def test_cross_entropy_retain_graph_backward_twice():
    x = latte.randn(3, 4, requires_grad=True)
    loss = F.cross_entropy(x, latte.tensor([0, 1, 3]))
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first, rtol=1e-6)


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"expected target of shape \(4,\).*\(3,\)"):
        F.cross_entropy(latte.zeros(4, 3), latte.tensor([0, 1, 2]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(latte.zeros(2, 3), latte.tensor([0, 3]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(latte.zeros(2, 3), latte.tensor([0, 1]), reduction="avg")


# --- nll ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"weight": True}, {"ignore_index": 0}], ids=str)
def test_nll_loss_parity(opts, reduction):
    torch = pytest.importorskip("torch")
    x = np.log(RNG.dirichlet(np.ones(4), size=(5, 3)).transpose(0, 2, 1)).astype(np.float32)
    t = RNG.integers(0, 4, size=(5, 3)).astype(np.int64)
    w = (RNG.random(4) + 0.5).astype(np.float32)
    lkw = dict(opts, reduction=reduction)
    tkw = dict(lkw)
    if opts.get("weight"):
        lkw["weight"], tkw["weight"] = latte.tensor(w), torch.tensor(w)
    _check(torch, nn.NLLLoss(**lkw), torch.nn.NLLLoss(**tkw), [x, t])
    assert gradcheck(lambda a: F.nll_loss(a, latte.tensor(t), **lkw if not opts.get("weight")
                                          else {"reduction": reduction}), (f64(5, 4, 3),))


# --- regression losses ---------------------------------------------------------------------------
REGRESSION = [
    ("mse_loss", "MSELoss", {}), ("l1_loss", "L1Loss", {}),
    ("smooth_l1_loss", "SmoothL1Loss", {}), ("smooth_l1_loss", "SmoothL1Loss", {"beta": 0.5}),
    ("huber_loss", "HuberLoss", {}), ("huber_loss", "HuberLoss", {"delta": 0.3}),
    ("soft_margin_loss", "SoftMarginLoss", {}),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("fname,mname,kw", REGRESSION, ids=[f"{r[0]}{r[2]}" for r in REGRESSION])
def test_regression_losses(fname, mname, kw, reduction):
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((4, 5)).astype(np.float32) * 2
    y = RNG.standard_normal((4, 5)).astype(np.float32)
    n_diff = 2
    if fname == "soft_margin_loss":
        y, n_diff = np.sign(y), 1
    _check(torch, lambda a, b: getattr(F, fname)(a, b, reduction=reduction, **kw),
           lambda a, b: getattr(torch.nn.functional, fname)(a, b, reduction=reduction, **kw),
           [x, y], n_diff=n_diff)
    _check(torch, getattr(nn, mname)(reduction=reduction, **kw),
           getattr(torch.nn, mname)(reduction=reduction, **kw), [x, y], n_diff=n_diff)
    assert gradcheck(lambda a, b: getattr(F, fname)(a, b, reduction=reduction, **kw),
                     (f64(3, 4, seed=2), f64(3, 4, seed=3)))


def test_loss_shape_mismatch_is_clear():
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        F.mse_loss(latte.zeros(4), latte.zeros(3))


# --- binary --------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_parity(reduction, weighted):
    torch = pytest.importorskip("torch")
    p = RNG.uniform(0.02, 0.98, (4, 3)).astype(np.float32)
    y = RNG.random((4, 3)).astype(np.float32)
    w = RNG.random((4, 3)).astype(np.float32)
    lw, tw = (latte.tensor(w), torch.tensor(w)) if weighted else (None, None)
    _check(torch, nn.BCELoss(weight=lw, reduction=reduction),
           torch.nn.BCELoss(weight=tw, reduction=reduction), [p, y])
    assert np.isfinite(F.binary_cross_entropy(latte.tensor([0.0, 1.0]),
                                              latte.tensor([1.0, 0.0])).item())


def test_bce_gradient_at_saturated_probabilities_follows_pytorch():
    # p exactly 0 or 1 (a saturated float32 sigmoid): PyTorch's (p - y) / max(p (1 - p), 1e-12)
    p_values, y_values = [0.0, 1.0, 0.0, 1.0, 0.5], [0.0, 1.0, 1.0, 0.0, 0.25]
    p = latte.tensor(p_values, requires_grad=True)
    y = latte.tensor(y_values, requires_grad=True)
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    np.testing.assert_allclose(p.grad.numpy(), [0.0, 0.0, -1e12, 1e12, 1.0], rtol=1e-6)
    torch = pytest.importorskip("torch")
    tp = torch.tensor(p_values, requires_grad=True)
    ty = torch.tensor(y_values, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(tp, ty, reduction="sum").backward()
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_mean_loss_with_every_target_ignored_is_nan_with_zero_gradient(loss, create_graph):
    # PyTorch's: 0 / 0 for the loss, but no gradient reaches the ignored rows
    x = latte.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = getattr(F, loss)(x, latte.tensor([-100, -100]))
    assert np.isnan(out.item())
    (grad,) = latte.autograd.grad(out, x, create_graph=create_graph)
    assert grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_cosine_embedding_loss_at_a_zero_vector_follows_pytorch():
    def grads(lib):
        x = lib.zeros(1, 2, dtype=lib.float64, requires_grad=True)
        other = lib.tensor([[1.0, 2.0]], dtype=lib.float64)
        lib.nn.functional.cosine_embedding_loss(x, other, lib.tensor([1.0])).backward()
        return x.grad.numpy()
    expected = -np.array([1.0, 2.0]) / math.sqrt(1e-12 * (5 + 1e-12))
    np.testing.assert_allclose(grads(latte), [expected], rtol=1e-8)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(grads(latte), grads(torch), rtol=1e-8)


def test_bce_gradcheck_in_probability_and_target():
    p = latte.tensor(RNG.uniform(0.05, 0.95, (3, 2)), requires_grad=True)
    y = latte.tensor(RNG.random((3, 2)), requires_grad=True)
    assert gradcheck(F.binary_cross_entropy, (p, y))
    assert gradgradcheck(F.binary_cross_entropy, (p, y))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"pos_weight": True}, {"weight": True},
                                  {"pos_weight": True, "weight": True}], ids=str)
def test_bce_with_logits_parity(opts, reduction):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((5, 3)) * 4).astype(np.float32)
    y = (RNG.random((5, 3)) > 0.5).astype(np.float32)
    pw = (RNG.random(3) * 3).astype(np.float32)
    w = RNG.random((5, 3)).astype(np.float32)
    lkw, tkw = {"reduction": reduction}, {"reduction": reduction}
    if opts.get("pos_weight"):
        lkw["pos_weight"], tkw["pos_weight"] = latte.tensor(pw), torch.tensor(pw)
    if opts.get("weight"):
        lkw["weight"], tkw["weight"] = latte.tensor(w), torch.tensor(w)
    _check(torch, nn.BCEWithLogitsLoss(**lkw), torch.nn.BCEWithLogitsLoss(**tkw), [x, y])
    big = latte.tensor([-500.0, 500.0], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(big, latte.tensor([1.0, 0.0]))
    loss.backward()
    assert abs(loss.item() - 500.0) < 1e-3 and np.isfinite(big.grad.numpy()).all()
    assert gradcheck(lambda a, b: F.binary_cross_entropy_with_logits(
        a, b, pos_weight=latte.tensor([2.0, 0.5, 1.0], dtype=latte.float64)),
        (f64(4, 3), latte.tensor(RNG.random((4, 3)), requires_grad=True)))


# --- KL -----------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:reduction")
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_parity(reduction, log_target):
    torch = pytest.importorskip("torch")
    inp = np.log(RNG.dirichlet(np.ones(5), size=4)).astype(np.float32)
    tgt = RNG.dirichlet(np.ones(5), size=4).astype(np.float32)
    if log_target:
        tgt = np.log(tgt + 1e-3).astype(np.float32)
    _check(torch, nn.KLDivLoss(reduction=reduction, log_target=log_target),
           torch.nn.KLDivLoss(reduction=reduction, log_target=log_target), [inp, tgt])
    zero = F.kl_div(latte.tensor([[-1.0, -0.5]]), latte.tensor([[0.0, 1.0]]), reduction="sum")
    assert abs(zero.item() - 0.5) < 1e-6  # 0 * log 0 counts as 0
    assert gradcheck(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                     (f64(3, 4), latte.tensor(RNG.random((3, 4)) + 0.1, requires_grad=True)))


# --- focal ----------------------------------------------------------------------------------------
def _torch_focal(torch, inputs, targets, alpha=0.25, gamma=2, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, written out (torchvision may be absent)."""
    p = torch.sigmoid(inputs)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2), (-1, 2), (0.5, 0), (0.9, 1.5)])
def test_sigmoid_focal_loss(alpha, gamma, reduction):
    torch = pytest.importorskip("torch")
    x = (RNG.standard_normal((6, 4)) * 3).astype(np.float32)
    y = (RNG.random((6, 4)) > 0.7).astype(np.float32)
    _check(torch, lambda a, b: F.sigmoid_focal_loss(a, b, alpha, gamma, reduction),
           lambda a, b: _torch_focal(torch, a, b, alpha, gamma, reduction), [x, y])
    _check(torch, nn.SigmoidFocalLoss(alpha, gamma, reduction),
           lambda a, b: _torch_focal(torch, a, b, alpha, gamma, reduction), [x, y])
    assert gradcheck(lambda a: F.sigmoid_focal_loss(a, latte.tensor(y, dtype=latte.float64),
                                                    alpha, gamma, "sum"), (f64(6, 4),))


def test_focal_loss_gamma_zero_is_weighted_bce_and_default_none():
    x, y = latte.randn(3, 2), (latte.rand(3, 2) > 0.5).float()
    out = F.sigmoid_focal_loss(x, y)
    assert out.shape == (3, 2)
    close(F.sigmoid_focal_loss(x, y, alpha=-1, gamma=0, reduction="mean"),
          F.binary_cross_entropy_with_logits(x, y))
    with pytest.raises(ValueError, match="reduction"):
        F.sigmoid_focal_loss(x, y, reduction="batchmean")


def test_loss_modules_register_weights_as_buffers():
    torch = pytest.importorskip("torch")
    w = np.ones(3, dtype=np.float32)
    assert list(nn.CrossEntropyLoss(weight=latte.tensor(w)).state_dict()) == \
        list(torch.nn.CrossEntropyLoss(weight=torch.tensor(w)).state_dict())
    assert list(nn.BCEWithLogitsLoss(pos_weight=latte.tensor(w)).state_dict()) == \
        list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)).state_dict())
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pair_and_likelihood_losses(reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    a = RNG.standard_normal((5, 4)).astype(np.float32)
    b = RNG.standard_normal((5, 4)).astype(np.float32)
    y = np.where(RNG.random(5) > 0.5, 1.0, -1.0).astype(np.float32)
    _check(torch, lambda p, q, t: F.margin_ranking_loss(p, q, t, 0.3, reduction=reduction),
           lambda p, q, t: tf.margin_ranking_loss(p, q, t, 0.3, reduction=reduction),
           [a[:, 0], b[:, 0], y], n_diff=2)
    _check(torch, lambda p, q, t: F.cosine_embedding_loss(p, q, t, 0.1, reduction=reduction),
           lambda p, q, t: tf.cosine_embedding_loss(p, q, t, 0.1, reduction=reduction),
           [a, b, y], n_diff=2)
    counts = RNG.poisson(2.0, (5, 4)).astype(np.float32)
    for log_input, full in [(True, False), (False, True)]:
        x = a if log_input else np.abs(a) + 0.1
        _check(torch, lambda p, t, li=log_input, fu=full: F.poisson_nll_loss(
            p, t, li, fu, reduction=reduction),
            lambda p, t, li=log_input, fu=full: tf.poisson_nll_loss(
                p, t, li, fu, reduction=reduction), [x, counts], rtol=1e-4, atol=1e-5, n_diff=1)
    var = (np.abs(b) + 0.1).astype(np.float32)
    _check(torch, lambda p, t, v: F.gaussian_nll_loss(p, t, v, full=True, reduction=reduction),
           lambda p, t, v: tf.gaussian_nll_loss(p, t, v, full=True, reduction=reduction),
           [a, b, var], rtol=1e-4, atol=1e-5)


def test_cross_entropy_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    x, t = RNG.standard_normal((4, 5)), np.array([0, 2, 4, 1])
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (g,) = latte.autograd.grad(F.cross_entropy(lx, latte.tensor(t), label_smoothing=0.1), lx,
                               create_graph=True)
    (g * g).sum().backward()
    (tg,) = torch.autograd.grad(torch.nn.functional.cross_entropy(
        tx, torch.tensor(t), label_smoothing=0.1), tx, create_graph=True)
    (tg * tg).sum().backward()
    close(lx.grad, tx.grad, 1e-10, 1e-12)


@pytest.mark.parametrize("name", ["binary_cross_entropy_with_logits", "soft_margin_loss",
                                  "logsigmoid"])
def test_losses_of_logits_have_the_smooth_gradient_at_zero(name):
    """``softplus(-x)`` written with ``abs`` and ``clamp`` took a side of their kinks at 0."""
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (latte, torch):
        x = lib.tensor([0.0, 0.0, 0.7, -2.0], dtype=lib.float64, requires_grad=True)
        t = lib.tensor([1.0, -1.0, 1.0, -1.0], dtype=lib.float64)
        fn = getattr(lib.nn.functional, name)
        out = fn(x) if name == "logsigmoid" else fn(x, t.clamp(min=0.0) if "entropy" in name
                                                      else t, reduction="sum")
        out.sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)
