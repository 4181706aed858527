"""The graph autograd recorded, read back as plain nodes and edges for pictures and TensorBoard.

Starting from the outputs' ``grad_fn``, the walk follows ``next_functions`` (iteratively, so a
deep network needs no deep Python stack) to the leaves: tensors that require grad, labelled with
their parameter names when ``params`` (``dict(model.named_parameters())``) is given.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from latte.tensor import Tensor

__all__ = ["GraphNode", "AutogradGraph", "walk"]


@dataclass
class GraphNode:
    """One box of the picture: a backward function (``kind='op'``), a leaf tensor
    (``'param'`` when named, else ``'leaf'``) or an output tensor (``'output'``)."""

    id: int
    label: str
    kind: str
    shape: tuple | None = None
    saved: list[tuple] = field(default_factory=list)  # shapes of the tensors saved for backward


@dataclass
class AutogradGraph:
    """Nodes by id and edges ``(from_id, to_id)`` in the forward direction (input -> user)."""

    nodes: dict[int, GraphNode]
    edges: list[tuple[int, int]]


def _leaf_of(entry: Any) -> Tensor | None:
    """A ``next_functions`` entry's leaf tensor (Latte lists the tensor, PyTorch-style
    ``AccumulateGrad`` nodes carry it as ``.variable``), or None for a backward function."""
    if isinstance(entry, Tensor):
        return entry
    variable = getattr(entry, "variable", None)
    return variable if isinstance(variable, Tensor) else None


def _node_name(fn: Any) -> str:
    return fn.name() if hasattr(fn, "name") else type(fn).__name__


def _saved_shapes(fn: Any) -> list[tuple]:
    try:
        saved = fn.saved_tensors
    except (RuntimeError, AttributeError):  # freed by a backward, or a node that saves nothing
        return []
    return [tuple(t.shape) for t in saved if isinstance(t, Tensor)]


def walk(outputs: Tensor | tuple | list, params: dict[str, Tensor] | None = None) -> AutogradGraph:
    """The recorded graph behind ``outputs`` (a tensor or several)."""
    outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    names = {id(p): name for name, p in (params or {}).items()}
    nodes: dict[int, GraphNode] = {}
    edges: list[tuple[int, int]] = []

    def leaf_node(t: Tensor) -> int:
        if id(t) not in nodes:
            name = names.get(id(t))
            nodes[id(t)] = GraphNode(id(t), name or "", "param" if name else "leaf",
                                     tuple(t.shape))
        return id(t)

    stack = []
    for out in outputs:
        nodes[id(out)] = GraphNode(id(out), "output", "output", tuple(out.shape))
        if out.grad_fn is not None:
            stack.append(out.grad_fn)
            edges.append((id(out.grad_fn), id(out)))
        elif out.requires_grad:
            edges.append((leaf_node(out), id(out)))
    while stack:
        fn = stack.pop()
        if id(fn) in nodes:
            continue
        nodes[id(fn)] = GraphNode(id(fn), _node_name(fn), "op", saved=_saved_shapes(fn))
        for entry, _ in fn.next_functions:
            if entry is None:
                continue
            leaf = _leaf_of(entry)
            if leaf is not None:
                edges.append((leaf_node(leaf), id(fn)))
            else:
                edges.append((id(entry), id(fn)))
                stack.append(entry)
    return AutogradGraph(nodes, list(dict.fromkeys(edges)))
