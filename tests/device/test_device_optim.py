"""Every optimizer on the stand-in GPU: state on the parameters' GPU, no host copy inside
``step``, the same parameters as the CPU run (float64); state_dict round trips between devices;
learning-rate schedulers unchanged."""
from __future__ import annotations

import numpy as np
import pytest

import latte
import latte.optim
from latte import backend

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, foreach=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True, foreach=False)),
    ("Adam", dict(lr=0.01, fused=False, capturable=False)),
    ("AdamW", dict(lr=0.01, fused=True, foreach=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=0.5, rho=0.5, weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("ASGD", dict(lr=0.05, lambd=0.1, alpha=0.5, t0=1, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, maximize=True)),
]
STEPS = 3


def _ids(case):
    name, kwargs = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kwargs.items())


def _start():
    """Parameters (a matrix, a vector, a 0-d scalar) and per-step gradients, float64."""
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(())]
    grads = [[rng.standard_normal(p.shape) for p in params] for _ in range(STEPS)]
    return params, grads


def _run(name, kwargs, dev, gpu=None, steps=STEPS):
    """Step optimizer ``name`` on ``dev``; on the GPU, check that no step copies to the host."""
    params, grads = _start()
    ps = [latte.tensor(p, dtype=latte.float64, device=dev, requires_grad=True) for p in params]
    opt = getattr(latte.optim, name)(ps, **kwargs)
    for step in grads[:steps]:
        for p, g in zip(ps, step):
            p.grad = latte.tensor(g, dtype=latte.float64, device=dev)
        before = dict(gpu.transfers) if gpu is not None else None
        opt.step()
        if gpu is not None and gpu.name == "stand-in":
            assert gpu.transfers == before, f"{name}.step copied between host and device"
    return ps, opt


def _host(t):
    return backend.to_device(t._data, backend.cpu)


@pytest.mark.parametrize("device", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_optimizer_on_gpu_matches_cpu(gpu, case, device):
    name, kwargs = case
    want, _ = _run(name, kwargs, "cpu")
    gpu.strict_current = device == "cuda:1"  # work on cuda:1 must run with cuda:1 current
    got, opt = _run(name, kwargs, device, gpu)
    gpu.strict_current = False
    for g, w in zip(got, want):
        assert g.device == latte.device(device)
        np.testing.assert_allclose(_host(g), _host(w), rtol=1e-10, atol=1e-12)
    for p in got:
        for key, value in opt.state[p].items():
            if not isinstance(value, latte.Tensor):
                continue
            # scalar bookkeeping stays on the host (read as a float), as in PyTorch
            where = "cpu" if key in ("step", "mu_product") else device
            assert value.device == latte.device(where), (key, value.device)


def _resume(name, kwargs, dev, path, gpu=None):
    """One step, a save and load of the optimizer's state into a fresh optimizer, two steps."""
    params, opt = _run(name, kwargs, dev, gpu, steps=1)
    latte.save(opt.state_dict(), path)
    resumed = getattr(latte.optim, name)(params, **kwargs)
    resumed.load_state_dict(latte.load(path))
    _, grads = _start()
    for step in grads[1:]:
        for p, g in zip(params, step):
            p.grad = latte.tensor(g, dtype=latte.float64, device=dev)
        before = dict(gpu.transfers) if gpu is not None else None
        resumed.step()
        assert gpu is None or gpu.transfers == before
    return params, resumed


@pytest.mark.parametrize("name", ["SGD", "Adam", "NAdam", "Adagrad"])
def test_gpu_state_dict_round_trip(gpu, name, tmp_path):
    kwargs = {"lr": 0.05, "momentum": 0.9} if name == "SGD" else {"lr": 0.05}
    # NAdam's float32 mu_product comes back in the parameters' dtype (as in PyTorch): the CPU
    # reference takes the same round trip
    ref, _ = _resume(name, kwargs, "cpu", tmp_path / "cpu.pt")
    got, resumed = _resume(name, kwargs, "cuda", tmp_path / "gpu.pt", gpu)
    for p in got:
        for key, value in resumed.state[p].items():
            if isinstance(value, latte.Tensor) and key not in ("step", "mu_product"):
                assert value.is_cuda, key
    for g, w in zip(got, ref):
        np.testing.assert_allclose(_host(g), _host(w), rtol=1e-10, atol=1e-12)


def _continue_on(name, kwargs, dev, gpu=None):
    """One step on the CPU, then two on ``dev`` by a new optimizer given the CPU state_dict."""
    cpu_params, cpu_opt = _run(name, kwargs, "cpu", steps=1)
    params = [p.detach().to(dev).requires_grad_() for p in cpu_params]
    opt = getattr(latte.optim, name)(params, **kwargs)
    opt.load_state_dict(cpu_opt.state_dict())
    _, grads = _start()
    for step in grads[1:]:
        for p, g in zip(params, step):
            p.grad = latte.tensor(g, dtype=latte.float64, device=dev)
        before = dict(gpu.transfers) if gpu is not None else None
        opt.step()
        assert gpu is None or gpu.transfers == before
    return params, opt


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam"])
def test_cpu_state_dict_loads_onto_gpu_parameters(gpu, name):
    kwargs = {"lr": 0.05, "momentum": 0.9} if name in ("SGD", "RMSprop") else {"lr": 0.05}
    ref, _ = _continue_on(name, kwargs, "cpu")
    gpu.strict_current = True
    got, opt = _continue_on(name, kwargs, "cuda:1", gpu)
    gpu.strict_current = False
    for p in got:
        for key, value in opt.state[p].items():
            if isinstance(value, latte.Tensor) and key not in ("step", "mu_product"):
                assert value.device == latte.device("cuda:1"), key
    for g, w in zip(got, ref):
        np.testing.assert_allclose(_host(g), _host(w), rtol=1e-10, atol=1e-12)


def test_gpu_state_dict_loads_onto_cpu_parameters(gpu):
    gpu_params, gpu_opt = _run("Adam", {"lr": 0.05}, "cuda", gpu, steps=1)
    cpu_params = [p.detach().cpu().requires_grad_() for p in gpu_params]
    opt = latte.optim.Adam(cpu_params, lr=0.05)
    opt.load_state_dict(gpu_opt.state_dict())
    for p in cpu_params:
        assert all(v.device == latte.device("cpu") for v in opt.state[p].values())
    np.testing.assert_array_equal(opt.state[cpu_params[0]]["exp_avg"].numpy(),
                                  _host(gpu_opt.state[gpu_params[0]]["exp_avg"]))


def test_lr_scheduler_with_gpu_optimizer(gpu):
    p = latte.zeros(3, dtype=latte.float64, device="cuda", requires_grad=True)
    opt = latte.optim.SGD([p], lr=1.0)
    sched = latte.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = latte.ones(3, dtype=latte.float64, device="cuda")
        before = dict(gpu.transfers)
        opt.step()
        sched.step()
        assert gpu.transfers == before
    assert sched.get_last_lr() == [0.125]
    np.testing.assert_allclose(_host(p), -(1.0 + 0.5 + 0.25) * np.ones(3))


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_on_gpu_matches_cpu(gpu, line_search_fn):
    """LBFGS branches on dot products (as PyTorch's does, with a sync each): host copies are
    allowed, but its flat vectors stay on the parameters' GPU and the result is the CPU's."""
    def run(dev):
        rng = np.random.default_rng(0)
        a = latte.tensor(rng.standard_normal((12, 4)), dtype=latte.float64, device=dev)
        b = latte.tensor(rng.standard_normal(12), dtype=latte.float64, device=dev)
        w = latte.zeros(4, dtype=latte.float64, device=dev, requires_grad=True)
        c = latte.zeros((), dtype=latte.float64, device=dev, requires_grad=True)
        opt = latte.optim.LBFGS([w, c], max_iter=4, line_search_fn=line_search_fn)

        def closure():
            opt.zero_grad()
            loss = ((a @ w + c - b) ** 2).sum()
            loss.backward()
            return loss
        for _ in range(2):
            opt.step(closure)
        return [w, c], opt

    want, _ = run("cpu")
    gpu.strict_current = True
    got, opt = run("cuda:1")
    gpu.strict_current = False
    for g, w in zip(got, want):
        np.testing.assert_allclose(_host(g), _host(w), rtol=1e-10, atol=1e-12)
    state = opt.state[got[0]]
    for value in [state["d"], state["prev_flat_grad"], *state["old_dirs"], *state["ro"]]:
        assert value.device == latte.device("cuda:1")
