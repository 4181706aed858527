"""``add_graph``: the autograd graph of one forward pass as a TensorBoard ``GraphDef``.

Nodes are the backward functions of the ops the forward ran, named under the module that ran
them (``Sequential/Linear[0]/LinearBackward``, from forward hooks), and the parameters they
read; TensorBoard's Graphs tab draws the modules as collapsible groups.
"""
from __future__ import annotations

from typing import Any

from latte.tensor import Tensor
from latte.utils.autograd_graph import walk

__all__ = ["graph_def"]


def _scopes(model: Any, inputs: tuple) -> tuple[Any, dict[int, str]]:
    """Run ``model(*inputs)`` recording, for each output's ``grad_fn``, the module path."""
    scopes: dict[int, str] = {}
    handles = []
    root = type(model).__name__

    def hook_for(path: str) -> Any:
        def hook(module: Any, args: Any, output: Any) -> None:
            for out in output if isinstance(output, (tuple, list)) else (output,):
                if isinstance(out, Tensor) and out.grad_fn is not None:
                    scopes.setdefault(id(out.grad_fn), path)
        return hook

    for name, module in model.named_modules():
        if name:
            path = root + "".join(f"/{type(m).__name__}[{part}]" for part, m in
                                  _path_modules(model, name))
            handles.append(module.register_forward_hook(hook_for(path)))
    try:
        output = model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    return output, scopes


def _path_modules(model: Any, dotted: str) -> list[tuple[str, Any]]:
    out, module = [], model
    for part in dotted.split("."):
        module = getattr(module, part)
        out.append((part, module))
    return out


def graph_def(model: Any, input_to_model: Any) -> Any:
    """The ``GraphDef`` proto of ``model``'s forward on ``input_to_model`` (a tensor or a
    tuple of them)."""
    from tensorboard.compat.proto import (
        attr_value_pb2,
        graph_pb2,
        node_def_pb2,
        tensor_shape_pb2,
        versions_pb2,
    )
    inputs = input_to_model if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
    output, scopes = _scopes(model, tuple(inputs))
    params = {f"{type(model).__name__}/{name}": p for name, p in model.named_parameters()}
    graph = walk(output, params)
    names: dict[int, str] = {}
    used: set[str] = set()
    for node in graph.nodes.values():
        base = node.label if node.kind != "op" else \
            f"{scopes.get(node.id, type(model).__name__)}/{node.label}"
        name, k = base or "input", 1
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        names[node.id] = name
    inputs_of: dict[int, list[str]] = {node_id: [] for node_id in graph.nodes}
    for source, target in graph.edges:
        inputs_of[target].append(names[source])
    nodes = []
    for node in graph.nodes.values():
        attr = {}
        if node.shape is not None:
            shape = tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in node.shape])
            attr["_output_shapes"] = attr_value_pb2.AttrValue(
                list=attr_value_pb2.AttrValue.ListValue(shape=[shape]))
        op = {"op": node.label, "param": "Parameter", "leaf": "Leaf", "output": "Output"}
        nodes.append(node_def_pb2.NodeDef(name=names[node.id], op=op[node.kind],
                                          input=inputs_of[node.id], attr=attr))
    return graph_pb2.GraphDef(node=nodes, versions=versions_pb2.VersionDef(producer=22))
