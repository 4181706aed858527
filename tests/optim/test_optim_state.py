"""Optimizer base behaviour: param groups, zero_grad, closures, hooks, state_dict round trips
(resuming mid-run through latte.save/latte.load) and PyTorch's errors for invalid options."""
import numpy as np
import pytest
from _optim_models import Model

import latte
import latte.optim
from latte.optim import lr_scheduler

ALL = [("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
       ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
       ("AdamW", dict(lr=0.01)),
       ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True)),
       ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
       ("Adadelta", dict()),
       ("Adamax", dict(lr=0.01)),
       ("NAdam", dict(lr=0.01)),
       ("RAdam", dict(lr=0.01))]


def _leaf(*shape):
    return latte.tensor(np.arange(float(np.prod(shape))).reshape(shape) / 10, requires_grad=True)


# --- resuming --------------------------------------------------------------------------------
@pytest.mark.parametrize("name,kwargs", ALL, ids=[a[0] for a in ALL])
def test_resume_through_save_load_continues_identically(name, kwargs, tmp_path):
    cls = getattr(latte.optim, name)

    def make(model):
        opt = cls(model.groups(split=True), **kwargs)
        return opt, lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)

    straight = Model(latte, "float32")
    opt, sched = make(straight)
    for i in range(20):
        straight.train_step(opt, i)
        sched.step()

    first = Model(latte, "float32")
    opt, sched = make(first)
    for i in range(10):
        first.train_step(opt, i)
        sched.step()
    path = tmp_path / "ckpt.pt"
    latte.save({"model": dict(first.params), "optim": opt.state_dict(),
                "sched": sched.state_dict()}, path)
    del opt, sched, first

    ckpt = latte.load(path)
    resumed = Model(latte, "float32", arrays={k: v._data for k, v in ckpt["model"].items()})
    opt, sched = make(resumed)
    sched.load_state_dict(ckpt["sched"])
    opt.load_state_dict(ckpt["optim"])
    for i in range(10, 20):
        resumed.train_step(opt, i)
        sched.step()
    for k, want in straight.numpy().items():
        np.testing.assert_array_equal(resumed.numpy()[k], want, err_msg=k)
    assert sched.get_last_lr() == [g["initial_lr"] * 0.5 ** 5 for g in opt.param_groups]


def test_loaded_state_is_a_copy():
    w = _leaf(3)
    opt = latte.optim.Adam([w], lr=0.1)
    w.grad = latte.ones(3, dtype=latte.float64)
    opt.step()
    sd = opt.state_dict()
    other = latte.optim.Adam([_leaf(3)], lr=0.1)
    other.load_state_dict(sd)
    p2 = other.param_groups[0]["params"][0]
    p2.grad = latte.ones(3, dtype=latte.float64)
    other.step()
    assert float(sd["state"][0]["step"]) == 1.0
    assert float(other.state[p2]["step"]) == 2.0
    assert other.state[p2]["exp_avg"].dtype == latte.float64


def test_load_casts_state_to_param_dtype_and_keeps_step_dtype():
    w = _leaf(2)
    opt = latte.optim.Adam([w])
    w.grad = latte.ones(2, dtype=latte.float64)
    opt.step()
    w32 = latte.zeros(2, requires_grad=True)
    opt32 = latte.optim.Adam([w32])
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[w32]["exp_avg"].dtype == latte.float32
    assert opt32.state[w32]["step"].dtype == latte.float32


def test_load_validates_groups_and_shapes():
    a, b, c = _leaf(2), _leaf(3), _leaf(4)
    opt = latte.optim.SGD([a, b], lr=0.1, momentum=0.9)
    a.grad, b.grad = latte.ones_like(a), latte.ones_like(b)
    opt.step()
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        latte.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        latte.optim.SGD([a, b, c], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"shape \[2\] for parameter 0.*shape \[4\]"):
        latte.optim.SGD([c, b], lr=0.1).load_state_dict(sd)


def test_load_restores_group_options_but_keeps_own_params():
    a = _leaf(2)
    opt = latte.optim.SGD([a], lr=0.5, momentum=0.9)
    b = _leaf(2)
    other = latte.optim.SGD([b], lr=0.1)
    other.load_state_dict(opt.state_dict())
    assert other.param_groups[0]["lr"] == 0.5
    assert other.param_groups[0]["momentum"] == 0.9
    assert other.param_groups[0]["params"][0] is b


def test_torch_checkpoint_continues_in_latte(tmp_path):
    torch = pytest.importorskip("torch")
    ref_model, model = Model(torch, "float64"), None
    ref = torch.optim.Adam(ref_model.groups(True), lr=0.01, amsgrad=True)
    for i in range(5):
        ref_model.train_step(ref, i)
    path = tmp_path / "torch.pt"
    torch.save({"model": {k: v.detach() for k, v in ref_model.params.items()},
                "optim": ref.state_dict()}, path)
    ckpt = latte.load(path)
    model = Model(latte, "float64", arrays={k: v._data for k, v in ckpt["model"].items()})
    opt = latte.optim.Adam(model.groups(True), lr=0.01, amsgrad=True)
    opt.load_state_dict(ckpt["optim"])
    for i in range(5, 15):
        model.train_step(opt, i)
        ref_model.train_step(ref, i)
    for k, want in ref_model.numpy().items():
        np.testing.assert_allclose(model.numpy()[k], want, rtol=1e-10, atol=1e-12)


def test_latte_checkpoint_loads_in_torch(tmp_path):
    torch = pytest.importorskip("torch")
    model = Model(latte, "float64")
    opt = latte.optim.SGD(model.groups(True), lr=0.05, momentum=0.9)
    for i in range(5):
        model.train_step(opt, i)
    path = tmp_path / "latte.pt"
    latte.save(opt.state_dict(), path)
    ref_model = Model(torch, "float64", arrays=model.numpy())
    ref = torch.optim.SGD(ref_model.groups(True), lr=0.05, momentum=0.9)
    ref.load_state_dict(torch.load(path, weights_only=True))
    for i in range(5, 15):
        model.train_step(opt, i)
        ref_model.train_step(ref, i)
    for k, want in ref_model.numpy().items():
        np.testing.assert_allclose(model.numpy()[k], want, rtol=1e-10, atol=1e-12)


# --- groups, gradients, closures, hooks --------------------------------------------------------
def test_param_forms_tensors_dicts_and_named():
    a, b = _leaf(2), _leaf(3)
    assert latte.optim.SGD([a, b]).param_groups[0]["params"] == [a, b]
    named = latte.optim.SGD([("w", a), ("b", b)])
    assert named.param_groups[0]["param_names"] == ["w", "b"]
    assert named.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    groups = latte.optim.SGD([{"params": a}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in groups.param_groups] == [0.1, 0.5]
    assert groups.state_dict()["param_groups"][1]["params"] == [1]
    gen = latte.optim.SGD(p for p in [a, b])
    assert len(gen.param_groups[0]["params"]) == 2


def test_param_errors():
    a, b = _leaf(2), _leaf(3)
    with pytest.raises(ValueError, match="empty parameter list"):
        latte.optim.SGD([])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        latte.optim.SGD(a)
    with pytest.raises(TypeError, match="ordered collections"):
        latte.optim.SGD([{"params": {a}}])
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        latte.optim.SGD([a, 3.0])
    with pytest.raises(ValueError, match="non-leaf"):
        latte.optim.SGD([a * 2])
    opt = latte.optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [b, a]})
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [("b", b)]})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        latte.optim.SGD([a, a])


def test_add_param_group_takes_defaults_and_is_stepped():
    a, b = _leaf(2), _leaf(2)
    opt = latte.optim.Adagrad([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr_decay": 0.5})
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[1]["lr_decay"] == 0.5
    b.grad = latte.ones_like(b)
    before = b._data.copy()
    opt.step()
    assert not np.array_equal(b._data, before)
    np.testing.assert_array_equal(a._data, np.arange(2.0) / 10)


def test_zero_grad():
    a = _leaf(3)
    opt = latte.optim.SGD([a], lr=0.1)
    a.grad = latte.ones_like(a)
    grad = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is grad and not a.grad._data.any()
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("name,kwargs", ALL, ids=[a[0] for a in ALL])
def test_params_without_grad_are_skipped(name, kwargs):
    a, b = _leaf(3), _leaf(3)
    opt = getattr(latte.optim, name)([a, b], **kwargs)
    a.grad = latte.ones_like(a)
    version = b._version
    opt.step()
    np.testing.assert_array_equal(b._data, np.arange(3.0) / 10)
    assert b._version == version and a._version > 0
    if name != "Adagrad":  # Adagrad creates its state up front, as PyTorch does
        assert b not in opt.state


def test_closure_runs_with_grad_and_returns_loss():
    a = _leaf(3)
    opt = latte.optim.SGD([a], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with latte.no_grad():
        loss = opt.step(closure)
    assert float(loss) == pytest.approx(0.05)
    np.testing.assert_allclose(a._data, np.arange(3.0) / 10 * 0.8)


def test_step_hooks():
    a = _leaf(2)
    opt = latte.optim.Adam([a])
    calls = []
    pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", o)))
    opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", o)))
    a.grad = latte.ones_like(a)
    opt.step()
    assert calls == [("pre", opt), ("post", opt)]
    pre.remove()
    opt.step()
    assert [c[0] for c in calls] == ["pre", "post", "post"]


def test_float64_default_dtype_keeps_step_in_float64():
    old = latte.get_default_dtype()
    latte.set_default_dtype(latte.float64)
    try:
        a = _leaf(2)
        opt = latte.optim.NAdam([a])
        a.grad = latte.ones_like(a)
        opt.step()
        assert opt.state[a]["step"].dtype == latte.float64
        assert opt.state[a]["mu_product"].dtype == latte.float64
    finally:
        latte.set_default_dtype(old)


# --- invalid options ---------------------------------------------------------------------------
INVALID = [
    ("SGD", dict(lr=-0.1), "Invalid learning rate: -0.1"),
    ("SGD", dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    ("SGD", dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    ("SGD", dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", dict(nesterov=True, momentum=0.9, dampening=0.1),
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    ("Adam", dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    ("Adam", dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    ("AdamW", dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    ("RMSprop", dict(alpha=-0.1), "Invalid alpha value: -0.1"),
    ("RMSprop", dict(momentum=-0.1), "Invalid momentum value: -0.1"),
    ("Adagrad", dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    ("Adagrad", dict(initial_accumulator_value=-1.0),
     "Invalid initial_accumulator_value value: -1.0"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adamax", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    ("NAdam", dict(momentum_decay=-1.0), "Invalid momentum_decay value: -1.0"),
    ("RAdam", dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
]


@pytest.mark.parametrize("name,kwargs,message", INVALID)
def test_invalid_options_raise_torch_messages(name, kwargs, message):
    with pytest.raises(ValueError) as info:
        getattr(latte.optim, name)([_leaf(2)], **kwargs)
    assert str(info.value) == message
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as ref:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    assert str(ref.value) == message
