"""Pictures of autograd's graph, in the manner of torchviz: ``make_dot(loss, params)``.

One box per backward function (grey), one per leaf tensor (blue; parameters named and shaped
when ``params`` is given) and the output (green). Rendering needs the ``graphviz`` package
(``pip install graphviz``) and Graphviz's ``dot`` program (Debian's ``graphviz`` package).

Example::

    >>> dot = make_dot(model(x).sum(), params=dict(model.named_parameters()))  # doctest: +SKIP
    >>> dot.render("graph", format="png")     # writes graph.png  # doctest: +SKIP
"""
from __future__ import annotations

from typing import Any

from latte.tensor import Tensor
from latte.utils.autograd_graph import walk

__all__ = ["make_dot"]

_STYLE = {"op": "lightgrey", "param": "lightblue", "leaf": "lightblue", "output": "darkolivegreen1"}


def _shape(shape: tuple | None) -> str:
    return "(" + ", ".join(map(str, shape)) + ")" if shape is not None else ""


def make_dot(var: Tensor | tuple | list, params: dict[str, Tensor] | None = None,
             show_attrs: bool = False, show_saved: bool = False,
             max_attr_chars: int = 50) -> Any:
    """A ``graphviz.Digraph`` of the graph that produced ``var``.

    ``params``: names for the leaves (``dict(model.named_parameters())``); ``show_saved`` (or
    ``show_attrs``, as torchviz) adds the shapes of the tensors each node saved for backward.
    """
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError("make_dot needs the graphviz package: pip install graphviz (and "
                          "Graphviz's dot program to render)") from None
    graph = walk(var, params)
    dot = Digraph(node_attr={"style": "filled", "shape": "box", "align": "left",
                             "fontsize": "10", "ranksep": "0.1", "height": "0.2",
                             "fontname": "monospace"}, graph_attr={"size": "12,12"})
    for node in graph.nodes.values():
        if node.kind == "op":
            label = node.label
            if (show_saved or show_attrs) and node.saved:
                saved = ", ".join(_shape(s) for s in node.saved)
                label += "\nsaved: " + saved[:max_attr_chars]
        else:
            label = "\n".join(p for p in (node.label, _shape(node.shape)) if p)
        dot.node(str(node.id), label, fillcolor=_STYLE[node.kind])
    for source, target in graph.edges:
        dot.edge(str(source), str(target))
    return dot
