"""The backward engine: walks the graph from the outputs in topological order, without recursion.

Each node runs once, when every node that feeds it a gradient has run (a dependency count), so a
chain of 10,000 ops needs no deep Python stack. Gradients are summed per node output in a buffer,
reduced to each input's shape by ``sum_to`` (the one place broadcasting is undone), and either
accumulated into leaves' ``.grad`` or, for ``autograd.grad``, captured and returned.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from numpy import ndarray

from latte.autograd import anomaly_mode, function
from latte.autograd.grad_mode import _state
from latte.backend import array_on, device_guard

__all__ = ["backward", "grad"]


def _as_tuple(x: Any) -> tuple:
    if x is None:
        return ()
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _root_gradients(outputs: tuple, grad_outputs: tuple) -> list:
    """Default each missing output gradient to ones, which is only implicit for scalars."""
    Tensor = function.Tensor
    if len(grad_outputs) == 0:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    grads = []
    for out, g in zip(outputs, grad_outputs):
        if not isinstance(out, Tensor):
            raise TypeError(f"backward expects Tensors, got {type(out).__name__}")
        if not out.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs; the output has "
                    f"shape {tuple(out.shape)}, so pass a gradient of that shape")
            with device_guard(out.device):  # CuPy allocates on the current GPU
                g = Tensor(out._xp().ones(out._data.shape, dtype=out._data.dtype))
        elif not isinstance(g, Tensor):
            g = function.Tensor(array_on(out._data, "asarray", g, dtype=out._data.dtype))
        if tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(
                f"Mismatch in shape: grad_output has a shape of {tuple(g.shape)} and output has "
                f"a shape of {tuple(out.shape)}")
        grads.append(g)
    return grads


def _fit_gradient(g: Any, shape: tuple, dtype: Any, node: Any) -> Any:
    """Sum a gradient down to its input's shape and cast it to the input's dtype."""
    if g._data.shape != shape:
        try:
            g = g.sum_to_size(shape)
        except RuntimeError:
            raise RuntimeError(
                f"{type(node).__name__}.backward returned a gradient of shape "
                f"{tuple(g._data.shape)} for an input of shape {tuple(shape)}") from None
    if g._data.dtype != dtype:
        g = g._cast(dtype)
    return g


def _run(roots: list, root_grads: list, retain_graph: bool, create_graph: bool,
         capture: dict | None) -> dict:
    """Propagate ``root_grads`` from ``roots``; return captured gradients when ``capture`` is set.

    ``capture`` maps a leaf Tensor's id, or ``(node, output_nr)``, to a slot; captured inputs
    get their gradient returned instead of accumulated into ``.grad``.
    """
    # 1. count, for every node, how many edges from the graph reach it
    deps: dict = {}
    stack = []
    for r in roots:
        if r.grad_fn is not None and r.grad_fn not in deps:
            deps[r.grad_fn] = 0
            stack.append(r.grad_fn)
    while stack:
        node = stack.pop()
        for edge in node._edges:
            fn = edge[1]
            if fn is not None:
                if fn in deps:
                    deps[fn] += 1
                else:
                    deps[fn] = 1
                    stack.append(fn)
    needed = None if capture is None else _needed_nodes(deps, capture)

    buffers: dict = {}
    captured: dict = {}
    # ids of the arrays behind leaf gradients; the root gradients belong to the caller
    handed_out = {id(g._data if g._data.base is None else g._data.base) for g in root_grads}

    def deliver_leaf(leaf: Any, g: Any) -> None:
        if capture is not None:
            slot = capture.get(id(leaf))
            if slot is not None:
                captured[slot] = g if slot not in captured else captured[slot] + g
            return
        if type(g._data) is ndarray:
            _accumulate(leaf, g, create_graph, handed_out)
        else:
            with device_guard(g.device):
                _accumulate(leaf, g, create_graph, handed_out)

    def deliver(fn: Any, nr: int, g: Any) -> None:
        buf = buffers.get(fn)
        if buf is None:
            buf = buffers[fn] = [None] * len(fn._out_meta)
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    for r, g in zip(roots, root_grads):
        if r.grad_fn is None:
            deliver_leaf(r, g)
        else:
            deliver(r.grad_fn, r._output_nr, g)

    previous, _state.enabled = _state.enabled, create_graph
    try:
        ready = [fn for fn, n in deps.items() if n == 0]
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            if grads is not None and (node._out_hooks or capture is not None):
                grads = _apply_node_hooks(node, grads, capture, captured)
            if grads is not None and (needed is None or node in needed) and (
                    grads[0] is not None or any(g is not None for g in grads)):
                if node._freed:
                    raise RuntimeError(function._FREED_MESSAGE)
                results = _call_backward(node, grads)
                if not retain_graph:
                    node._release()
                for edge in node._edges:
                    i, fn, nr, leaf, shape, dtype = edge
                    g = results[i]
                    if g is None:
                        if fn is not None:
                            deps[fn] -= 1
                            if deps[fn] == 0:
                                ready.append(fn)
                        continue
                    array = g._data
                    if array.shape != shape or array.dtype != dtype:
                        g = _fit_gradient(g, shape, dtype, node)
                    if fn is None:
                        deliver_leaf(leaf, g)
                    else:
                        deliver(fn, nr, g)
                        deps[fn] -= 1
                        if deps[fn] == 0:
                            ready.append(fn)
            else:
                for edge in node._edges:
                    fn = edge[1]
                    if fn is not None:
                        deps[fn] -= 1
                        if deps[fn] == 0:
                            ready.append(fn)
    finally:
        _state.enabled = previous
    return captured


def _needed_nodes(deps: dict, capture: dict) -> set:
    """The nodes ``autograd.grad`` must run: those with a path to an input it returns. The rest
    of the graph (beyond a non-leaf input, say, perhaps already freed) is left alone."""
    parents: dict = {}
    needed = set()
    for node in deps:
        for edge in node._edges:
            fn, leaf = edge[1], edge[3]
            if fn is None:
                if id(leaf) in capture:
                    needed.add(node)
            else:
                parents.setdefault(fn, []).append(node)
    reached = [node for node in deps if node in needed or any(
        (node, nr) in capture for nr in range(len(node._out_meta)))]
    seen = set(reached)
    while reached:
        for parent in parents.get(reached.pop(), ()):
            needed.add(parent)
            if parent not in seen:
                seen.add(parent)
                reached.append(parent)
    return needed


def _apply_node_hooks(node: Any, grads: list, capture: dict | None, captured: dict) -> list:
    """Run tensor hooks of non-leaf outputs and capture gradients asked for by ``grad``."""
    hooks = node._out_hooks
    if hooks:
        for nr, fns in hooks.items():
            if grads[nr] is None:
                continue
            for hook in fns:
                new = hook(grads[nr])
                if new is not None:
                    grads[nr] = new
    if capture is not None:
        for nr, g in enumerate(grads):
            slot = capture.get((node, nr))
            if slot is not None and g is not None:
                captured[slot] = g
    return grads


def _call_backward(node: Any, grads: list) -> tuple:
    Tensor = function.Tensor
    if len(grads) > 1 and node.materialize_grads and any(g is None for g in grads):
        given = next(g for g in grads if g is not None)
        xp = given._xp()
        with device_guard(given.device):
            grads = [g if g is not None else Tensor(xp.zeros(shape, dtype=dtype))
                     for g, (shape, dtype) in zip(grads, node._out_meta)]
    g0 = grads[0]
    if g0 is not None and type(g0._data) is not ndarray:
        # a GPU backward: its array work runs with the gradients' GPU current
        with device_guard(g0.device):
            results = type(node).backward(node, *grads)
    else:
        results = type(node).backward(node, *grads)
    if not isinstance(results, tuple):
        results = (results,)
    n_args = len(node.needs_input_grad)
    if len(results) < n_args:
        # trailing arguments that are not Tensors may be left out
        needed = max(edge[0] for edge in node._edges) + 1
        if len(results) < needed:
            raise RuntimeError(
                f"function {type(node).__name__} returned an incorrect number of "
                f"gradients (expected {n_args}, got {len(results)})")
        results = results + (None,) * (n_args - len(results))
    for edge in node._edges:
        r = results[edge[0]]
        if r is not None and not isinstance(r, Tensor):
            raise TypeError(f"{type(node).__name__}.backward must return Tensors or None, got "
                            f"{type(r).__name__}")
    if anomaly_mode.is_anomaly_enabled() and anomaly_mode.is_anomaly_check_nan_enabled():
        anomaly_mode.check_node_gradients(node, results)
    return results


def _accumulate(leaf: Any, g: Any, create_graph: bool, handed_out: set) -> None:
    """Add ``g`` into ``leaf.grad``, never letting two leaves share one gradient array."""
    if leaf._hooks:
        for hook in leaf._hooks:
            new = hook(g)
            if new is not None:
                g = new
    if leaf.grad is None:
        if not create_graph:
            array = g._data
            owner = array if array.base is None else array.base
            # memory already given to another leaf (or the caller's own gradient) is copied:
            # in-place updates of one .grad must never show in another
            # (a read-only array, e.g. a broadcast view, could not take later accumulation)
            if id(owner) in handed_out or g.requires_grad or not array.flags.writeable:
                g = function.Tensor(array.copy())
                owner = g._data
            handed_out.add(id(owner))
        leaf.grad = g
    elif create_graph or leaf.grad.requires_grad:
        leaf.grad = leaf.grad + g
    else:
        leaf.grad._data += g._data
    for hook in leaf._post_accumulate_hooks or ():
        hook(leaf)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves they depend on."""
    outputs = _as_tuple(tensors)
    grads = _root_gradients(outputs, _as_tuple(grad_tensors))
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _as_tuple(inputs)
        found = grad(outputs, inputs, grads, retain_graph=retain_graph, create_graph=create_graph,
                     allow_unused=True)
        for t, g in zip(inputs, found):
            if g is not None:
                _accumulate(t, g, create_graph, set())
        return
    _run(list(outputs), grads, retain_graph, create_graph, None)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad``, as ``torch.autograd.grad``.

    Example: ``(gx,) = latte.autograd.grad(y, [x], create_graph=True)``.
    """
    outputs = _as_tuple(outputs)
    inputs: Sequence = _as_tuple(inputs)
    grads = _root_gradients(outputs, _as_tuple(grad_outputs))
    if retain_graph is None:
        retain_graph = create_graph
    capture: dict = {}
    for slot, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"input {slot} of grad() does not require grad")
        capture[id(t) if t.grad_fn is None else (t.grad_fn, t._output_nr)] = slot
    captured = _run(list(outputs), grads, retain_graph, create_graph, capture)
    result = []
    for slot, t in enumerate(inputs):
        g = captured.get(slot)
        if g is None:
            if materialize_grads:
                g = t.new_zeros(t.shape)
            elif not (allow_unused or materialize_grads):
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {slot}) appears to not have been "
                    f"used in the graph. Set allow_unused=True if this is the desired behavior.")
        result.append(g)
    return tuple(result)
