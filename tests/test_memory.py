"""Memory: what the graph keeps after backward (op by op, through the registry), hooks on saved
tensors against PyTorch's, activation checkpointing measured, and ``latte.cuda``'s counters."""
from __future__ import annotations

import tracemalloc
import types

import numpy as np
import pytest
from op_db import as_list, call, cases, leaves

import latte
import latte.nn.functional as F
from latte.autograd.graph import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from latte.utils.checkpoint import checkpoint, checkpoint_sequential

try:
    import torch
except ImportError:
    torch = None


# --- after backward, no node holds an array -------------------------------------------------
def _arrays_in(value, seen):
    """The arrays reachable from one attribute of a node: directly, inside Tensors, tuples,
    lists, dicts, or captured by a function (a ``view_fn``)."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, latte.Tensor):
        yield value
    elif isinstance(value, latte.Tensor):
        yield value._data
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _arrays_in(v, seen)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays_in(v, seen)
    elif isinstance(value, types.FunctionType) and value.__closure__:
        for cell in value.__closure__:
            try:
                yield from _arrays_in(cell.cell_contents, seen)
            except ValueError:  # an empty cell
                pass


def _held_arrays(root) -> list:
    """``(node, attribute, shape)`` for every array of more than one element that a node
    reachable from ``root`` holds (``_edges`` hold the leaves themselves, as PyTorch's
    AccumulateGrad nodes do)."""
    found, stack, seen = [], [root.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not hasattr(node, "_edges"):
            continue
        seen.add(id(node))
        for name, value in vars(node).items():
            if name == "_edges":
                continue
            for array in _arrays_in(value, set()):
                if array.size > 1:
                    found.append((type(node).__name__, name, tuple(array.shape)))
        stack.extend(fn for fn, _ in node.next_functions)
    return found


def _assert_graph_freed(outs: list) -> None:
    outs = [o for o in outs if o.requires_grad]
    loss = sum((o * (i + 1.0)).sum() for i, o in enumerate(outs))
    loss.backward()
    assert _held_arrays(loss) == [], "arrays kept after backward"


@pytest.mark.parametrize("op,sample", cases())
def test_registry_op_frees_its_saved_state_after_backward(op, sample):
    xs = leaves(latte, sample, latte.float64)
    _assert_graph_freed(as_list(call(op, latte, sample, xs)))


def _rnn(mode):
    def run():
        cls = {"LSTM": latte.nn.LSTM, "GRU": latte.nn.GRU, "RNN": latte.nn.RNN}[mode]
        return [cls(3, 4, num_layers=2)(latte.randn(5, 2, 3, requires_grad=True))[0]]
    return run


_NN_CASES = {
    "linear": lambda: [F.linear(latte.randn(4, 3, requires_grad=True),
                                latte.randn(5, 3, requires_grad=True), latte.randn(5))],
    "bilinear": lambda: [F.bilinear(latte.randn(4, 3, requires_grad=True),
                                    latte.randn(4, 2), latte.randn(5, 3, 2, requires_grad=True))],
    "embedding": lambda: [F.embedding(latte.tensor([[1, 2, 2], [0, 3, 1]]),
                                      latte.randn(4, 3, requires_grad=True), padding_idx=0)],
    "interpolate_bilinear": lambda: [F.interpolate(latte.randn(1, 2, 3, 4, requires_grad=True),
                                                   scale_factor=2, mode="bilinear")],
    "interpolate_nearest": lambda: [F.interpolate(latte.randn(1, 2, 3, 4, requires_grad=True),
                                                  size=(5, 7), mode="nearest")],
    "gelu_exact": lambda: [F.gelu(latte.randn(3, 4, requires_grad=True))],
    "lstm": _rnn("LSTM"), "gru": _rnn("GRU"), "rnn_tanh": _rnn("RNN"),
    "setitem_mask": lambda: [_setitem_mask()],
    "conv2d": lambda: [F.conv2d(latte.randn(1, 2, 5, 5, requires_grad=True),
                                latte.randn(3, 2, 3, 3, requires_grad=True))],
    "max_pool2d": lambda: [F.max_pool2d(latte.randn(1, 2, 4, 4, requires_grad=True), 2)],
    "batch_norm": lambda: [F.batch_norm(latte.randn(4, 3, requires_grad=True), None, None,
                                        training=True)],
    "cross_entropy": lambda: [F.cross_entropy(latte.randn(4, 3, requires_grad=True),
                                              latte.tensor([0, 2, 1, 1]))],
    "cross_entropy_smoothed": lambda: [F.cross_entropy(latte.randn(4, 3, requires_grad=True),
                                                       latte.tensor([0, 2, 1, 1]),
                                                       label_smoothing=0.1)],
    "layer_norm": lambda: [F.layer_norm(latte.randn(4, 3, requires_grad=True), (3,))],
}



def _setitem_mask():
    x = latte.randn(3, 4, requires_grad=True) * 1
    x[x > 0] = latte.tensor(0.5)
    return x


@pytest.mark.parametrize("name", sorted(_NN_CASES))
def test_nn_op_frees_its_saved_state_after_backward(name):
    _assert_graph_freed(_NN_CASES[name]())


def test_retain_graph_keeps_saved_state_for_a_second_backward():
    x = latte.randn(4, 3, requires_grad=True)
    y = x.exp().amax(1)
    y.sum().backward(retain_graph=True)
    assert _held_arrays(y) != []
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (x.exp() * (x == x.amax(1, keepdim=True)))
                               .detach().numpy())


def test_saved_indices_are_version_checked_like_pytorch():
    """max(dim) saves its index output: writing into it breaks backward, as in PyTorch."""
    for lib in (latte, torch) if torch is not None else (latte,):
        x = lib.tensor([[1.0, 3.0], [4.0, 2.0]], requires_grad=True)
        values, indices = x.max(1)
        indices.zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            values.sum().backward()


# --- saved_tensors_hooks ---------------------------------------------------------------------
def _libs():
    pytest.importorskip("torch")
    return (latte, torch)


def _hooks(lib):
    return lib.autograd.graph.saved_tensors_hooks


def test_pack_runs_at_save_and_unpack_in_backward_as_pytorch():
    logs = []
    for lib in _libs():
        log = []

        def pack(t, lib=lib, log=log):
            log.append(("pack", tuple(t.shape), lib.is_grad_enabled(), t.requires_grad))
            return t.detach().clone()

        def unpack(t, lib=lib, log=log):
            log.append(("unpack", tuple(t.shape), lib.is_grad_enabled()))
            return t

        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        with _hooks(lib)(pack, unpack):
            y = x.exp()
            z = (y * 2).sum()
        log.append("forward done")
        z.backward()
        logs.append((log, x.grad.tolist()))
    assert logs[0][0] == logs[1][0]
    np.testing.assert_allclose(logs[0][1], logs[1][1], rtol=1e-6)


def test_innermost_hooks_apply_and_results_match_pytorch():
    results = []
    for lib in _libs():
        seen = []
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        with _hooks(lib)(lambda t: ("outer", t), lambda p: p[1]):
            with _hooks(lib)(lambda t: ("inner", t), lambda p, s=seen: s.append(p[0]) or p[1]):
                y = x.sin()
            w = y.cos()
        (w * x).sum().backward()
        results.append((seen, x.grad.tolist()))
    assert results[0][0] == results[1][0] == ["inner"]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)


def test_hooks_give_second_derivatives_like_pytorch():
    grads = []
    for lib in _libs():
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        with _hooks(lib)(lambda t: t.detach().clone(), lambda p: p):
            y = (x * x * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[0], grads[1])


def test_hook_errors_match_pytorch():
    for lib in _libs():
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with _hooks(lib)(lambda t: 1, lambda p: p):
            y = x.exp()
        with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor"):
            y.sum().backward()
        with pytest.raises(RuntimeError, match="pack hook is modifying its input in place"):
            with _hooks(lib)(lambda t: t.mul_(2), lambda p: p):
                (x * 1).exp()
        with pytest.raises(RuntimeError, match="no hooks here"):
            with lib.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
                with _hooks(lib)(lambda t: t, lambda t: t):
                    pass


def test_hooked_values_are_not_version_checked_as_pytorch():
    """The hook owns what it packed: a later write into the original is not an error."""
    for lib in _libs():
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with _hooks(lib)(lambda t: t.detach().clone(), lambda p: p):
            z = (x * 1).exp()
        with lib.no_grad():
            z.add_(1)
        z.sum().backward()
        np.testing.assert_allclose(x.grad.tolist(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_disable_saved_tensors_hooks_restores_on_exit():
    with disable_saved_tensors_hooks("off"):
        pass
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        pass


def test_save_on_cpu_gives_the_same_gradients(gpu=None):
    x = latte.randn(4, 3, requires_grad=True)
    w = latte.randn(3, 2, requires_grad=True)
    with save_on_cpu(pin_memory=False):
        loss = (x @ w).tanh().sum()
    loss.backward()
    gx, gw = x.grad.numpy().copy(), w.grad.numpy().copy()
    x.grad = w.grad = None
    (x @ w).tanh().sum().backward()
    np.testing.assert_allclose(gx, x.grad.numpy())
    np.testing.assert_allclose(gw, w.grad.numpy())


# --- checkpointing -----------------------------------------------------------------------------
def _deep_net(depth=32, width=256):
    latte.manual_seed(0)
    layers = []
    for _ in range(depth):
        layers += [latte.nn.Linear(width, width), latte.nn.Tanh()]
    return latte.nn.Sequential(*layers)


def _peak_bytes(step) -> int:
    """Peak bytes that NumPy allocates during ``step()`` (NumPy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_checkpoint_cuts_peak_memory_of_a_deep_net():
    net = _deep_net()
    x = latte.randn(512, 256)

    def plain():
        net(x).sum().backward()

    def checkpointed():
        checkpoint_sequential(net, 4, x, use_reentrant=False).sum().backward()

    plain()  # warm up: parameter gradients exist in both measurements
    without = _peak_bytes(plain)
    with_checkpoint = _peak_bytes(checkpointed)
    activation = 512 * 256 * 4
    # 33 saved activations without; the segment outputs plus one segment recomputed with
    assert with_checkpoint < 0.5 * without, (with_checkpoint, without)
    assert without > 30 * activation


def test_checkpoint_gradients_and_dropout_masks_match_plain_backward():
    net = latte.nn.Sequential(latte.nn.Linear(8, 8), latte.nn.Dropout(0.5), latte.nn.Tanh(),
                              latte.nn.Linear(8, 1))
    x = latte.randn(6, 8, requires_grad=True)
    latte.manual_seed(3)
    checkpoint(net, x, use_reentrant=False).sum().backward()
    got = [p.grad.numpy().copy() for p in net.parameters()] + [x.grad.numpy().copy()]
    net.zero_grad()
    x.grad = None
    latte.manual_seed(3)
    net(x).sum().backward()
    want = [p.grad.numpy() for p in net.parameters()] + [x.grad.numpy()]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6)


def test_checkpoint_saves_nothing_inside_the_block():
    saved = []
    x = latte.randn(4, 4, requires_grad=True)
    with saved_tensors_hooks(lambda t: saved.append(t.nbytes) or t, lambda t: t):
        y = checkpoint(lambda a: a.exp().sin().tanh(), x, use_reentrant=False)
    assert saved == []
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(),
                               (1 - x.exp().sin().tanh() ** 2).detach().numpy()
                               * x.exp().cos().detach().numpy() * x.exp().detach().numpy(),
                               rtol=1e-5)


def test_checkpoint_supports_retain_graph():
    x = latte.randn(3, requires_grad=True)
    y = checkpoint(lambda a: a.exp(), x, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.exp().detach().numpy(), rtol=1e-6)


# --- latte.cuda memory counters ----------------------------------------------------------------
def test_cuda_memory_counters_without_a_gpu_answer_like_pytorch():
    assert latte.cuda.memory_allocated() == 0
    assert latte.cuda.max_memory_allocated() == 0
    assert latte.cuda.memory_reserved() == 0
    latte.cuda.reset_peak_memory_stats()
    assert isinstance(latte.cuda.memory_summary(), str)
