"""The trace of one forward pass, and the ONNX graph it becomes.

``Trace`` watches every primitive that runs (``latte.autograd.function.tracers``) and hands
each to its export rule (``_rules.py``), which adds ONNX nodes to a ``GraphBuilder``: tensors
are named as they appear, parameters and buffers become initializers under their state_dict
names, and any other tensor an op reads (a mask built in forward) becomes a constant.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.autograd import function
from latte.tensor import Tensor

__all__ = ["GraphBuilder", "Trace", "UnsupportedOperatorError"]


class UnsupportedOperatorError(RuntimeError):
    """An op ran that has no ONNX export rule; the message names the op and the module."""


class GraphBuilder:
    """ONNX nodes, initializers and value names, built with ``onnx.helper``."""

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx, self.opset = onnx, opset
        self.nodes: list = []
        self.initializers: list = []
        self._names: dict[int, str] = {}   # id(Tensor) -> value name
        self._keep: list = []              # traced tensors, so that ids are never reused
        self._counter = 0

    def fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}_{self._counter}"

    def name(self, t: Tensor, name: str | None = None) -> str:
        """Bind ``t`` to a value name (a new one unless ``name`` is given)."""
        self._names[id(t)] = name or self.fresh("t")
        self._keep.append(t)
        return self._names[id(t)]

    def value(self, x: Any, like: Any = None) -> str:
        """The value name of tensor ``x``; a tensor never seen, or a number, becomes a
        constant initializer (a number takes ``like``'s dtype)."""
        if isinstance(x, Tensor):
            name = self._names.get(id(x))
            if name is not None:
                return name
            return self.name(x, self.constant(x.detach().cpu().numpy()))
        dtype = like._data.dtype if isinstance(like, Tensor) else np.float32
        return self.constant(np.asarray(x, dtype=dtype))

    def constant(self, array: np.ndarray, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(self, values: Any, hint: str = "shape") -> str:
        return self.constant(np.asarray(list(values), dtype=np.int64), hint)

    def add(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> list[str]:
        outputs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outputs,
                                                     **{k: v for k, v in attrs.items()
                                                        if v is not None}))
        return outputs


class Trace:
    """While active, every primitive's run goes to its export rule; ``module_path`` is the
    innermost module running (for error messages)."""

    def __init__(self, builder: GraphBuilder, rules: dict, module_path: list[str]) -> None:
        self.builder, self.rules, self.module_path = builder, rules, module_path

    def __call__(self, op: type, args: tuple, result: Any) -> None:
        rule = self.rules.get(op)
        if rule is None:
            where = self.module_path[-1] if self.module_path else "the model"
            raise UnsupportedOperatorError(
                f"ONNX export has no rule for Latte's {op.__name__} op (called in {where}); "
                f"write one in latte/onnx/_rules.py or avoid the op in forward")
        outputs = rule(self.builder, result, *args)
        results = result if isinstance(result, tuple) else (result,)
        for t, name in zip(results, outputs):
            if name is not None:
                self.builder.name(t, name)

    def __enter__(self) -> Trace:
        function.tracers.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        function.tracers.remove(self)
