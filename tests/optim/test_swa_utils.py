"""``latte.optim.swa_utils`` against PyTorch's: the averaged weights and buffers of SWA and EMA
over a few SGD steps on a net with BatchNorm, ``update_bn``, the ``SWALR`` lr sequence, and
state_dict round trips. Tests that need no oracle compare with NumPy references."""
import warnings

import numpy as np
import pytest

import latte
from latte.optim import swa_utils

RTOL = {"float64": 1e-10, "float32": 1e-5}
STEPS = 6


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _data(n_batches=STEPS, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((16, 4)), rng.standard_normal((16, 2)))
            for _ in range(n_batches)]


def _net(lib, dtype):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    return net.to(getattr(lib, dtype))


def _init_arrays(dtype):
    """Starting weights for both libraries (BatchNorm's affine ones perturbed from 1 and 0)."""
    rng = np.random.default_rng(1)
    shapes = {"0.weight": (8, 4), "0.bias": (8,), "1.weight": (8,), "1.bias": (8,),
              "3.weight": (2, 8), "3.bias": (2,)}
    arrays = {k: (rng.standard_normal(s) * 0.5).astype(dtype) for k, s in shapes.items()}
    arrays["1.weight"] += 1
    return arrays


def _load(lib, net, arrays):
    state = net.state_dict()
    for k, a in arrays.items():
        state[k] = lib.tensor(a)
    net.load_state_dict(state)


def _numpy(t):
    return np.array(t.detach().cpu().numpy())  # a copy: later steps write in place


def _state(module):
    return {k: _numpy(v) for k, v in module.state_dict().items()}


def _avg_kwargs(lib, kind):
    swa = lib.optim.swa_utils
    return {"swa": {}, "swa-buffers": {"use_buffers": True},
            "swa-multi": {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
            "ema-multi": {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.7)},
            "ema-multi-buffers": {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.7),
                                  "use_buffers": True},
            "ema-avg-fn": {"avg_fn": swa.get_ema_avg_fn(0.8)},
            "ema-avg-fn-buffers": {"avg_fn": swa.get_ema_avg_fn(0.8), "use_buffers": True},
            "swa-avg-fn-buffers": {"avg_fn": swa.get_swa_avg_fn(), "use_buffers": True},
            }[kind]


def _train(lib, dtype, kind, steps=STEPS):
    """SGD on the net, averaging after each step; the averaged model's state after each."""
    net = _net(lib, dtype)
    _load(lib, net, _init_arrays(dtype))
    averaged = lib.optim.swa_utils.AveragedModel(net, **_avg_kwargs(lib, kind))
    opt = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    history = []
    for x, y in _data(steps):
        x, y = lib.tensor(x.astype(dtype)), lib.tensor(y.astype(dtype))
        opt.zero_grad()
        ((net(x) - y) ** 2).mean().backward()
        opt.step()
        averaged.update_parameters(net)
        history.append((_state(averaged), _state(net)))
    return averaged, net, history


KINDS = ["swa", "swa-buffers", "swa-multi", "ema-multi", "ema-multi-buffers", "ema-avg-fn",
         "ema-avg-fn-buffers", "swa-avg-fn-buffers"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("kind", KINDS)
def test_averaged_model_matches_torch(torch, kind, dtype):
    _, _, ours = _train(latte, dtype, kind)
    _, _, theirs = _train(torch, dtype, kind)
    tol = RTOL[dtype]
    for step, ((avg, _), (want, _)) in enumerate(zip(ours, theirs)):
        assert list(avg) == list(want)  # n_averaged, then module.<name>, as PyTorch's
        for key in want:
            assert avg[key].dtype == want[key].dtype, key
            np.testing.assert_allclose(avg[key], want[key], rtol=tol,
                                       atol=tol * max(1.0, np.abs(want[key]).max()),
                                       err_msg=f"{kind} step {step}: {key}")
        assert avg["n_averaged"] == step + 1


def test_swa_is_the_mean_of_the_snapshots():
    _, _, history = _train(latte, "float64", "swa")
    for step in range(STEPS):
        avg = history[step][0]
        for key in _init_arrays("float64"):
            mean = np.mean([snapshot[key] for _, snapshot in history[:step + 1]], axis=0)
            np.testing.assert_allclose(avg["module." + key], mean, rtol=1e-12, atol=1e-14)


def test_ema_follows_its_recurrence():
    _, _, history = _train(latte, "float64", "ema-multi")
    for key in _init_arrays("float64"):
        ema = history[0][1][key]
        for avg, model in history:
            ema = 0.7 * ema + 0.3 * model[key] if avg["n_averaged"] > 1 else model[key]
            np.testing.assert_allclose(avg["module." + key], ema, rtol=1e-12, atol=1e-14)


def test_buffers_copied_unless_use_buffers():
    _, _, copied = _train(latte, "float64", "swa")
    _, _, averaged = _train(latte, "float64", "swa-buffers")
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        for (avg, model) in copied:
            np.testing.assert_array_equal(avg["module.1." + key], model["1." + key])
    avg, model = averaged[-1]
    assert not np.allclose(avg["module.1.running_mean"], model["1.running_mean"])
    mean = np.mean([m["1.running_mean"] for _, m in averaged], axis=0)
    np.testing.assert_allclose(avg["module.1.running_mean"], mean, rtol=1e-12)
    # the integer buffer is averaged as PyTorch does: true division, truncated (1, 1.5 -> 1, ..)
    assert avg["module.1.num_batches_tracked"] == 1


def test_integer_buffers_under_ema_are_truncated():
    a = latte.zeros(3, dtype=latte.long)
    swa_utils.get_ema_multi_avg_fn(0.5)([a], [latte.full((3,), 7)], latte.tensor(2))
    assert a.tolist() == [3, 3, 3] and a.dtype == latte.long


def test_forward_delegates_and_leaves_the_model_alone():
    net = _net(latte, "float32")
    averaged = swa_utils.AveragedModel(net)
    x = latte.randn(5, 4)
    net.eval()
    averaged.eval()
    np.testing.assert_array_equal(_numpy(averaged(x)), _numpy(net(x)))
    assert averaged.module is not net
    assert all(p is not q for p, q in zip(averaged.parameters(), net.parameters()))
    assert averaged.n_averaged.dtype == latte.long and averaged.n_averaged.item() == 0
    assert "module" in repr(averaged) and "BatchNorm1d" in repr(averaged)


def test_update_parameters_does_not_record_a_graph():
    averaged, _, _ = _train(latte, "float32", "ema-avg-fn")
    for p in averaged.parameters():
        assert p.grad_fn is None and p.requires_grad


def test_device_argument():
    net = _net(latte, "float32")
    averaged = swa_utils.AveragedModel(net, device="cpu")
    averaged.update_parameters(net)
    assert averaged.n_averaged.device.type == "cpu"
    assert averaged.n_averaged.item() == 1


def test_state_dict_round_trip(torch, tmp_path):
    averaged, _, _ = _train(latte, "float32", "ema-multi-buffers")
    theirs, _, _ = _train(torch, "float32", "ema-multi-buffers")
    assert list(averaged.state_dict()) == list(theirs.state_dict())
    path = tmp_path / "averaged.pt"
    latte.save(averaged.state_dict(), path)
    fresh = swa_utils.AveragedModel(_net(latte, "float32"), use_buffers=True)
    fresh.load_state_dict(latte.load(path))
    assert fresh.n_averaged.item() == STEPS and fresh.n_averaged.dtype == latte.long
    for key, value in _state(averaged).items():
        np.testing.assert_array_equal(_state(fresh)[key], value, err_msg=key)
    # the loaded count carries on: the next update averages, it does not copy
    net = _net(latte, "float32")
    fresh.update_parameters(net)
    assert fresh.n_averaged.item() == STEPS + 1
    assert not np.allclose(_numpy(fresh.module[0].weight), _numpy(net[0].weight))


def test_averaged_model_state_dict_loads_into_torch(torch, tmp_path):
    averaged, _, _ = _train(latte, "float32", "swa")
    sd = {k: torch.tensor(v) for k, v in _state(averaged).items()}
    theirs = torch.optim.swa_utils.AveragedModel(_net(torch, "float32"))
    theirs.load_state_dict(sd)
    assert int(theirs.n_averaged) == STEPS


# --- update_bn ---------------------------------------------------------------------------

def _bn_model(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, momentum=0.3), nn.ReLU(),
                        nn.Linear(6, 3), nn.BatchNorm1d(3))
    net = net.to(lib.float64)
    arrays = {"0.weight": np.linspace(-1, 1, 24).reshape(6, 4), "0.bias": np.linspace(0, 1, 6),
              "3.weight": np.linspace(1, -1, 18).reshape(3, 6), "3.bias": np.zeros(3)}
    _load(lib, net, arrays)
    return net


def _bn_state(net):
    return {k: v for k, v in _state(net).items() if "running" in k or "num_batches" in k}


@pytest.mark.parametrize("batches", ["tuples", "lists", "tensors"])
def test_update_bn_matches_torch(torch, batches):
    data = _data(5, seed=3)

    def loader(lib):
        if batches == "tensors":
            return [lib.tensor(x) for x, _ in data]
        wrap = tuple if batches == "tuples" else list
        return [wrap((lib.tensor(x), lib.tensor(y))) for x, y in data]

    ours, theirs = _bn_model(latte), _bn_model(torch)
    for lib, net in ((latte, ours), (torch, theirs)):  # statistics to be thrown away
        net(lib.ones(8, 4, dtype=lib.float64))
        net.eval()
    swa_utils.update_bn(loader(latte), ours)
    torch.optim.swa_utils.update_bn(loader(torch), theirs)
    want = _bn_state(theirs)
    got = _bn_state(ours)
    assert want.keys() == got.keys()
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-12, err_msg=key)
    assert got["1.num_batches_tracked"] == 5
    # the cumulative average over the batches, not the exponential one
    h = np.concatenate([x for x, _ in data]) @ np.linspace(-1, 1, 24).reshape(6, 4).T
    h += np.linspace(0, 1, 6)
    batch_means = [h[i * 16:(i + 1) * 16].mean(0) for i in range(5)]
    np.testing.assert_allclose(got["1.running_mean"], np.mean(batch_means, 0), rtol=1e-12)
    assert ours[1].momentum == 0.3 and ours[4].momentum == 0.1
    assert not ours.training and not ours[1].training


def test_update_bn_restores_training_mode_and_uses_device():
    net = _bn_model(latte)
    net.train()
    swa_utils.update_bn([latte.randn(8, 4, dtype=latte.float64)], net, device="cpu")
    assert net.training and net[1].momentum == 0.3
    assert net[1].num_batches_tracked.item() == 1


def test_update_bn_without_batchnorm_does_nothing():
    net = latte.nn.Linear(4, 2)
    net.eval()
    seen = []

    def loader():
        seen.append("started")
        yield latte.randn(3, 4)

    swa_utils.update_bn(loader(), net)
    assert not seen and not net.training


def test_update_bn_on_an_averaged_model():
    averaged, _, _ = _train(latte, "float64", "swa")
    data = [(latte.tensor(x), latte.tensor(y)) for x, y in _data(3, seed=5)]
    swa_utils.update_bn(data, averaged)
    bn = averaged.module[1]
    assert bn.num_batches_tracked.item() == 3
    w, b = _numpy(averaged.module[0].weight), _numpy(averaged.module[0].bias)
    h = np.concatenate([x.numpy() for x, _ in data]) @ w.T + b
    means = np.mean([h[i * 16:(i + 1) * 16].mean(0) for i in range(3)], 0)
    np.testing.assert_allclose(bn.running_mean.numpy(), means, rtol=1e-10)


# --- SWALR -------------------------------------------------------------------------------

def _optimizer(lib):
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    return lib.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.02}], lr=0.5, momentum=0.9)


SWALR_CASES = [
    dict(swa_lr=0.05),
    dict(swa_lr=[0.05, 0.001], anneal_epochs=5, anneal_strategy="linear"),
    dict(swa_lr=0.1, anneal_epochs=0),
    dict(swa_lr=0.2, anneal_epochs=1, anneal_strategy="cos"),
    dict(swa_lr=0.01, anneal_epochs=7, anneal_strategy="cos"),
]


def _swalr_lrs(lib, kwargs, steps=20, warmup=0):
    opt = _optimizer(lib)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step-order warnings: no optimizer steps here
        lrs = []
        if warmup:
            before = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
            for _ in range(warmup):
                before.step()
                lrs.append([g["lr"] for g in opt.param_groups])
        sched = lib.optim.swa_utils.SWALR(opt, **kwargs)
        lrs.append(sched.get_last_lr())
        for _ in range(steps):
            sched.step()
            lrs.append(sched.get_last_lr())
    return lrs, [g["swa_lr"] for g in opt.param_groups]


@pytest.mark.parametrize("warmup", [0, 5])
@pytest.mark.parametrize("kwargs", SWALR_CASES, ids=lambda k: ",".join(f"{a}={v}" for a, v
                                                                       in k.items()))
def test_swalr_matches_torch(torch, kwargs, warmup):
    ours = _swalr_lrs(latte, kwargs, warmup=warmup)
    theirs = _swalr_lrs(torch, kwargs, warmup=warmup)
    assert ours == theirs


def test_swalr_reaches_and_holds_swa_lr():
    lrs, _ = _swalr_lrs(latte, dict(swa_lr=[0.05, 0.001], anneal_epochs=4,
                                    anneal_strategy="linear"))
    # linear: from 0.5 to 0.05 in 4 steps (epoch 0 already takes the first)
    np.testing.assert_allclose([lr[0] for lr in lrs[:5]],
                               [0.5 - 0.45 * t for t in (0, 0.25, 0.5, 0.75, 1.0)])
    assert all(lr == pytest.approx([0.05, 0.001]) for lr in lrs[4:])


def test_swalr_state_dict_round_trip(tmp_path):
    opt = _optimizer(latte)
    sched = swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=6, anneal_strategy="linear")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step-order warnings: no optimizer steps here
        for _ in range(3):
            sched.step()
        state = sched.state_dict()
        assert "anneal_func" not in state and "optimizer" not in state
        path = tmp_path / "checkpoint.pt"
        latte.save({"opt": opt.state_dict(), "sched": state}, path)
        want = []
        for _ in range(5):
            sched.step()
            want.append(sched.get_last_lr())
        checkpoint = latte.load(path)
        opt2 = _optimizer(latte)
        resumed = swa_utils.SWALR(opt2, swa_lr=0.9, anneal_strategy="cos")
        opt2.load_state_dict(checkpoint["opt"])
        resumed.load_state_dict(checkpoint["sched"])
        got = []
        for _ in range(5):
            resumed.step()
            got.append(resumed.get_last_lr())
    assert resumed.anneal_func is swa_utils.SWALR._linear_anneal
    assert got == want


def test_swalr_get_lr_outside_step_warns():
    sched = swa_utils.SWALR(_optimizer(latte), swa_lr=0.05)
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()


# --- errors ------------------------------------------------------------------------------

def test_swalr_rejects_bad_arguments():
    opt = _optimizer(latte)
    with pytest.raises(ValueError, match="anneal_strategy.*'cos' or 'linear'.*'exp'"):
        swa_utils.SWALR(opt, swa_lr=0.05, anneal_strategy="exp")
    with pytest.raises(ValueError, match="anneal_epochs must be equal or greater than 0, got -1"):
        swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=-1)
    with pytest.raises(ValueError, match="anneal_epochs.*2.5"):
        swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=2.5)
    with pytest.raises(ValueError, match="swa_lr must have the same length"):
        swa_utils.SWALR(opt, swa_lr=[0.1, 0.2, 0.3])
    with pytest.raises(TypeError, match="not an Optimizer"):
        swa_utils.SWALR(object(), swa_lr=0.1)


@pytest.mark.parametrize("factory", [swa_utils.get_ema_multi_avg_fn, swa_utils.get_ema_avg_fn])
def test_decay_outside_unit_interval(factory):
    with pytest.raises(ValueError, match=r"Invalid decay value 1.5.*\[0,1\]"):
        factory(1.5)
    with pytest.raises(ValueError, match="Invalid decay value -0.1"):
        factory(-0.1)


def test_averaged_model_rejects_two_averaging_functions():
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        swa_utils.AveragedModel(latte.nn.Linear(2, 2), avg_fn=swa_utils.get_swa_avg_fn(),
                                multi_avg_fn=swa_utils.get_swa_multi_avg_fn())


def test_swa_multi_avg_fn_names_integer_tensors():
    with pytest.raises(RuntimeError, match="floating-point tensors only, got latte.int64"):
        swa_utils.get_swa_multi_avg_fn()([latte.zeros(2, dtype=latte.long)],
                                         [latte.ones(2, dtype=latte.long)], latte.tensor(1))


def test_buffer_count_mismatch_is_an_error():
    averaged = swa_utils.AveragedModel(latte.nn.Sequential(latte.nn.Linear(2, 2),
                                                           latte.nn.BatchNorm1d(2)))
    with pytest.raises(ValueError, match="zip"):
        averaged.update_parameters(latte.nn.Sequential(latte.nn.Linear(2, 2)))


def test_reachable_as_torch_names():
    assert latte.optim.swa_utils is swa_utils
    assert set(swa_utils.__all__) == {"AveragedModel", "update_bn", "SWALR",
                                      "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
                                      "get_ema_avg_fn", "get_swa_avg_fn"}
