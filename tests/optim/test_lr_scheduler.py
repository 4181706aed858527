"""Learning-rate schedulers: the lr (and momentum) sequence over 100 steps equals PyTorch's
exactly, state_dict resumes identically, and the step-order warning."""
import math
import warnings

import pytest

import latte
import latte.optim
from latte.optim import lr_scheduler as L


def _optimizer(lib, kind="SGD"):
    """Two param groups with different lrs (no gradients: only the lrs move)."""
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.01}]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _lambda(epoch):
    return 0.97 ** epoch + 0.01 * (epoch % 3)


def _mult(epoch):
    return 0.99 if epoch % 2 else 0.95


# (id, optimizer kind, factory(schedulers module, optimizer))
SCHEDULERS = [
    ("LambdaLR", "SGD", lambda S, o: S.LambdaLR(o, _lambda)),
    ("LambdaLR-per-group", "SGD", lambda S, o: S.LambdaLR(o, [_lambda, _mult])),
    ("MultiplicativeLR", "SGD", lambda S, o: S.MultiplicativeLR(o, _mult)),
    ("StepLR", "SGD", lambda S, o: S.StepLR(o, step_size=7, gamma=0.5)),
    ("MultiStepLR", "SGD", lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 70],
                                                      gamma=0.3)),
    ("ConstantLR", "SGD", lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=10)),
    ("LinearLR", "SGD", lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9,
                                                total_iters=30)),
    ("ExponentialLR", "SGD", lambda S, o: S.ExponentialLR(o, gamma=0.95)),
    ("PolynomialLR", "SGD", lambda S, o: S.PolynomialLR(o, total_iters=60, power=2.0)),
    ("CosineAnnealingLR", "SGD", lambda S, o: S.CosineAnnealingLR(o, T_max=30, eta_min=1e-4)),
    ("CosineAnnealingWarmRestarts", "SGD",
     lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-3)),
    ("OneCycleLR-cos", "SGD", lambda S, o: S.OneCycleLR(o, max_lr=[1.0, 0.1],
                                                        total_steps=101)),
    ("OneCycleLR-linear-adam", "Adam",
     lambda S, o: S.OneCycleLR(o, max_lr=0.5, epochs=5, steps_per_epoch=21, pct_start=0.25,
                               anneal_strategy="linear", div_factor=10.0)),
    ("OneCycleLR-three-phase", "SGD",
     lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=100, three_phase=True,
                               base_momentum=[0.8, 0.7], max_momentum=0.9)),
    ("OneCycleLR-no-momentum", "Adam",
     lambda S, o: S.OneCycleLR(o, max_lr=0.3, total_steps=100, cycle_momentum=False)),
    ("CyclicLR-triangular", "SGD",
     lambda S, o: S.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.05], step_size_up=7)),
    ("CyclicLR-triangular2", "SGD",
     lambda S, o: S.CyclicLR(o, base_lr=[0.01, 0.001], max_lr=0.1, step_size_up=5,
                             step_size_down=11, mode="triangular2", base_momentum=0.7)),
    ("CyclicLR-exp-range-adam", "Adam",
     lambda S, o: S.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=9, mode="exp_range",
                             gamma=0.98)),
    ("CyclicLR-scale-fn", "SGD",
     lambda S, o: S.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=4, scale_fn=_mult,
                             scale_mode="iterations", cycle_momentum=False)),
    ("SequentialLR", "SGD",
     lambda S, o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=10),
                                     S.CosineAnnealingLR(o, T_max=40),
                                     S.ExponentialLR(o, gamma=0.9)], milestones=[10, 50])),
    ("ChainedScheduler", "SGD",
     lambda S, o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=5),
                                      S.ExponentialLR(o, gamma=0.97),
                                      S.MultiStepLR(o, milestones=[40], gamma=0.1)])),
]


def _metric(i):
    return 1.0 / (1 + i // 9) + 0.05 * (i % 4)


PLATEAUS = [
    dict(),
    dict(mode="max", factor=0.5, patience=2, threshold=0.01, threshold_mode="abs", cooldown=3),
    dict(factor=0.3, patience=1, cooldown=2, min_lr=[0.02, 0.0005]),
    dict(mode="min", threshold_mode="abs", threshold=0.1, patience=0, min_lr=0.001, eps=0.0),
]


def _momentum(opt):
    return [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]


def _trace(lib_opt, sched, steps, metric=None):
    rows = [(list(sched.get_last_lr()), [g["lr"] for g in lib_opt.param_groups],
             _momentum(lib_opt))]
    for i in range(steps):
        lib_opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric(i))
        rows.append((list(sched.get_last_lr()), [g["lr"] for g in lib_opt.param_groups],
                     _momentum(lib_opt)))
    return rows


@pytest.mark.parametrize("case", SCHEDULERS, ids=[c[0] for c in SCHEDULERS])
def test_lr_sequence_equals_torch(case):
    torch = pytest.importorskip("torch")
    _, kind, factory = case
    opt, ref = _optimizer(latte, kind), _optimizer(torch, kind)
    ours = _trace(opt, factory(L, opt), 100)
    theirs = _trace(ref, factory(torch.optim.lr_scheduler, ref), 100)
    assert ours == theirs


@pytest.mark.parametrize("kwargs", PLATEAUS, ids=[str(k) for k in PLATEAUS])
def test_reduce_on_plateau_equals_torch(kwargs):
    torch = pytest.importorskip("torch")
    opt, ref = _optimizer(latte), _optimizer(torch)
    ours = _trace(opt, L.ReduceLROnPlateau(opt, **kwargs), 100, _metric)
    theirs = _trace(ref, torch.optim.lr_scheduler.ReduceLROnPlateau(ref, **kwargs), 100,
                    _metric)
    assert ours == theirs
    assert len({tuple(r[0]) for r in ours}) > 1  # the schedule did reduce


def test_warm_restarts_fractional_epochs_equal_torch():
    torch = pytest.importorskip("torch")
    lrs = []
    for lib, S in ((latte, L), (torch, torch.optim.lr_scheduler)):
        opt = _optimizer(lib)
        sched = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001)
        seq = []
        for epoch in range(12):
            for i in range(5):
                opt.step()
                sched.step(epoch + i / 5)
                seq.append(sched.get_last_lr())
        lrs.append(seq)
    assert lrs[0] == lrs[1]


@pytest.mark.parametrize("name,kwargs", [("StepLR", dict(step_size=3, gamma=0.5)),
                                         ("CosineAnnealingLR", dict(T_max=10)),
                                         ("MultiStepLR", dict(milestones=[2, 5]))])
def test_step_with_epoch_uses_closed_form_like_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    out = []
    for lib, S in ((latte, L), (torch, torch.optim.lr_scheduler)):
        opt = _optimizer(lib)
        sched = getattr(S, name)(opt, **kwargs)
        opt.step()
        with pytest.warns(UserWarning, match="epoch parameter"):
            sched.step(7)
        out.append(sched.get_last_lr())
    assert out[0] == out[1]


def test_cosine_values():
    opt = _optimizer(latte)
    sched = L.CosineAnnealingLR(opt, T_max=10, eta_min=0.0)
    for _ in range(5):
        opt.step()
        sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(math.pi / 2)) / 2)


# --- step order --------------------------------------------------------------------------------
def test_warns_when_scheduler_steps_before_optimizer():
    opt = _optimizer(latte)
    sched = L.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = _optimizer(latte)
    sched = L.ExponentialLR(opt, gamma=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.9 ** 3, 0.01 * 0.9 ** 3])


def test_construction_sets_initial_lr_and_base_lrs():
    opt = _optimizer(latte)
    sched = L.LinearLR(opt, start_factor=0.5, total_iters=4)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert sched.base_lrs == [0.1, 0.01]
    assert sched.last_epoch == 0
    assert sched.get_last_lr() == [0.05, 0.005]
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(_optimizer(latte), step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        L.StepLR(object(), step_size=2)


@pytest.mark.parametrize("factory,message", [
    (lambda o: L.ConstantLR(o, factor=1.5), "between 0 and 1"),
    (lambda o: L.LinearLR(o, start_factor=0.0), "greater than 0"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, T_0=0), "positive integer T_0"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), "T_mult >= 1"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1), "total_steps OR"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1.5), "pct_start"),
    (lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="x"), "'cos'"),
    (lambda o: L.OneCycleLR(o, max_lr=[0.1], total_steps=10), "same length"),
    (lambda o: L.LambdaLR(o, [_lambda]), "Expected 2 lr_lambdas, but got 1"),
    (lambda o: L.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0"),
    (lambda o: L.ReduceLROnPlateau(o, mode="up"), "mode up is unknown"),
    (lambda o: L.ReduceLROnPlateau(o, min_lr=[0.1]), "expected 2 min_lrs, got 1"),
    (lambda o: L.SequentialLR(o, [L.StepLR(o, 2)], milestones=[3]), "one more"),
    (lambda o: L.SequentialLR(o, [L.ReduceLROnPlateau(o)], milestones=[]), "ReduceLROnPlat"),
    (lambda o: L.ChainedScheduler([]), "at least one scheduler"),
    (lambda o: L.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), "mode is invalid"),
])
def test_invalid_scheduler_options(factory, message):
    with pytest.raises(ValueError, match=message):
        factory(_optimizer(latte))


def test_one_cycle_too_many_steps():
    opt = _optimizer(latte)
    sched = L.OneCycleLR(opt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        opt.step()
        sched.step()
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        sched.step()


# --- state_dict ----------------------------------------------------------------------------------
RESUMABLE = [c for c in SCHEDULERS if c[0] in (
    "LambdaLR", "MultiStepLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
    "OneCycleLR-linear-adam", "OneCycleLR-three-phase", "CyclicLR-triangular2",
    "CyclicLR-scale-fn", "SequentialLR", "ChainedScheduler")]


@pytest.mark.parametrize("case", RESUMABLE, ids=[c[0] for c in RESUMABLE])
def test_scheduler_resumes_identically(case, tmp_path):
    _, kind, factory = case
    opt = _optimizer(latte, kind)
    straight = _trace(opt, factory(L, opt), 100)

    opt = _optimizer(latte, kind)
    sched = factory(L, opt)
    first = _trace(opt, sched, 40)
    latte.save({"optim": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.pt")
    ckpt = latte.load(tmp_path / "s.pt")
    opt = _optimizer(latte, kind)
    sched = factory(L, opt)
    sched.load_state_dict(ckpt["sched"])
    opt.load_state_dict(ckpt["optim"])
    rest = _trace(opt, sched, 60)
    assert first + rest[1:] == straight


def test_plateau_resumes_identically(tmp_path):
    opt = _optimizer(latte)
    straight = _trace(opt, L.ReduceLROnPlateau(opt, **PLATEAUS[1]), 60, _metric)
    opt = _optimizer(latte)
    sched = L.ReduceLROnPlateau(opt, **PLATEAUS[1])
    first = _trace(opt, sched, 25, _metric)
    latte.save({"optim": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "p.pt")
    ckpt = latte.load(tmp_path / "p.pt")
    opt = _optimizer(latte)
    sched = L.ReduceLROnPlateau(opt, **PLATEAUS[1])
    sched.load_state_dict(ckpt["sched"])
    opt.load_state_dict(ckpt["optim"])
    rest = _trace(opt, sched, 35, lambda i: _metric(i + 25))
    assert first + rest[1:] == straight


def test_lambda_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self):
            self.scale = 1.0

        def __call__(self, epoch):
            return self.scale * min(1.0, (epoch + 1) / 5)

    opt = _optimizer(latte)
    fn = Warmup()
    fn.scale = 0.5
    sd = L.LambdaLR(opt, [fn, _lambda]).state_dict()
    assert sd["lr_lambdas"] == [{"scale": 0.5}, None]
    fresh = Warmup()
    sched = L.LambdaLR(_optimizer(latte), [fresh, _lambda])
    sched.load_state_dict(sd)
    assert fresh.scale == 0.5
