"""LBFGS, Rprop and ASGD against PyTorch: a least-squares problem and a small MLP (the
time_sequence_prediction recipe: LBFGS with a closure), parameters compared after each step."""
import numpy as np
import pytest
from _optim_models import Model

import latte
import latte.optim

torch = pytest.importorskip("torch")


def _least_squares(lib):
    rng = np.random.default_rng(3)
    a = lib.tensor(rng.standard_normal((20, 6)), dtype=lib.float64)
    b = lib.tensor(rng.standard_normal(20), dtype=lib.float64)
    w = lib.tensor(rng.standard_normal(6) * 0.1, dtype=lib.float64, requires_grad=True)
    c = lib.tensor(0.3, dtype=lib.float64, requires_grad=True)
    return [w, c], lambda: ((a @ w + c - b) ** 2).sum() * 0.5


def _mlp(lib):
    model = Model(lib, "float64")
    return list(model.params.values()), lambda: model.loss(0) + model.loss(1)


def _lbfgs_run(lib, problem, steps, **kwargs):
    params, loss_fn = problem(lib)
    opt = lib.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    trail, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        trail.append([p.detach().numpy().copy() for p in params])
    return trail, losses, opt


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("problem", [_least_squares, _mlp], ids=["lstsq", "mlp"])
@pytest.mark.parametrize("kwargs", [dict(lr=1), dict(lr=0.8, max_iter=5, history_size=3)],
                         ids=["default", "short-history"])
def test_lbfgs_matches_torch(problem, line_search_fn, kwargs):
    ours, our_losses, opt = _lbfgs_run(latte, problem, 3, line_search_fn=line_search_fn,
                                       **kwargs)
    theirs, their_losses, topt = _lbfgs_run(torch, problem, 3,
                                            line_search_fn=line_search_fn, **kwargs)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-7)
    for step, (got, want) in enumerate(zip(ours, theirs)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-9, err_msg=f"step {step}")
    state, tstate = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert set(state) == set(tstate)
    for key in ("func_evals", "n_iter"):
        assert state[key] == tstate[key], key
    assert len(state["old_dirs"]) == len(tstate["old_dirs"])
    np.testing.assert_allclose(state["d"].numpy(), tstate["d"].numpy(), rtol=1e-6, atol=1e-9)


def test_lbfgs_converges_on_least_squares():
    _, losses, _ = _lbfgs_run(latte, _least_squares, 4, line_search_fn="strong_wolfe")
    params, loss_fn = _least_squares(torch)
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((20, 6)), rng.standard_normal(20)
    a1 = np.hstack([a, np.ones((20, 1))])
    best = 0.5 * np.sum((a1 @ np.linalg.lstsq(a1, b, rcond=None)[0] - b) ** 2)
    assert losses[-1] < best + 1e-8


def test_lbfgs_state_dict_resume_matches_uninterrupted():
    straight, _, _ = _lbfgs_run(latte, _mlp, 3, max_iter=4)
    params, loss_fn = _mlp(latte)
    opt = latte.optim.LBFGS(params, max_iter=4)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    opt.step(closure)
    saved = opt.state_dict()
    resumed = latte.optim.LBFGS(params, max_iter=4)
    resumed.load_state_dict(saved)
    opt = resumed
    opt.step(closure)
    opt.step(closure)
    for g, w in zip(params, straight[-1]):
        np.testing.assert_allclose(g.detach().numpy(), w, rtol=1e-12)


def test_lbfgs_returns_first_loss_and_stops_at_optimum():
    w = latte.zeros(3, dtype=latte.float64, requires_grad=True)
    opt = latte.optim.LBFGS([w])
    calls = []

    def closure():
        calls.append(1)
        opt.zero_grad()
        loss = (w ** 2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert float(loss) == 0.0 and len(calls) == 1  # the gradient is 0: nothing to do
    assert opt.state[w]["func_evals"] == 1


def test_lbfgs_rejects_groups_and_unknown_line_search():
    a = latte.zeros(2, requires_grad=True)
    b = latte.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="parameter groups"):
        latte.optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = latte.optim.LBFGS([a], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="strong_wolfe"):
        opt.step(lambda: (a ** 2).sum())
    assert latte.optim.LBFGS([a], max_iter=8).defaults["max_eval"] == 10


CASES = [
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=2, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + str(c[1]))
def test_rprop_asgd_match_torch(case, dtype):
    name, kwargs = case
    ours, theirs = Model(latte, dtype), Model(torch, dtype)
    opt = getattr(latte.optim, name)(ours.groups(False), **kwargs)
    topt = getattr(torch.optim, name)(theirs.groups(False), **kwargs)
    tol = 1e-10 if dtype == "float64" else 1e-5
    for i in range(5):
        ours.train_step(opt, i)
        theirs.train_step(topt, i)
        for k in ours.params:
            np.testing.assert_allclose(ours.params[k].detach().numpy(),
                                       theirs.params[k].detach().numpy(), rtol=tol, atol=tol)
    for p, tp in zip(ours.params.values(), theirs.params.values()):
        for key, value in topt.state[tp].items():
            np.testing.assert_allclose(opt.state[p][key].numpy(), value.numpy(), rtol=tol,
                                       atol=tol, err_msg=key)


@pytest.mark.parametrize("name", ["Rprop", "ASGD"])
def test_state_dict_loads_from_torch(name):
    kwargs = dict(lr=0.05, t0=1) if name == "ASGD" else dict(lr=0.05)
    ours, theirs = Model(latte, "float64"), Model(torch, "float64")
    topt = getattr(torch.optim, name)(theirs.groups(False), **kwargs)
    theirs.train_step(topt, 0)
    # loading casts the 0-d eta and mu to the parameters' dtype: PyTorch takes the same trip
    reloaded = getattr(torch.optim, name)(theirs.groups(False), **kwargs)
    reloaded.load_state_dict(topt.state_dict())
    topt = reloaded
    for k, v in theirs.params.items():
        ours.params[k].data = latte.tensor(v.detach().numpy())
    opt = getattr(latte.optim, name)(ours.groups(False), **kwargs)
    opt.load_state_dict({"state": {i: {k: latte.tensor(v.numpy()) for k, v in s.items()}
                                   for i, s in topt.state_dict()["state"].items()},
                         "param_groups": topt.state_dict()["param_groups"]})
    for i in range(1, 3):
        ours.train_step(opt, i)
        theirs.train_step(topt, i)
    for k in ours.params:
        np.testing.assert_allclose(ours.params[k].detach().numpy(),
                                   theirs.params[k].detach().numpy(), rtol=1e-10, atol=1e-12)


def test_bad_options():
    p = [latte.zeros(2, requires_grad=True)]
    with pytest.raises(ValueError, match="eta"):
        latte.optim.Rprop(p, etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="learning rate"):
        latte.optim.ASGD(p, lr=-1)
    with pytest.raises(ValueError, match="learning rate"):
        latte.optim.LBFGS(p, lr=-1)
