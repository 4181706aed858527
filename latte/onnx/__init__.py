"""``latte.onnx.export``: a model to an ONNX file that ONNX Runtime runs, as ``torch.onnx.export``.

The model runs once on ``args`` (in eval mode) while every Latte primitive that runs is handed
to its export rule (``_rules.py``); parameters and buffers become initializers under their
state_dict names. The file is built and checked with the ``onnx`` package, an optional extra:
``pip install 'latte[onnx]'`` (``onnxruntime`` runs it).

Example::

    >>> latte.onnx.export(model, latte.randn(1, 1, 28, 28), "lenet.onnx",  # doctest: +SKIP
    ...                   input_names=["image"], output_names=["logits"],
    ...                   dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})
"""
from __future__ import annotations

import io
import os
from typing import Any

from latte.autograd.grad_mode import enable_grad
from latte.onnx._graph import GraphBuilder, Trace, UnsupportedOperatorError
from latte.onnx._rules import RULES
from latte.tensor import Tensor

__all__ = ["export", "UnsupportedOperatorError", "DEFAULT_OPSET"]

DEFAULT_OPSET = 18


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install onnx "
                          "(or pip install 'latte[onnx]')") from None
    return onnx


def export(model: Any, args: Any, f: str | os.PathLike | io.BytesIO, export_params: bool = True,
           verbose: bool = False, training: Any = None, input_names: list[str] | None = None,
           output_names: list[str] | None = None, dynamic_axes: dict | None = None,
           opset_version: int | None = None, do_constant_folding: bool = True,
           **ignored: Any) -> None:
    """Trace ``model(*args)`` and write it to ``f`` (a path or a binary file) as ONNX.

    ``dynamic_axes`` names free dims per input or output, ``{"input": {0: "batch"}}`` (a
    free batch dim keeps reshapes batch-agnostic); ``opset_version`` defaults to 18.
    """
    onnx = _onnx()
    opset = opset_version or DEFAULT_OPSET
    inputs = args if isinstance(args, tuple) else (args,)
    tensors = [a for a in inputs if isinstance(a, Tensor)]
    input_names = list(input_names or [f"input_{i}" for i in range(len(tensors))])
    dynamic_axes = dynamic_axes or {}
    graph = GraphBuilder(onnx, opset)
    graph.dynamic_batch = any(0 in _axes(v) for v in dynamic_axes.values())
    named = {**dict(model.named_parameters()), **dict(model.named_buffers())}
    for name, t in named.items():
        graph.initializers.append(onnx.numpy_helper.from_array(t.detach().cpu().numpy(), name))
        graph.name(t, name)
    traced_inputs = []
    for t, name in zip(tensors, input_names):
        # requires_grad makes every op run as a recorded primitive, in-place ones included
        copy = t.detach().clone().requires_grad_(t.is_floating_point())
        graph.name(copy, name)
        traced_inputs.append(copy)
    call_args, it = [], iter(traced_inputs)
    for a in inputs:
        call_args.append(next(it) if isinstance(a, Tensor) else a)
    module_path: list[str] = []
    handles = _scope_hooks(model, module_path)
    was_training = model.training
    model.eval()
    try:
        with enable_grad(), Trace(graph, RULES, module_path):
            result = model(*call_args)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    output_names = list(output_names or [f"output_{i}" for i in range(len(outputs))])
    for t, name in zip(outputs, output_names):
        graph.add("Identity", [graph.value(t)])
        graph.nodes[-1].output[0] = name
    model_proto = _model(onnx, graph, traced_inputs, input_names, outputs, output_names,
                         dynamic_axes, export_params)
    onnx.checker.check_model(model_proto)
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    if isinstance(f, (str, os.PathLike)):
        onnx.save(model_proto, os.fspath(f))
    else:
        f.write(model_proto.SerializeToString())


def _axes(spec: Any) -> dict:
    return spec if isinstance(spec, dict) else {axis: f"dim_{axis}" for axis in spec}


def _value_info(onnx: Any, name: str, t: Tensor, dynamic: dict) -> Any:
    dims = list(t.shape)
    for axis, label in _axes(dynamic.get(name, {})).items():
        dims[axis] = label
    dtype = onnx.helper.np_dtype_to_tensor_dtype(t._data.dtype)
    return onnx.helper.make_tensor_value_info(name, dtype, dims)


def _model(onnx: Any, graph: GraphBuilder, inputs: list, input_names: list, outputs: list,
           output_names: list, dynamic: dict, export_params: bool) -> Any:
    used = {name for node in graph.nodes for name in node.input}
    # parameters and buffers forward never read (num_batches_tracked...) stay out of the file
    initializers = [t for t in graph.initializers if t.name in used] if export_params else []
    proto = onnx.helper.make_graph(
        graph.nodes, "latte_model",
        [_value_info(onnx, n, t, dynamic) for n, t in zip(input_names, inputs)],
        [_value_info(onnx, n, t, dynamic) for n, t in zip(output_names, outputs)],
        initializer=initializers)
    model = onnx.helper.make_model(proto, producer_name="latte",
                                   opset_imports=[onnx.helper.make_opsetid("", graph.opset)])
    model.ir_version = min(model.ir_version, 9)  # what current ONNX Runtime releases read
    return model


def _scope_hooks(model: Any, path: list[str]) -> list:
    """Forward pre/post hooks keeping ``path`` at the innermost running module's name."""
    def enter(label: str) -> Any:
        def hook(module: Any, args: Any) -> None:
            path.append(label)
        return hook

    def leave(module: Any, args: Any, output: Any) -> None:
        path.pop()

    handles = []
    for name, module in model.named_modules():
        label = f"{name or 'model'} ({type(module).__name__})"
        handles.append(module.register_forward_pre_hook(enter(label)))
        handles.append(module.register_forward_hook(leave))
    return handles
