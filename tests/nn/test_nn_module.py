"""Module system: registration, traversal, state_dict, modes, conversion, hooks, printing."""
from __future__ import annotations

import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
from _nn_helpers import close, load_from_torch

import latte
import latte.nn as nn


class Block(nn.Module):
    def __init__(self, nin, nout):
        super().__init__()
        self.fc = nn.Linear(nin, nout)
        self.bn = nn.BatchNorm1d(nout)
        self.register_buffer("scale", latte.ones(nout))
        self.register_buffer("cache", latte.zeros(nout), persistent=False)

    def forward(self, x):
        return self.bn(self.fc(x)).relu() * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(Block(4, 8), Block(8, 8))
        self.heads = nn.ModuleDict({"a": nn.Linear(8, 3), "b": nn.Linear(8, 2, bias=False)})
        self.extra = nn.ParameterList([nn.Parameter(latte.zeros(2))])
        self.gain = nn.Parameter(latte.ones(1))

    def forward(self, x):
        h = self.blocks(x)
        return self.heads["a"](h) * self.gain, self.heads["b"](h)


def _torch_net(torch):
    tnn = torch.nn

    class TBlock(tnn.Module):
        def __init__(self, nin, nout):
            super().__init__()
            self.fc = tnn.Linear(nin, nout)
            self.bn = tnn.BatchNorm1d(nout)
            self.register_buffer("scale", torch.ones(nout))
            self.register_buffer("cache", torch.zeros(nout), persistent=False)

    class TNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = tnn.Sequential(TBlock(4, 8), TBlock(8, 8))
            self.heads = tnn.ModuleDict({"a": tnn.Linear(8, 3),
                                         "b": tnn.Linear(8, 2, bias=False)})
            self.extra = tnn.ParameterList([tnn.Parameter(torch.zeros(2))])
            self.gain = tnn.Parameter(torch.ones(1))

    return TNet()


# --- Parameter and Buffer ---------------------------------------------------------------------
def test_parameter_shares_memory_and_prints_like_torch():
    t = latte.zeros(3)
    p = nn.Parameter(t)
    assert isinstance(p, latte.Tensor) and p.requires_grad and p.is_leaf
    t[0] = 5.0
    assert p[0].item() == 5.0
    assert repr(nn.Parameter(latte.tensor([1.0, 2.0]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert not nn.Parameter(latte.zeros(2), requires_grad=False).requires_grad
    assert nn.Parameter().shape == (0,)
    assert type(p * 2) is latte.Tensor


def test_parameter_deepcopy_and_pickle_keep_class():
    p = nn.Parameter(latte.ones(2))
    q = copy.deepcopy(p)
    assert isinstance(q, nn.Parameter) and q.requires_grad
    q._data[0] = 3
    assert p[0].item() == 1.0
    r = pickle.loads(pickle.dumps(p))
    assert isinstance(r, nn.Parameter) and r.tolist() == [1.0, 1.0]


def test_buffer_assignment_registers_buffer():
    m = nn.Module()
    m.stats = nn.Buffer(latte.zeros(2), persistent=False)
    m.kept = nn.Buffer(latte.ones(2))
    assert [n for n, _ in m.named_buffers()] == ["stats", "kept"]
    assert list(m.state_dict()) == ["kept"]


# --- registration -----------------------------------------------------------------------------
def test_setattr_registers_and_reassigns():
    m = nn.Module()
    m.w = nn.Parameter(latte.ones(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("b", latte.zeros(1))
    m.plain = latte.zeros(1)  # a plain tensor attribute is neither
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"]
    assert list(m._buffers) == ["b"]
    m.b = latte.ones(1)  # assigning a tensor to a buffer name replaces the buffer
    assert m._buffers["b"].item() == 1.0
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = latte.ones(2)  # plain tensor to a parameter name
    m.w = None
    assert m.w is None and list(m.parameters()) == list(m.sub.parameters())
    del m.sub
    assert not hasattr(m, "sub")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = m.nope
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("plain", latte.zeros(1))
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)


def test_assignment_before_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(latte.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_traversal_matches_torch():
    torch = pytest.importorskip("torch")
    net, tnet = Net(), _torch_net(torch)
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in tnet.named_buffers()]
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]
    assert [n for n, _ in net.named_children()] == [n for n, _ in tnet.named_children()]
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert [tuple(v.shape) for v in net.state_dict().values()] == \
        [tuple(v.shape) for v in tnet.state_dict().values()]
    assert net.get_submodule("blocks.1.fc") is net.blocks[1].fc
    assert net.get_parameter("heads.a.bias") is net.heads["a"].bias
    assert net.get_buffer("blocks.0.bn.running_var") is net.blocks[0].bn.running_var
    with pytest.raises(AttributeError, match="Sequential has no attribute `nope`"):
        net.get_submodule("blocks.nope")


def test_shared_parameters_listed_once():
    fc = nn.Linear(2, 2)
    seq = nn.Sequential(fc, fc)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


# --- state_dict -------------------------------------------------------------------------------
def test_state_dict_detached_ordered_and_roundtrips_through_save(tmp_path):
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert all(not v.requires_grad for v in sd.values())
    assert sd["gain"]._data is net.gain._data  # detached view, not a copy
    path = tmp_path / "net.pt"
    latte.save(sd, path)
    other = Net()
    result = other.load_state_dict(latte.load(path))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for (k, a), b in zip(net.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_state_dict_loads_into_torch_twin_and_back(tmp_path):
    torch = pytest.importorskip("torch")
    net, tnet = Net(), _torch_net(torch)
    path = tmp_path / "net.pt"
    latte.save(net.state_dict(), path)
    tnet.load_state_dict(torch.load(path, weights_only=True))
    close(tnet.blocks[1].fc.weight, net.blocks[1].fc.weight)
    tnet2 = _torch_net(torch)
    load_from_torch(net, tnet2)
    close(net.heads["a"].weight, tnet2.heads["a"].weight)


def test_load_state_dict_errors_list_everything_and_change_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = {k: v.clone() + 1 for k, v in net.state_dict().items()}
    del bad["blocks.0.fc.bias"]
    bad["surprise"] = latte.zeros(1)
    bad["heads.a.weight"] = latte.zeros(5, 8)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    msg = str(info.value)
    assert "Error(s) in loading state_dict for Net" in msg
    assert 'Missing key(s) in state_dict: "blocks.0.fc.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "surprise"' in msg
    assert "size mismatch for heads.a.weight" in msg and "[5, 8]" in msg and "[3, 8]" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    # non-strict: key mismatches are reported, shape conflicts still raise
    with pytest.raises(RuntimeError, match="size mismatch"):
        net.load_state_dict(bad, strict=False)
    del bad["heads.a.weight"]
    missing, unexpected = net.load_state_dict(bad, strict=False)
    assert missing == ["blocks.0.fc.bias", "heads.a.weight"] and unexpected == ["surprise"]
    assert net.gain.item() == before["gain"].item() + 1


def test_load_state_dict_keeps_parameter_identity_and_dtype():
    fc = nn.Linear(2, 2)
    w = fc.weight
    fc.load_state_dict({"weight": np.ones((2, 2)), "bias": np.zeros(2)})
    assert fc.weight is w and fc.weight.dtype == latte.float32
    assert fc.weight.sum().item() == 4.0


# --- modes, gradients, conversion -------------------------------------------------------------
def test_train_eval_zero_grad_requires_grad_apply():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError):
        net.train("yes")
    out = net(latte.randn(5, 4))
    (out[0].sum() + out[1].sum()).backward()
    assert all(p.grad is not None for p in net.parameters() if p is not net.extra[0])
    net.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in net.parameters() if p.grad is not None)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen[0] == "Linear"


def test_to_double_keeps_parameters_and_converts_buffers():
    net = Net()
    params = list(net.parameters())
    assert net.double() is net
    assert list(net.parameters())[0] is params[0]
    assert all(p.dtype == latte.float64 for p in net.parameters())
    assert net.blocks[0].bn.running_mean.dtype == latte.float64
    assert net.blocks[0].bn.num_batches_tracked.dtype == latte.int64  # ints untouched
    net.to(latte.float32).cpu()
    assert net.gain.dtype == latte.float32
    assert net.to("cpu") is net
    with pytest.raises(TypeError, match="floating point"):
        net.to(latte.int64)


def test_forward_missing_is_clear():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


# --- hooks ------------------------------------------------------------------------------------
def test_forward_hooks_run_in_order_and_can_replace():
    fc = nn.Linear(3, 2)
    calls = []
    h1 = fc.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = fc.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = fc(latte.ones(4, 3))
    close(out, (fc.bias + 1).expand(4, 2))
    assert calls == [(4, 2)]
    h1.remove()
    h2.remove()
    close(fc(latte.zeros(1, 3)), fc.bias.unsqueeze(0))
    with fc.register_forward_hook(lambda m, a, o: o * 0):
        assert fc(latte.ones(1, 3)).abs().sum().item() == 0
    assert fc(latte.ones(1, 3)).abs().sum().item() != 0


def test_forward_hooks_with_kwargs_and_prepend():
    order = []
    m = nn.Identity()
    m.register_forward_hook(lambda mod, a, o: order.append("second"))
    m.register_forward_hook(lambda mod, a, o: order.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mod, a, kw: ((a[0] + 1,), kw), with_kwargs=True)
    assert m(latte.zeros(1)).item() == 1.0
    assert order == ["first", "second"]


def test_full_backward_hook_matches_torch():
    torch = pytest.importorskip("torch")
    fc, tfc = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    load_from_torch(fc, tfc)
    got, want = {}, {}
    fc.register_full_backward_hook(lambda m, gi, go: got.update(gi=gi, go=go))
    tfc.register_full_backward_hook(lambda m, gi, go: want.update(gi=gi, go=go))
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (fc(lx) ** 2).sum().backward()
    (tfc(tx) ** 2).sum().backward()
    close(got["go"][0], want["go"][0])
    close(got["gi"][0], want["gi"][0])
    close(lx.grad, tx.grad)
    # a hook that rescales grad_input changes what reaches the input
    fc2 = nn.Linear(3, 2)
    fc2.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0,))
    lx2 = latte.tensor(x, requires_grad=True)
    fc2(lx2).sum().backward()
    assert float(lx2.grad.abs().sum()) == 0.0
    assert fc2.weight.grad is not None


# --- printing ---------------------------------------------------------------------------------
def test_repr_equals_torch_for_nested_model():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    lmodel = nn.Sequential(OrderedDict(
        features=nn.Sequential(nn.Linear(10, 20), nn.ReLU(inplace=True), nn.Dropout(0.3),
                               nn.BatchNorm1d(20, momentum=None), nn.LayerNorm((20,))),
        layers=nn.ModuleList([nn.Linear(20, 20) for _ in range(3)] + [nn.GELU("tanh")]),
        heads=nn.ModuleDict({"cls": nn.Linear(20, 5, bias=False), "act": nn.LeakyReLU(0.2)}),
        misc=nn.Sequential(nn.Flatten(), nn.Unflatten(1, (4, 5)), nn.Identity(),
                           nn.Embedding(10, 4, padding_idx=0), nn.GroupNorm(2, 4),
                           nn.Softmax(dim=1), nn.Hardtanh(-2.0, 2.0), nn.PReLU(3)),
        loss=nn.CrossEntropyLoss(label_smoothing=0.1)))
    tmodel = tnn.Sequential(OrderedDict(
        features=tnn.Sequential(tnn.Linear(10, 20), tnn.ReLU(inplace=True), tnn.Dropout(0.3),
                                tnn.BatchNorm1d(20, momentum=None), tnn.LayerNorm((20,))),
        layers=tnn.ModuleList([tnn.Linear(20, 20) for _ in range(3)] + [tnn.GELU("tanh")]),
        heads=tnn.ModuleDict({"cls": tnn.Linear(20, 5, bias=False),
                              "act": tnn.LeakyReLU(0.2)}),
        misc=tnn.Sequential(tnn.Flatten(), tnn.Unflatten(1, (4, 5)), tnn.Identity(),
                            tnn.Embedding(10, 4, padding_idx=0), tnn.GroupNorm(2, 4),
                            tnn.Softmax(dim=1), tnn.Hardtanh(-2.0, 2.0), tnn.PReLU(3)),
        loss=tnn.CrossEntropyLoss(label_smoothing=0.1)))
    assert repr(lmodel) == repr(tmodel)
    assert list(lmodel.state_dict()) == list(tmodel.state_dict())


def test_parameter_containers_repr_like_torch():
    torch = pytest.importorskip("torch")
    pl = nn.ParameterList([nn.Parameter(latte.zeros(2, 3)), nn.Parameter(latte.zeros(4))])
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3)),
                                  torch.nn.Parameter(torch.zeros(4))])
    assert repr(pl) == repr(tpl).replace("torch.", "latte.")
    pd = nn.ParameterDict({"a": nn.Parameter(latte.zeros(2))})
    tpd = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.zeros(2))})
    assert repr(pd) == repr(tpd).replace("torch.", "latte.")


def test_dir_lists_registered_names():
    net = Net()
    names = dir(net)
    assert {"blocks", "heads", "gain", "forward"} <= set(names)
    assert "0" not in dir(net.blocks)


def test_deepcopy_and_pickle_model():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.gain is not net.gain and isinstance(clone.gain, nn.Parameter)
    close(clone.blocks[0].fc.weight, net.blocks[0].fc.weight)
    clone.gain._data[0] = 7
    assert net.gain.item() == 1.0
    again = pickle.loads(pickle.dumps(net))
    assert list(again.state_dict()) == list(net.state_dict())


def test_train_recurses_through_overridden_train():
    class FrozenBN(nn.BatchNorm1d):
        def train(self, mode=True):
            return super().train(False)

    net = nn.Sequential(nn.Linear(2, 2), FrozenBN(2))
    net.train()
    assert net.training and net[0].training and not net[1].training
