"""BatchNorm (train/eval, running statistics, momentum), LayerNorm, GroupNorm, InstanceNorm."""
from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import close, f64, load_from_torch, run_pair

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck, gradgradcheck

BN_CASES = [
    ("BatchNorm1d", (8, 5), {}), ("BatchNorm1d", (8, 5, 3), {}),
    ("BatchNorm2d", (4, 5, 3, 3), {}), ("BatchNorm2d", (4, 5, 3, 3), {"momentum": None}),
    ("BatchNorm2d", (4, 5, 3, 3), {"affine": False}),
    ("BatchNorm2d", (4, 5, 3, 3), {"momentum": 0.3, "eps": 1e-3}),
    ("BatchNorm2d", (4, 5, 3, 3), {"track_running_stats": False}),
    ("BatchNorm3d", (2, 5, 2, 3, 2), {}),
]


@pytest.mark.parametrize("name,shape,kw", BN_CASES, ids=[f"{c[0]}{c[1]}{c[2]}" for c in BN_CASES])
def test_batchnorm_training_steps_then_eval_match_torch(kernel_path, name, shape, kw):
    torch = pytest.importorskip("torch")
    lbn, tbn = getattr(nn, name)(shape[1], **kw), getattr(torch.nn, name)(shape[1], **kw)
    if lbn.affine:  # non-trivial affine parameters
        with torch.no_grad():
            tbn.weight.uniform_(0.5, 1.5)
            tbn.bias.uniform_(-0.5, 0.5)
    load_from_torch(lbn, tbn)
    rng = np.random.default_rng(0)
    for step in range(4):
        x = (rng.standard_normal(shape) * 2 + step).astype(np.float32)
        run_pair(torch, lbn, tbn, x, rtol=1e-4, atol=1e-5, seed=step, copy=False)
        for (k, a), b in zip(lbn.state_dict().items(), tbn.state_dict().values()):
            close(a, b, 1e-5, 1e-6, k)
        lbn.zero_grad()
        tbn.zero_grad()
    lbn.eval()
    tbn.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    run_pair(torch, lbn, tbn, x, rtol=1e-4, atol=1e-5, copy=False)
    assert list(lbn.state_dict()) == list(tbn.state_dict())
    assert repr(lbn) == repr(tbn)


def test_batchnorm_num_batches_and_running_var_unbiased(kernel_path):
    bn = nn.BatchNorm1d(2, momentum=1.0)
    x = latte.tensor([[1.0, 0.0], [3.0, 4.0]])
    bn(x)
    assert bn.num_batches_tracked.item() == 1
    np.testing.assert_allclose(bn.running_mean.numpy(), [2.0, 2.0])
    np.testing.assert_allclose(bn.running_var.numpy(), [2.0, 8.0])  # unbiased: n - 1
    bn.eval()
    before = bn.running_mean.numpy().copy()
    bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)  # eval leaves stats alone


def test_batchnorm_errors_name_layer_and_shape():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*expected 4D.*\(2, 3, 4\)"):
        nn.BatchNorm2d(3)(latte.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected input with 3 channels.*\(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(latte.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(latte.zeros(1, 3))


def test_batch_norm_gradcheck_and_double_backward(kernel_path):
    x, w, b = f64(4, 3, 2, 2), f64(3, seed=1), f64(3, seed=2)
    rm, rv = latte.zeros(3, dtype=latte.float64), latte.ones(3, dtype=latte.float64)
    assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                     (x, w, b))
    assert gradcheck(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), (x, w, b))
    assert gradgradcheck(lambda x, w: F.batch_norm(x, None, None, w, None, training=True),
                         (f64(5, 3), w))
    assert gradcheck(lambda x: F.batch_norm(x, None, None, training=True), (f64(6, 2),))


@pytest.mark.parametrize("shape,normalized", [((4, 6), (6,)), ((2, 3, 4, 5), (4, 5)),
                                              ((3, 5), 5)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_parity(shape, normalized, affine):
    torch = pytest.importorskip("torch")
    lln, tln = nn.LayerNorm(normalized, elementwise_affine=affine), \
        torch.nn.LayerNorm(normalized, elementwise_affine=affine)
    if affine:
        with torch.no_grad():
            tln.weight.normal_()
            tln.bias.normal_()
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32) * 3
    run_pair(torch, lln, tln, x, rtol=1e-4, atol=1e-5)
    assert repr(lln) == repr(tln)


def test_layer_and_group_norm_gradcheck():
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (3, 2), w, b),
                     (f64(4, 3, 2), f64(3, 2, seed=1), f64(3, 2, seed=2)))
    assert gradgradcheck(lambda x: F.layer_norm(x, (4,)), (f64(3, 4),))
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b),
                     (f64(2, 4, 3), f64(4, seed=1), f64(4, seed=2)))
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(4,\).*\(2, 5\)"):
        nn.LayerNorm(4)(latte.zeros(2, 5))


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_norm_parity(groups):
    torch = pytest.importorskip("torch")
    lgn, tgn = nn.GroupNorm(groups, 6), torch.nn.GroupNorm(groups, 6)
    with torch.no_grad():
        tgn.weight.normal_()
        tgn.bias.normal_()
    x = np.random.default_rng(2).standard_normal((3, 6, 4, 2)).astype(np.float32)
    run_pair(torch, lgn, tgn, x, rtol=1e-4, atol=1e-5)
    assert repr(lgn) == repr(tgn)
    with pytest.raises(RuntimeError, match="GroupNorm"):
        lgn(latte.zeros(3, 5, 2))


@pytest.mark.parametrize("affine", [False, True])
def test_instance_norm_parity(affine):
    torch = pytest.importorskip("torch")
    lin, tin = nn.InstanceNorm2d(3, affine=affine), torch.nn.InstanceNorm2d(3, affine=affine)
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 4)).astype(np.float32)
    run_pair(torch, lin, tin, x, rtol=1e-4, atol=1e-5)
    assert repr(lin) == repr(tin)


def test_batch_norm_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).standard_normal((4, 3, 2))
    w = np.random.default_rng(6).standard_normal(3)
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lw, tw = latte.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    (g,) = latte.autograd.grad((F.batch_norm(lx, None, None, lw, None, True) ** 3).sum(), lx,
                               create_graph=True)
    (g * g).sum().backward()
    (tg,) = torch.autograd.grad((torch.nn.functional.batch_norm(
        tx, None, None, tw, None, True) ** 3).sum(), tx, create_graph=True)
    (tg * tg).sum().backward()
    close(lx.grad, tx.grad, 1e-8, 1e-10)
    close(lw.grad, tw.grad, 1e-8, 1e-10)
