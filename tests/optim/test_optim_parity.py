"""Every optimizer and option set against PyTorch: 100 steps on the same MLP from the same start
with the same data, parameters compared after every step."""
import numpy as np
import pytest
from _optim_models import Model

import latte
import latte.optim

torch = pytest.importorskip("torch")

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.002, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.5), maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.001, alpha=0.3, centered=True, momentum=0.5, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.01, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.1, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.4, 0.9), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, momentum_decay=1e-2)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]

# relative to each tensor's largest entry: entries crossing zero have no relative precision
RTOL = {"float64": 1e-10, "float32": 1e-3}


def _close(got, want, dtype, msg):
    tol = RTOL[dtype]
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max(), err_msg=msg)


def _ids(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


def _run_both(name, kwargs, dtype, split=False, steps=100):
    ours, theirs = Model(latte, dtype), Model(torch, dtype)
    opt = getattr(latte.optim, name)(ours.groups(split), **kwargs)
    ref = getattr(torch.optim, name)(theirs.groups(split), **kwargs, foreach=False)
    for i in range(steps):
        loss, ref_loss = ours.train_step(opt, i), theirs.train_step(ref, i)
        _close(loss, ref_loss, dtype, f"loss at step {i}")
        got, want = ours.numpy(), theirs.numpy()
        for k in got:
            _close(got[k], want[k], dtype, f"{k} after step {i + 1}")
    return opt, ref


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_matches_torch_every_step(case, dtype):
    name, kwargs = case
    _run_both(name, kwargs, dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "NAdam", "RAdam"])
def test_param_groups_match_torch(name):
    kwargs = dict(lr=0.01, weight_decay=0.1)
    if name == "SGD":
        kwargs["momentum"] = 0.9
    opt, ref = _run_both(name, kwargs, "float64", split=True, steps=30)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.05]
    assert [g["weight_decay"] for g in opt.param_groups] == [0.1, 0.0]


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "SGD" or "momentum" in c[1]],
                         ids=_ids)
def test_state_dict_layout_matches_torch(case):
    name, kwargs = case
    opt, ref = _run_both(name, kwargs, "float64", steps=3)
    ours, theirs = opt.state_dict(), ref.state_dict()
    assert [sorted(g) for g in ours["param_groups"]] == [sorted(g) for g in theirs["param_groups"]]
    for g, h in zip(ours["param_groups"], theirs["param_groups"]):
        # torch ran with foreach=False (its default on CPU is None: the same loop)
        assert g == {k: (tuple(v) if k == "betas" else None if k == "foreach" else v)
                     for k, v in h.items()}
    assert sorted(ours["state"]) == sorted(theirs["state"]) == [0, 1, 2, 3]
    for pid, st in theirs["state"].items():
        assert sorted(ours["state"][pid]) == sorted(st)
        for key, value in st.items():
            mine = ours["state"][pid][key]
            assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
            assert tuple(mine.shape) == tuple(value.shape), key
            np.testing.assert_allclose(mine._data, value.numpy(), rtol=1e-10, atol=1e-12)


def test_repr_matches_torch():
    ours, theirs = Model(latte, "float64"), Model(torch, "float64")
    opt = latte.optim.AdamW(ours.groups(True), lr=0.01)
    ref = torch.optim.AdamW(theirs.groups(True), lr=0.01)
    assert repr(opt) == repr(ref)


def _decay_groups(named):
    """The usual recipe: weight decay on weights only, none on biases."""
    named = list(named)
    return [{"params": [p for n, p in named if n.endswith("weight")]},
            {"params": [p for n, p in named if n.endswith("bias")], "weight_decay": 0.0}]


@pytest.mark.parametrize("name,kwargs", [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True,
                                                      weight_decay=1e-2)),
                                         ("AdamW", dict(lr=1e-2, weight_decay=0.1))])
def test_nn_module_training_matches_torch(name, kwargs):
    nn = pytest.importorskip("latte.nn")
    ours = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 3)).double()
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.from_numpy(p._data.copy()))
    opt = getattr(latte.optim, name)(_decay_groups(ours.named_parameters()), **kwargs)
    ref = getattr(torch.optim, name)(_decay_groups(theirs.named_parameters()), **kwargs)
    rng = np.random.default_rng(3)
    for i in range(50):
        x, y = rng.standard_normal((16, 5)), rng.standard_normal((16, 3))
        for model, o, lib in ((ours, opt, latte), (theirs, ref, torch)):
            o.zero_grad()
            ((model(lib.tensor(x)) - lib.tensor(y)) ** 2).mean().backward()
            o.step()
        for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            _close(p._data, q.detach().numpy(), "float64", f"{n} after step {i + 1}")
