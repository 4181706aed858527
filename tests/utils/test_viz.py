"""make_dot: the autograd graph as a graphviz picture (torchviz's manner)."""
from __future__ import annotations

import shutil

import pytest

import latte
from latte import nn
from latte.utils.autograd_graph import walk

graphviz = pytest.importorskip("graphviz")
from latte.utils.viz import make_dot  # noqa: E402


def _net_and_loss():
    latte.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    loss = nn.functional.cross_entropy(model(latte.randn(3, 4)), latte.tensor([0, 1, 1]))
    return model, loss


def test_walk_finds_every_op_and_parameter_once():
    model, loss = _net_and_loss()
    graph = walk(loss, dict(model.named_parameters()))
    kinds = sorted(n.kind for n in graph.nodes.values())
    assert kinds.count("param") == 4 and kinds.count("output") == 1
    params = {n.label for n in graph.nodes.values() if n.kind == "param"}
    assert params == {"0.weight", "0.bias", "2.weight", "2.bias"}
    ops = [n for n in graph.nodes.values() if n.kind == "op"]
    assert len(ops) == 4 and all(n.label.endswith("Backward0") for n in ops)
    by_id = graph.nodes
    # each parameter feeds exactly one op, which is a Linear's backward
    for source, target in graph.edges:
        if by_id[source].kind == "param":
            assert by_id[target].label == "AddmmBackward0"  # a Linear, as PyTorch names it


def test_walk_of_a_deep_chain_needs_no_recursion():
    x = latte.ones(2, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    assert len(walk(y.sum()).nodes) == 3000 + 3  # ops, the sum, the leaf and the output


def test_make_dot_labels_and_saved_shapes():
    model, loss = _net_and_loss()
    dot = make_dot(loss, params=dict(model.named_parameters()), show_saved=True)
    source = dot.source
    assert "0.weight" in source and "(8, 4)" in source and "AddmmBackward0" in source
    assert "saved: (3, 8)" in source
    assert source.count("->") == len(walk(loss, dict(model.named_parameters())).edges)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_make_dot_renders_a_png(tmp_path):
    model, loss = _net_and_loss()
    path = make_dot(loss, params=dict(model.named_parameters())).render(
        str(tmp_path / "graph"), format="png", cleanup=True)
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
