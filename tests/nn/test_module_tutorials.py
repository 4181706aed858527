"""What PyTorch's tutorials do with nn.Module machinery and ``nn.utils``: pruning
(``nn.utils.prune``), forward/backward hooks (per module and global), state-dict hooks and
``load_state_dict`` details, submodule access, containers. Hard-coded expectations run without
PyTorch; the ``torch`` tests compare with it on the same weights."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from _nn_helpers import close

import latte
import latte.nn as nn
import latte.nn.functional as F
import latte.nn.utils.prune as prune
from latte.nn.modules.module import (
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)


def lenet(lib):
    """The pruning tutorial's network, built from ``lib`` (Latte or PyTorch)."""
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.reshape(x.shape[0], -1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
    return LeNet()


def _ramp_linear(nin=4, nout=3):
    lin = nn.Linear(nin, nout)
    with latte.no_grad():
        lin.weight.copy_(latte.arange(float(nin * nout)).reshape(nout, nin) - (nin * nout - 1) / 2)
    return lin


# --- pruning --------------------------------------------------------------------------------
def test_prune_moves_parameter_to_orig_and_adds_mask_buffer():
    m = nn.Conv2d(1, 6, 3)
    prune.random_unstructured(m, name="weight", amount=0.3)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"]
    assert int(m.weight_mask.sum()) == 54 - round(0.3 * 54)
    hooks = list(m._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.RandomUnstructured)
    assert hooks[0]._tensor_name == "weight"
    assert "weight" not in m._parameters
    np.testing.assert_array_equal(m.weight.detach().numpy(),
                                  (m.weight_orig * m.weight_mask).detach().numpy())
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]


def test_l1_unstructured_and_ln_structured_masks():
    lin = _ramp_linear()  # weights -5.5 .. 5.5: the six of smallest |w| are in the middle
    prune.l1_unstructured(lin, "weight", amount=0.5)
    np.testing.assert_array_equal(lin.weight_mask.numpy(),
                                  [[1, 1, 1, 0], [0, 0, 0, 0], [0, 1, 1, 1]])
    # the second pruning chains in a container and acts on what is left
    prune.ln_structured(lin, "weight", amount=1, n=1, dim=1)
    np.testing.assert_array_equal(lin.weight_mask.numpy(),
                                  [[1, 1, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0]])
    (hook,) = lin._forward_pre_hooks.values()
    assert isinstance(hook, prune.PruningContainer)
    assert [type(h).__name__ for h in hook] == ["L1Unstructured", "LnStructured"]
    assert len(hook) == 2 and hook[1].n == 1


def test_ln_structured_prunes_whole_channels():
    conv = nn.Conv2d(1, 4, 2)
    with latte.no_grad():
        conv.weight.copy_(latte.tensor([1.0, 3.0, 0.5, 2.0]).reshape(4, 1, 1, 1).expand(4, 1, 2, 2))
    prune.ln_structured(conv, "weight", amount=0.5, n=2, dim=0)
    assert conv.weight_mask.sum(dim=(1, 2, 3)).tolist() == [0.0, 4.0, 0.0, 4.0]


def test_remove_makes_pruning_permanent():
    lin = _ramp_linear()
    weight_orig = lin.weight
    prune.l1_unstructured(lin, "weight", amount=6)
    prune.remove(lin, "weight")
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight"]
    assert list(lin.named_buffers()) == [] and not lin._forward_pre_hooks
    assert lin.weight is weight_orig and isinstance(lin.weight, nn.Parameter)
    assert int((lin.weight == 0).sum()) == 6
    assert list(lin.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="Parameter 'weight' of module .* has to be pruned"):
        prune.remove(lin, "weight")


def test_global_unstructured_ranks_all_tensors_together():
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    with latte.no_grad():
        a.weight.copy_(latte.tensor([[0.1, 5.0], [0.2, 6.0]]))
        b.weight.copy_(latte.tensor([[7.0, 8.0], [0.3, 9.0]]))
    prune.global_unstructured([(a, "weight"), (b, "weight")],
                              pruning_method=prune.L1Unstructured, amount=0.375)
    np.testing.assert_array_equal(a.weight_mask.numpy(), [[0, 1], [0, 1]])
    np.testing.assert_array_equal(b.weight_mask.numpy(), [[1, 1], [0, 1]])
    assert isinstance(next(iter(a._forward_pre_hooks.values())), prune.CustomFromMask)


def test_custom_pruning_method_and_gradient_through_mask():
    class FooBarPruningMethod(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    fc = nn.Linear(3, 5)
    FooBarPruningMethod.apply(fc, "bias")
    assert fc.bias_mask.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    fc(latte.ones(2, 3)).sum().backward()
    assert fc.bias_orig.grad.tolist() == [0.0, 2.0, 0.0, 2.0, 0.0]
    # the pre-hook recomputes the pruned tensor from weight_orig before each forward
    with latte.no_grad():
        fc.bias_orig.fill_(1.0)
    fc(latte.ones(1, 3))
    assert fc.bias.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]


def test_prune_identity_custom_mask_and_is_pruned():
    net = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    assert not prune.is_pruned(net)
    prune.identity(net[0], "weight")
    assert prune.is_pruned(net) and int(net[0].weight_mask.sum()) == 9
    prune.custom_from_mask(net[1], "bias", mask=latte.tensor([0, 1, 0]))
    assert net[1].bias_mask.tolist() == [0.0, 1.0, 0.0] and net[1].bias_mask.dtype == latte.float32
    sd = net.state_dict()
    assert list(sd) == ["0.bias", "0.weight_orig", "0.weight_mask", "1.weight", "1.bias_orig",
                        "1.bias_mask"]
    twin = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    prune.identity(twin[0], "weight")
    prune.identity(twin[1], "bias")
    twin.load_state_dict(sd)
    assert twin[1].bias_mask.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("amount, message", [
    (1.5, "amount=1.5 should either be a float in the range [0, 1] or a non-negative integer"),
    (-1, "amount=-1 should either be a float in the range [0, 1] or a non-negative integer"),
    (10, "amount=10 should be smaller than the number of parameters to prune=4"),
])
def test_prune_amount_errors(amount, message):
    lin = nn.Linear(2, 2)
    with pytest.raises(ValueError) as info:
        prune.l1_unstructured(lin, "weight", amount=amount)
    assert str(info.value) == message
    # left unpruned (PyTorch too re-registers the weight last when compute_mask fails)
    assert sorted(n for n, _ in lin.named_parameters()) == ["bias", "weight"]
    assert not lin._forward_pre_hooks and not list(lin.buffers())
    with pytest.raises(ValueError, match="Structured pruning can only be applied"):
        prune.ln_structured(nn.Linear(2, 2), "bias", amount=1, n=2, dim=0)


def test_prune_matches_torch_on_lenet():
    torch = pytest.importorskip("torch")
    import torch.nn.utils.prune as tprune
    tnet = lenet(torch)
    net = lenet(latte)
    net.load_state_dict({k: v.detach().numpy() for k, v in tnet.state_dict().items()})
    for lib, model in ((prune, net), (tprune, tnet)):
        lib.l1_unstructured(model.conv1, "bias", amount=3)
        lib.ln_structured(model.conv1, "weight", amount=0.5, n=2, dim=0)
        lib.l1_unstructured(model.conv1, "weight", amount=0.2)
        lib.global_unstructured([(model.conv2, "weight"), (model.fc1, "weight"),
                                 (model.fc2, "weight")], pruning_method=lib.L1Unstructured,
                                amount=0.2)
    assert list(net.state_dict()) == list(tnet.state_dict())
    for key, value in tnet.state_dict().items():
        close(net.state_dict()[key], value, what=key)
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    lout, tout = net(latte.tensor(x)), tnet(torch.tensor(x))
    close(lout, tout, atol=1e-4)
    lout.sum().backward()
    tout.sum().backward()
    close(net.conv1.weight_orig.grad, tnet.conv1.weight_orig.grad, atol=1e-4)
    for lib, model in ((prune, net), (tprune, tnet)):
        lib.remove(model.conv1, "weight")
    assert list(net.state_dict()) == list(tnet.state_dict())


# --- forward and backward hooks -------------------------------------------------------------
class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x, scale=1.0):
        return self.lin(x) * scale


def test_forward_hooks_with_kwargs():
    m, log = Scaled(), []

    def pre(mod, args, kwargs):
        log.append(("pre", len(args), dict(kwargs)))
        return args, {**kwargs, "scale": 2.0}

    def post(mod, args, kwargs, out):
        log.append(("post", dict(kwargs)))
        return out + 1

    h1 = m.register_forward_pre_hook(pre, with_kwargs=True)
    h2 = m.register_forward_hook(post, with_kwargs=True)
    x = latte.ones(1, 3)
    close(m(x, scale=1.0), m.lin(x) * 2 + 1)
    assert log == [("pre", 1, {"scale": 1.0}), ("post", {"scale": 2.0})]
    h1.remove()
    h2.remove()
    assert not m._forward_pre_hooks and not m._forward_hooks
    assert not m._forward_pre_hooks_with_kwargs and not m._forward_hooks_with_kwargs
    bad = nn.Linear(1, 1)
    bad.register_forward_pre_hook(lambda mod, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple of \(new_args, "):
        bad(latte.ones(1, 1))


def test_always_call_forward_hook_runs_when_forward_raises():
    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    log, b = [], Bad()
    b.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    b.register_forward_hook(lambda mod, args, out: log.append("never"))
    with pytest.raises(ValueError, match="boom"):
        b(latte.ones(1))
    assert log == [("always", None)]
    # an always_call hook that fails too is warned about, and the forward's error raised
    b2 = Bad()
    b2.register_forward_hook(lambda *a: 1 / 0, always_call=True)
    with pytest.warns(UserWarning, match="always_call=True.* raised an exception"):
        with pytest.raises(ValueError, match="boom"):
            b2(latte.ones(1))


def _shapes(grads):
    return [None if g is None else tuple(g.shape) for g in grads]


EXPECTED_BACKWARD_ORDER = [
    ("tensor_hook", (5, 2)),
    ("bpre", "Linear", [(5, 2)]), ("bfull", "Linear", [(5, 4)], [(5, 2)]),
    ("bpre", "ReLU", [(5, 4)]), ("bfull", "ReLU", [(5, 4)], [(5, 4)]),
    ("bpre", "Linear", [(5, 4)]), ("bfull", "Linear", [(5, 3)], [(5, 4)]),
]


def _backward_hook_log(lib):
    lib.manual_seed(0)
    log = []
    seq = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    for mod in seq:
        mod.register_full_backward_pre_hook(
            lambda mod, gout: log.append(("bpre", type(mod).__name__, _shapes(gout))))
        mod.register_full_backward_hook(lambda mod, gin, gout: log.append(
            ("bfull", type(mod).__name__, _shapes(gin), _shapes(gout))))
    out = seq(lib.randn(5, 3, requires_grad=True))
    out.register_hook(lambda g: log.append(("tensor_hook", tuple(g.shape))))
    out.sum().backward()
    return log


def test_backward_hook_order():
    assert _backward_hook_log(latte) == EXPECTED_BACKWARD_ORDER


def test_backward_hook_order_matches_torch():
    torch = pytest.importorskip("torch")
    assert _backward_hook_log(torch) == EXPECTED_BACKWARD_ORDER


def test_backward_pre_hook_replaces_grad_output():
    lin, seen = nn.Linear(2, 2), []
    lin.register_full_backward_pre_hook(lambda mod, gout: (gout[0] * 3,))
    lin.register_full_backward_hook(lambda mod, gin, gout: seen.append(gout[0].tolist()))
    x = latte.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    assert seen == [[[3.0, 3.0]]]
    close(x.grad, lin.weight.sum(0, keepdim=True) * 3)
    wrong = nn.Linear(1, 1)
    wrong.register_full_backward_pre_hook(lambda mod, g: (g[0], g[0]))
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                                           "grad_output, got 2, but expected 1"):
        wrong(latte.ones(1, 1)).sum().backward()


def test_full_backward_hook_grad_input_has_one_entry_per_argument():
    class Two(nn.Module):
        def forward(self, x, y, k=3):
            return x * y, x + y

    m, log = Two(), []
    m.register_full_backward_hook(lambda mod, gin, gout: log.append((_shapes(gin),
                                                                     _shapes(gout))))
    x = latte.randn(2, requires_grad=True)
    a, b = m(x, latte.randn(3, 1, requires_grad=True))
    a.sum().backward()
    # grad_output of the unused output is None, as PyTorch
    assert log == [([(2,), (3, 1)], [(3, 2), None])]
    log.clear()
    lin = nn.Linear(3, 2)
    lin.register_full_backward_hook(lambda mod, gin, gout: log.append((gin, _shapes(gout))))
    with pytest.warns(UserWarning, match="Full backward hook is firing when gradients are "
                                         "computed with respect to module outputs"):
        lin(latte.randn(4, 3)).sum().backward()
    assert log == [((None,), [(4, 2)])]


def test_global_module_hooks():
    log = []
    seq = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    handles = [
        register_module_forward_pre_hook(lambda m, a: log.append(("gpre", type(m).__name__))),
        register_module_forward_hook(lambda m, a, o: log.append(("gfwd", type(m).__name__))),
        register_module_full_backward_pre_hook(
            lambda m, g: log.append(("gbpre", type(m).__name__))),
        register_module_full_backward_hook(
            lambda m, gi, go: log.append(("gbfull", type(m).__name__))),
    ]
    seq[1].register_forward_hook(lambda m, a, o: log.append(("own", type(m).__name__)))
    try:
        seq(latte.randn(1, 3, requires_grad=True)).sum().backward()
    finally:
        for h in handles:
            h.remove()
    assert log == [("gpre", "Sequential"), ("gpre", "Linear"), ("gfwd", "Linear"),
                   ("gpre", "ReLU"), ("gfwd", "ReLU"), ("own", "ReLU"), ("gfwd", "Sequential"),
                   ("gbpre", "Sequential"), ("gbpre", "ReLU"), ("gbfull", "ReLU"),
                   ("gbpre", "Linear"), ("gbfull", "Linear"), ("gbfull", "Sequential")]
    log.clear()
    seq(latte.randn(1, 3))
    assert log == [("own", "ReLU")]


def test_global_module_hooks_match_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.modules.module import register_module_forward_hook as t_fwd
    from torch.nn.modules.module import register_module_forward_pre_hook as t_pre

    def run(lib, fwd, pre):
        log = []
        seq = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU())
        h1 = pre(lambda m, a: log.append(("pre", type(m).__name__)))
        h2 = fwd(lambda m, a, o: log.append(("fwd", type(m).__name__)))
        seq(lib.ones(1, 3))
        h1.remove()
        h2.remove()
        return log

    assert run(latte, register_module_forward_hook, register_module_forward_pre_hook) == \
        run(torch, t_fwd, t_pre)


def test_tensor_hook_and_handles():
    a = latte.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = a.register_hook(lambda g: g * 2)
    (a * a).sum().backward()
    assert a.grad.tolist() == [4.0, 8.0, 12.0]
    h.remove()
    a.grad = None
    (a * a).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0, 6.0]
    from latte.utils.hooks import RemovableHandle
    lin = nn.Linear(2, 2)
    with lin.register_forward_hook(lambda *args: None) as handle:
        assert isinstance(handle, RemovableHandle) and len(lin._forward_hooks) == 1
    assert not lin._forward_hooks


def test_distillation_feature_hook_and_losses():
    teacher = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    student = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    feats = {}
    teacher[1].register_forward_hook(lambda m, i, o: feats.update(t=o))
    x, T = latte.randn(5, 4), 2.0
    teacher.eval()
    with latte.no_grad():
        t_logits = teacher(x)
    assert not feats["t"].requires_grad
    s_logits = student(x)
    soft_targets = F.softmax(t_logits / T, dim=-1)
    soft_prob = F.log_softmax(s_logits / T, dim=-1)
    by_hand = (soft_targets * (soft_targets.log() - soft_prob)).sum() / soft_prob.shape[0] * T ** 2
    kl = nn.KLDivLoss(reduction="batchmean")(soft_prob, soft_targets) * T ** 2
    kl_log = nn.KLDivLoss(reduction="batchmean", log_target=True)(soft_prob,
                                                                  soft_targets.log()) * T ** 2
    close(kl, by_hand)
    close(kl_log, by_hand)
    cos = nn.CosineEmbeddingLoss()(student[1](student[0](x)), feats["t"], latte.ones(5))
    cos.backward()
    assert student[0].weight.grad is not None and teacher[0].weight.grad is None


# --- state_dict -----------------------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
        self.head = nn.ModuleDict({"cls": nn.Linear(4, 2), "reg": nn.Linear(4, 1)})


def test_load_state_dict_reports_missing_then_unexpected():
    net = Net()
    sd = net.state_dict()
    sd.pop("head.reg.bias")
    sd["extra.weight"] = latte.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["head.reg.bias"]
    assert result.unexpected_keys == ["extra.weight"]
    assert repr(result) == ("_IncompatibleKeys(missing_keys=['head.reg.bias'], "
                            "unexpected_keys=['extra.weight'])")
    assert repr(net.load_state_dict(net.state_dict())) == "<All keys matched successfully>"
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    assert str(info.value) == ('Error(s) in loading state_dict for Net:\n\tMissing key(s) in '
                               'state_dict: "head.reg.bias". \n\tUnexpected key(s) in '
                               'state_dict: "extra.weight". ')


def test_state_dict_metadata_versions():
    meta = Net().state_dict()._metadata
    assert list(meta) == ["", "features", "features.0", "features.1", "features.2", "head",
                          "head.cls", "head.reg"]
    assert meta[""] == {"version": 1} and meta["features.1"] == {"version": 2}


def test_state_dict_hooks():
    log = []
    m = nn.Linear(2, 2)
    m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars:
                                   log.append(("pre", prefix, keep_vars)))

    def post(mod, state_dict, prefix, local_metadata):
        log.append(("post", prefix, sorted(state_dict), local_metadata))
        state_dict[prefix + "extra"] = latte.tensor(1.0)

    m.register_state_dict_post_hook(post)
    sd = nn.Sequential(m).state_dict()
    assert list(sd) == ["0.weight", "0.bias", "0.extra"]
    assert log == [("pre", "0.", False), ("post", "0.", ["0.bias", "0.weight"],
                                          {"version": 1})]
    bad = nn.Linear(1, 1)
    bad.register_state_dict_post_hook(lambda *args: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        bad.state_dict()


def test_load_state_dict_hooks():
    log = []
    m = nn.Linear(2, 2)

    def pre(mod, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        log.append(("pre", prefix, strict, local_metadata))
        state_dict[prefix + "weight"] = state_dict.pop(prefix + "w")  # an old checkpoint

    def post(mod, incompatible_keys):
        log.append(("post", list(incompatible_keys.missing_keys),
                    list(incompatible_keys.unexpected_keys)))
        incompatible_keys.unexpected_keys.clear()

    m.register_load_state_dict_pre_hook(pre)
    m.register_load_state_dict_post_hook(post)
    given = {"w": latte.ones(2, 2), "bias": latte.zeros(2), "extra": latte.ones(1)}
    assert repr(m.load_state_dict(given)) == "<All keys matched successfully>"
    assert list(given) == ["w", "bias", "extra"]  # the caller's dict is left alone
    assert log == [("pre", "", True, {}), ("post", [], ["extra"])]
    assert m.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_extra_state_round_trip():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(1, 1)
            self.count = 5

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]

    sd = Counter().state_dict()
    assert list(sd) == ["_extra_state", "lin.weight", "lin.bias"]
    twin = Counter()
    twin.count = 0
    twin.load_state_dict(sd)
    assert twin.count == 5
    del sd["_extra_state"]
    assert twin.load_state_dict(sd, strict=False).missing_keys == ["_extra_state"]


def test_load_state_dict_assign_takes_the_given_tensors():
    m = nn.Linear(2, 2)
    m.weight.requires_grad_(False)
    new = {"weight": latte.ones(2, 2, dtype=latte.float64), "bias": latte.zeros(2)}
    m.load_state_dict(new, assign=True)
    assert isinstance(m.weight, nn.Parameter) and not m.weight.requires_grad
    assert m.bias.requires_grad and m.weight.dtype == latte.float64
    assert m.weight.data_ptr() == new["weight"].data_ptr()
    bn = nn.BatchNorm1d(2)
    mean = latte.full((2,), 3.0)
    bn.load_state_dict({**bn.state_dict(), "running_mean": mean}, assign=True)
    assert bn.running_mean is mean


def test_submodule_access_and_errors():
    net = Net()
    assert net.get_submodule("features.1") is net.features[1]
    assert net.get_parameter("head.cls.bias").shape == (2,)
    assert net.get_buffer("features.1.running_mean").shape == (4,)
    net.set_submodule("features.2", nn.GELU())
    assert isinstance(net.features[2], nn.GELU)
    with pytest.raises(AttributeError, match="^Sequential has no attribute `9`$"):
        net.get_submodule("features.9")
    with pytest.raises(AttributeError, match="^Linear has no attribute `foo`$"):
        net.get_parameter("head.cls.foo")
    with pytest.raises(AttributeError, match="^`weight` is not an nn.Module$"):
        net.get_submodule("head.cls.weight")
    with pytest.raises(AttributeError, match="^`running_mean` is not an nn.Parameter$"):
        net.get_parameter("features.1.running_mean")
    with pytest.raises(AttributeError, match="^`weight` is not a buffer$"):
        net.get_buffer("features.1.weight")
    with pytest.raises(AttributeError, match="has no attribute `new`"):
        net.set_submodule("head.new", nn.ReLU(), strict=True)
    with pytest.raises(ValueError, match="Cannot set the submodule without a target name"):
        net.set_submodule("", nn.ReLU())


def test_to_empty_keeps_shapes_and_parameters():
    m = nn.Linear(3, 2)
    weight = m.weight
    m(latte.ones(1, 3)).sum().backward()
    m.to_empty(device="cpu")
    assert m.weight is weight and m.weight.shape == (2, 3) and m.weight.grad is None
    assert isinstance(m.weight, nn.Parameter)


def test_parameter_dict_sorts_plain_dicts_and_assignment_errors():
    pd = nn.ParameterDict({"b": latte.ones(1), "a": latte.zeros(1)})
    assert list(pd) == ["a", "b"]
    from collections import OrderedDict
    assert list(nn.ParameterDict(OrderedDict(b=latte.ones(1), a=latte.ones(1)))) == ["b", "a"]
    assert list(nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})) == ["b", "a"]
    lin = nn.Linear(1, 1)
    with pytest.raises(TypeError, match=r"^cannot assign 'latte.FloatTensor' as parameter "
                                        r"'weight' \(latte.nn.Parameter or None expected\)$"):
        lin.weight = latte.ones(1, 1)


def test_state_dict_and_repr_match_torch():
    torch = pytest.importorskip("torch")

    def build(lib):
        class WithExtra(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.l = lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)])
                self.bn = lib.nn.BatchNorm1d(2)

            def extra_repr(self):
                return "hello=1\nworld=2"
        return WithExtra()

    lm, tm = build(latte), build(torch)
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())
    assert dict(lm.state_dict()._metadata) == dict(tm.state_dict()._metadata)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert [n for n, _ in lm.named_modules(remove_duplicate=False)] == \
            [n for n, _ in tm.named_modules(remove_duplicate=False)]


def test_backward_hooks_skip_non_tensor_outputs_with_a_warning():
    class DictOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return {"out": self.lin(x)}

    m, log = DictOut(), []
    m.register_full_backward_hook(lambda mod, gin, gout: log.append("called"))
    with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple of "
                                         "Tensors but received <class 'dict'>"):
        out = m(latte.ones(1, 2, requires_grad=True))
    out["out"].sum().backward()
    assert log == []  # as PyTorch: no grad_output reaches the hooks


def test_kl_div_mean_reduction_warns_as_torch():
    log_p, q = F.log_softmax(latte.randn(2, 3), dim=-1), F.softmax(latte.randn(2, 3), dim=-1)
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the "
                                         "batch size and the support size"):
        nn.KLDivLoss(reduction="mean")(log_p, q)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.KLDivLoss(reduction="batchmean")(log_p, q)


def test_module_pickled_without_new_hook_tables_still_works():
    m = nn.Linear(2, 2)
    state = {k: v for k, v in m.__dict__.items()
             if k not in ("_backward_pre_hooks", "_forward_hooks_always_called",
                          "_state_dict_hooks", "_load_state_dict_post_hooks")}
    old = nn.Linear.__new__(nn.Linear)
    old.__setstate__(state)
    assert old(latte.ones(1, 2)).shape == (1, 2)
    assert list(old.state_dict()) == ["weight", "bias"]
    old.register_full_backward_pre_hook(lambda mod, g: None)
