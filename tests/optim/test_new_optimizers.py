"""Adafactor, Muon and SparseAdam: step-for-step parity with PyTorch and fixed expectations."""
import numpy as np
import pytest
from _optim_models import Model

import latte
import latte.optim

ADAFACTOR = [dict(), dict(lr=0.05, weight_decay=0.1, maximize=True, eps=(1e-3, 1e-3), d=2.0,
                          beta2_decay=-0.5)]
MUON = [dict(lr=0.02), dict(lr=0.05, nesterov=False, momentum=0.5,
                            adjust_lr_fn="match_rms_adamw", weight_decay=0.01)]


def _run(name, kwargs, dtype, keys, steps=20):
    torch = pytest.importorskip("torch")
    ours, theirs = Model(latte, dtype), Model(torch, dtype)
    opt = getattr(latte.optim, name)([ours.params[k] for k in keys], **kwargs)
    ref = getattr(torch.optim, name)([theirs.params[k] for k in keys], **kwargs)
    tol = 1e-12 if dtype == "float64" else 1e-5
    for i in range(steps):
        ours.train_step(opt, i)
        theirs.train_step(ref, i)
        got, want = ours.numpy(), theirs.numpy()
        for k in keys:
            np.testing.assert_allclose(got[k], want[k], rtol=tol, atol=tol, err_msg=f"{k} {i}")
    for pid, state in ref.state_dict()["state"].items():
        mine = opt.state_dict()["state"][pid]
        assert list(mine) == list(state)
        for key, value in state.items():
            np.testing.assert_allclose(np.asarray(mine[key]), value.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", ADAFACTOR)
def test_adafactor_matches_torch(kwargs, dtype):
    _run("Adafactor", kwargs, dtype, ["w1", "b1", "w2", "b2"])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kwargs", MUON)
def test_muon_matches_torch(kwargs, dtype):
    _run("Muon", kwargs, dtype, ["w1", "w2"])


def test_sparse_adam_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 3))
    a, b = latte.nn.Parameter(latte.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    opt = latte.optim.SparseAdam([a], lr=0.1, maximize=True)
    ref = torch.optim.SparseAdam([b], lr=0.1, maximize=True)
    for _ in range(5):
        idx, val = rng.integers(0, 6, (1, 4)), rng.standard_normal((4, 3))
        a.grad = latte.sparse_coo_tensor(idx.tolist(), latte.tensor(val), (6, 3))
        b.grad = torch.sparse_coo_tensor(torch.tensor(idx), torch.tensor(val), (6, 3))
        opt.step()
        ref.step()
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    assert opt.state_dict()["state"][0]["step"] == ref.state_dict()["state"][0]["step"] == 5


def test_adafactor_first_step_by_hand():
    # step 1: beta2_t = 0, so V = g^2 and U = sign(g); alpha = max(1e-3, RMS(theta)) * lr
    w = latte.nn.Parameter(latte.tensor([3.0, -4.0], dtype=latte.float64))
    w.grad = latte.tensor([0.5, -2.0], dtype=latte.float64)
    latte.optim.Adafactor([w], lr=0.1).step()
    rms = np.sqrt(12.5)
    np.testing.assert_allclose(w.detach().numpy(), [3.0 - 0.1 * rms, -4.0 + 0.1 * rms])


def test_muon_checks():
    with pytest.raises(ValueError, match="Muon only supports 2D parameters"):
        latte.optim.Muon([latte.nn.Parameter(latte.zeros(3))])
    with pytest.raises(ValueError, match="not supported"):
        latte.optim.Muon([latte.nn.Parameter(latte.zeros(3, 2))], adjust_lr_fn="x")
    w = latte.nn.Parameter(latte.zeros(3, 2))
    w.grad = latte.ones(3, 2)
    latte.optim.Muon([w], lr=0.1, weight_decay=0.0).step()
    assert np.all(w.detach().numpy() < 0)


def test_sparse_adam_refuses_dense_gradients():
    w = latte.nn.Parameter(latte.zeros(4, 2))
    opt = latte.optim.SparseAdam([w], lr=0.1)
    w.grad = latte.ones(4, 2)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients"):
        opt.step()
    with pytest.raises(ValueError, match="Invalid learning rate"):
        latte.optim.SparseAdam([w], lr=0.0)
