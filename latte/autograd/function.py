"""``Function``: one differentiable op, whose instance is both ``ctx`` and its node in the graph.

Two flavours share the graph machinery:

* ``Function`` (public, as ``torch.autograd.Function``): ``forward(ctx, *args)`` receives Tensors
  and runs with grad mode off; ``backward(ctx, *grads)`` receives and returns Tensors.
* ``Op`` (Latte's primitives in ``latte/ops``): ``forward(ctx, *args)`` receives the raw backend
  arrays of its Tensor arguments and returns arrays; ``backward`` is written with Tensor ops, so
  building a graph of the backward itself (``create_graph=True``) gives higher-order gradients.

``backward`` returns one gradient per argument of ``forward`` (``None`` for non-Tensors or where
none is needed). Gradients may have the broadcast shape: the engine sums them down to each input's
shape in one place (``sum_to``).
"""
from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as _numpy
from numpy import ndarray as _ndarray

from latte.autograd.grad_mode import _state
from latte.backend import check_same_device, cuda_backend, device_guard, device_of, is_device_array

__all__ = ["Function", "Op", "AccumulateGrad", "once_differentiable", "named_node", "rename_node"]

# latte.tensor sets this when it is imported: ops build Tensors, and Tensor builds ops.
Tensor: Any = None

# Tracers (``latte.onnx``) watching every primitive run: called with (op class, args, result)
tracers: list = []

_IN, _OUT, _CONST, _PACKED = 0, 1, 2, 3
_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you "
    "call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward "
    "through the graph a second time or if you need to access saved tensors after calling backward."
)


class _SavedHooks(threading.local):
    """The ``(pack, unpack)`` pairs of ``autograd.graph.saved_tensors_hooks``, innermost last,
    and the message of an enclosing ``disable_saved_tensors_hooks`` (per thread, as PyTorch)."""

    stack: tuple = ()
    disabled: str | None = None


saved_hooks = _SavedHooks()


class Function:
    """Base of every differentiable operation; subclass and define ``forward`` and ``backward``.

    Example::

        class Exp(latte.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y
    """

    # graph bookkeeping, filled by apply() only when the op is recorded
    _edges: tuple = ()
    _saved: tuple = ()
    _freed = False
    _out_hooks: dict | None = None
    _out_meta: tuple = ()
    _to_save: tuple = ()
    materialize_grads = True
    needs_input_grad: tuple = ()

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError("subclasses of Function must define forward")

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        raise NotImplementedError("subclasses of Function must define backward")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        """Optional: fill ``ctx`` from ``inputs`` and ``output``; a Function defining it has a
        ``forward(*args)`` without ``ctx``, as PyTorch's (needed by ``latte.func`` transforms)."""
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def _run_forward(cls, ctx: Any, args: tuple) -> Any:
        """``forward``'s outputs, in either style: ``forward(ctx, *args)``, or ``forward(*args)``
        followed by ``setup_context(ctx, args, outputs)``."""
        if cls.setup_context is Function.setup_context:
            return cls.forward(ctx, *args)
        outputs = cls.forward(*args)
        cls.setup_context(ctx, args, outputs)
        return outputs

    # --- the node's name, as PyTorch's ------------------------------------------------------
    # A recorded node is an instance of a subclass named as PyTorch names it ("AddBackward0";
    # "MyFunctionBackward" for a user's Function), made once per name: ``type(grad_fn)``,
    # ``name()`` and the repr then all agree with PyTorch. An op sets ``node_name`` when its
    # PyTorch name is not ``<ClassName>Backward0``, or ``node_name_for(ctx)`` when the name
    # depends on the call (basic indexing is ``SliceBackward0`` or ``SelectBackward0``).
    node_name: str | None = None
    _node_classes: dict = {}
    _is_node = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_is_node"):
            return
        cls._node_classes = {}
        name = cls.__dict__.get("node_name") or cls._default_node_name()
        cls._node_cls = cls._node_class(name)

    @classmethod
    def _default_node_name(cls) -> str:
        return cls.__name__ + "Backward"

    @classmethod
    def _node_class(cls, name: str) -> type:
        node = cls._node_classes.get(name)
        if node is None:
            node = cls._node_classes[name] = type(name, (cls,), {
                "_is_node": True, "__module__": cls.__module__, "__qualname__": name,
                "__doc__": cls.__doc__})
        return node

    node_name_for = None  # optionally ``node_name_for(ctx) -> str``, called after forward

    @property
    def metadata(self) -> dict:
        """A dict kept with the node for the user's own annotations, as PyTorch's."""
        meta = self.__dict__.get("_metadata")
        if meta is None:
            meta = self.__dict__["_metadata"] = {}
        return meta

    # --- ctx API -------------------------------------------------------------------------
    def save_for_backward(self, *items: Any) -> None:
        """Keep inputs or outputs for ``backward``; modifying them in place later is an error."""
        self._to_save = items

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Outputs that never need a gradient (indices, masks)."""
        self._non_diff = {id(o) for o in outputs}

    def mark_dirty(self, *tensors: Any) -> None:
        """Inputs ``forward`` modified in place (and returns). Their gradient flows through this
        node; unlike PyTorch's, the output returned is a new tensor over the same memory rather
        than the input object with its history rebased."""
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """When False, ``backward`` may receive ``None`` for outputs that got no gradient."""
        self.materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as Tensors, checked against in-place modification since forward."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        return tuple(self._unpack(entry) for entry in self._saved)

    def _unpack(self, entry: tuple) -> Any:
        kind, value, counter, version = entry
        if kind == _PACKED:
            return self._unpack_hooked(value)
        if counter is not None and counter[0] != version:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: a tensor of shape {tuple(_shape(value))} saved by "
                f"{type(self).__name__} is at version {counter[0]}; expected version {version} "
                f"instead.")
        if kind == _OUT:
            # rebuild the output lazily: holding the output Tensor here would make a cycle
            index, array, requires_grad = value
            out = Tensor(array, requires_grad=requires_grad)
            if requires_grad:
                out.grad_fn, out._output_nr = self, index
            out._vc = counter
            return out
        return value

    def _unpack_hooked(self, value: tuple) -> Any:
        """A value saved through ``saved_tensors_hooks``: ``unpack(packed)``, given back the
        history of the tensor that was saved (so higher-order gradients still reach it)."""
        packed, unpack, (node, output_nr, requires_grad, leaf) = value
        data = unpack(packed)
        if not isinstance(data, Tensor):
            raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(data).__name__}")
        if leaf is not None:
            # a leaf's gradient must reach the leaf itself: an identity node over the new values
            return _Rebased.apply(leaf, data._data) if _state.enabled else \
                Tensor(data._data, requires_grad=True)
        out = Tensor(data._data, requires_grad=requires_grad)
        if requires_grad:
            # node None: this node's own output (kept as None, a reference would be a cycle)
            out.grad_fn, out._output_nr = (self if node is None else node), output_nr
        return out

    @property
    def next_functions(self) -> tuple:
        """``(node, output_nr)`` pairs this node sends gradients to, as PyTorch's: a leaf that
        requires grad shows as its ``AccumulateGrad`` node (``.variable`` is the leaf)."""
        return tuple((fn if fn is not None else AccumulateGrad.of(leaf), nr)
                     for _, fn, nr, leaf, _, _ in self._edges)

    def name(self) -> str:
        """PyTorch's name of this node, e.g. ``'AddBackward0'``."""
        return type(self).__name__

    def register_hook(self, hook: Any) -> None:
        """Not supported on nodes; use ``Tensor.register_hook``."""
        raise NotImplementedError("use Tensor.register_hook")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    # --- building the graph ----------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` on Tensors and, if any input requires grad, record the node."""
        ctx = cls._node_cls()
        record = _state.enabled and any(
            isinstance(a, Tensor) and a.requires_grad for a in args)
        check_same_device([a for a in args if isinstance(a, Tensor) and a._data.ndim])
        previous, _state.enabled = _state.enabled, False
        try:
            outputs = cls._run_forward(ctx, args)
        finally:
            _state.enabled = previous
        single = not isinstance(outputs, tuple)
        outs = [outputs] if single else list(outputs)
        if record:
            if cls.node_name_for is not None:
                ctx.__class__ = cls._node_class(cls.node_name_for(ctx))
            non_diff = getattr(ctx, "_non_diff", ())
            ctx._record(args, None)
            for index, out in enumerate(outs):
                if isinstance(out, Tensor) and id(out) not in non_diff:
                    if any(out is a for a in args):
                        out = outs[index] = out.detach()  # returning an input: attach a new view
                    out.grad_fn, out._output_nr, out.requires_grad = ctx, index, True
            ctx._out_meta = tuple(
                (o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs)
            ctx._saved = tuple(ctx._resolve_tensor(item, args, outs) for item in ctx._to_save)
            if saved_hooks.stack:
                ctx._saved = ctx._pack(ctx._saved)
        ctx._to_save = ()
        return outs[0] if single else tuple(outs)

    def _record(self, args: tuple, arrays: tuple | None) -> None:
        """Store one edge per input that requires grad, and the flags ``needs_input_grad``."""
        edges = []
        needs = []
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a.requires_grad:
                fn = a.grad_fn
                edges.append((i, fn, a._output_nr, a if fn is None else None, a._data.shape,
                              a._data.dtype))
                needs.append(True)
            else:
                needs.append(False)
        self._edges = tuple(edges)
        self.needs_input_grad = tuple(needs)

    def _resolve_tensor(self, item: Any, args: tuple, outs: tuple) -> tuple:
        if not isinstance(item, Tensor):
            return (_CONST, item, None, 0)
        for index, out in enumerate(outs):
            if item is out:
                return (_OUT, (index, out._data, out.requires_grad), out._vc, out._vc[0])
        return (_IN, item, item._vc, item._vc[0])

    def _pack(self, entries: tuple) -> tuple:
        """Hand every saved tensor to the innermost ``saved_tensors_hooks`` pack hook (with grad
        mode off, as PyTorch); keep what it returns. Numbers and None stay as they are."""
        pack, unpack = saved_hooks.stack[-1]
        packed = []
        for entry in entries:
            kind, value = entry[0], entry[1]
            if kind == _OUT:
                index, array, requires_grad = value
                t = Tensor(array, requires_grad=requires_grad)
                if requires_grad:
                    t.grad_fn, t._output_nr = self, index
                t._vc = entry[2]
                origin = (None, index, requires_grad, None)
            elif isinstance(value, Tensor):
                t = value
                leaf = t if t.requires_grad and t.grad_fn is None else None
                origin = (t.grad_fn, t._output_nr, t.requires_grad, leaf)
            else:
                packed.append(entry)
                continue
            version = t._vc[0]
            previous, _state.enabled = _state.enabled, False
            try:
                result = pack(t)
            finally:
                _state.enabled = previous
            if t._vc[0] != version:
                raise RuntimeError(
                    "A saved tensor pack hook is modifying its input in place. Tensors provided "
                    "as input to pack hook cannot be modified by in-place operations as this can "
                    "lead to unexpected side-effects. Please open an issue if you need to "
                    "perform in-place operations on the input to a pack hook.")
            packed.append((_PACKED, (result, unpack, origin), None, 0))
        return tuple(packed)

    def _release(self) -> None:
        """Drop saved values after backward so the memory returns at once."""
        if self._saved:
            self._saved = ()
            self._freed = True


def _quiet_state() -> tuple:
    """NumPy's floating-point error state (a context variable) and a value of it that ignores
    division by zero, invalid results and overflow: PyTorch gives those inf/nan silently.

    ``np.errstate`` costs ~1 us a use, more than a small division itself; setting NumPy's
    context variable directly costs ~0.1 us. NumPy keeps it private: where it is missing
    (another NumPy), ``(None, None)`` and the ops fall back to ``np.errstate``."""
    try:
        from numpy._core.umath import _extobj_contextvar, _make_extobj
        return _extobj_contextvar, _make_extobj(divide="ignore", invalid="ignore",
                                                over="ignore")
    except (ImportError, TypeError):
        return None, None


_FP_STATE, _FP_QUIET = _quiet_state()


class Op(Function):
    """A Latte primitive: ``forward(ctx, *arrays)`` computes on backend arrays, see module doc."""

    # True where forward can make inf/nan from finite inputs (x/0, log 0, sqrt(-1), exp(1000)):
    # NumPy's RuntimeWarnings are then silenced in that forward, as PyTorch is silent
    quiet_fp = False
    # True when the output may share memory with the first input; a forward that copied after
    # all (a reshape of a non-contiguous array) sets ``ctx.is_view = False`` on its instance
    is_view = False
    non_differentiable_outputs: tuple = ()  # output indices that never carry a gradient
    # True on the instance that ``apply_`` runs: forward writes its result into its first array
    inplace = False

    @classmethod
    def _default_node_name(cls) -> str:
        return cls.__name__ + "Backward0"

    @classmethod
    def apply(cls, *args: Any) -> Any:
        # the hot path of every op: kept flat, with no per-call generators
        ctx = cls._node_cls()
        record = False
        on_gpu = False
        arrays = []
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                arrays.append(data)
                if type(data) is not _ndarray:
                    on_gpu = True
                if a.requires_grad:
                    record = True
            else:
                arrays.append(a)
        guard = None
        if on_gpu:
            args, guard = _same_device(args, arrays)
        record = record and _state.enabled
        if record:
            # before forward, so that forward saves only what the inputs that need a gradient
            # need (``ctx.needs_input_grad``; empty when nothing is recorded)
            ctx._record(args, arrays)
        if cls.quiet_fp and not on_gpu:
            if _FP_STATE is not None:
                token = _FP_STATE.set(_FP_QUIET)
                try:
                    out = cls.forward(ctx, *arrays)
                finally:
                    _FP_STATE.reset(token)
            else:
                with _numpy.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    out = cls.forward(ctx, *arrays)
        elif guard is None:
            out = cls.forward(ctx, *arrays)
        else:
            with guard:  # the op's GPU is not the current one: its new arrays belong there
                out = cls.forward(ctx, *arrays)
        multi = type(out) is tuple
        outs = tuple(_wrap(o) for o in out) if multi else (_wrap(out),)
        if ctx.is_view and isinstance(args[0], Tensor):
            # a view shares its base's version counter, so in-place writes are seen through both
            base = args[0]
            # strides PyTorch would have too: views taken, one after another, of a contiguous
            # tensor (ops such as conv may return an internal layout PyTorch's would not have)
            strided = base._data.flags.c_contiguous or "_strided" in base.__dict__
            for o in outs:
                o._vc = base._vc
                if strided:
                    o.__dict__["_strided"] = True
        if record:
            non_diff = cls.non_differentiable_outputs
            index = 0
            for o in outs:
                # integer and bool results never require grad (as PyTorch: x.long(), argmax)
                if index not in non_diff and o._data.dtype.kind in "fc":
                    o.grad_fn, o._output_nr, o.requires_grad = ctx, index, True
                index += 1
            if multi:
                ctx._out_meta = tuple((o._data.shape, o._data.dtype) for o in outs)
            else:
                ctx._out_meta = ((outs[0]._data.shape, outs[0]._data.dtype),)
            if ctx._to_save:
                ctx._saved = tuple([ctx._resolve_array(item, args, arrays, outs)
                                    for item in ctx._to_save])
                if saved_hooks.stack:
                    ctx._saved = ctx._pack(ctx._saved)
            if cls.node_name_for is not None:
                ctx.__class__ = cls._node_class(cls.node_name_for(ctx))
        ctx._to_save = ()
        if tracers:
            tracers[-1](cls, args, outs if multi else outs[0])
        return outs if multi else outs[0]

    @classmethod
    def apply_(cls, *args: Any) -> Any:
        """Record an in-place op: forward (with ``ctx.inplace`` set) writes its result into the
        memory of ``args[0]``, which takes the new node as its history; a forward saving that
        array saves the result (checked against later writes), and one that needs the old
        values saves a copy of them. Call it only when the op is recorded."""
        target = args[0]
        ctx = cls._node_cls()
        ctx.inplace = True
        arrays = [a._data if isinstance(a, Tensor) else a for a in args]
        guard = None
        if type(arrays[0]) is not _ndarray:
            args, guard = _same_device(args, arrays)
        ctx._record(args, arrays)  # edges to the history before the write
        if guard is not None:
            with guard:  # the tensor's GPU is not the current one
                cls.forward(ctx, *arrays)
        elif cls.quiet_fp:
            with _numpy.errstate(divide="ignore", invalid="ignore", over="ignore"):
                cls.forward(ctx, *arrays)
        else:
            cls.forward(ctx, *arrays)
        target._vc[0] += 1
        target.grad_fn, target._output_nr, target.requires_grad = ctx, 0, True
        data = target._data
        ctx._out_meta = ((data.shape, data.dtype),)
        if ctx._to_save:
            ctx._saved = tuple([(_OUT, (0, data, True), target._vc, target._vc[0])
                                if item is data else ctx._resolve_array(item, args, arrays, ())
                                for item in ctx._to_save])
            if saved_hooks.stack:
                ctx._saved = ctx._pack(ctx._saved)
        ctx._to_save = ()
        if tracers:
            tracers[-1](cls, args, target)
        return target

    def _resolve_array(self, item: Any, args: tuple, arrays: list, outs: tuple) -> tuple:
        if not hasattr(item, "shape"):
            return (_CONST, item, None, 0)  # a Python number stays a number
        for i, array in enumerate(arrays):
            if item is array and isinstance(args[i], Tensor):
                t = args[i]
                return (_IN, t, t._vc, t._vc[0])
        for index, o in enumerate(outs):
            if item is o._data:
                return (_OUT, (index, o._data, o.requires_grad), o._vc, o._vc[0])
        return (_CONST, Tensor(item), None, 0)


def rename_node(out: Any, name: str, *inputs: Any) -> Any:
    """Show ``out``'s node (or each one's, for a tuple or list) as PyTorch's ``name``: how a
    composition (``addmm``, ``mse_loss``...) shows one node named as PyTorch's, not its last
    inner op. Nodes that an input already had (a result that is an input) are left alone."""
    for t in out if isinstance(out, (tuple, list)) else (out,):
        fn = getattr(t, "grad_fn", None)
        if fn is None or any(fn is getattr(i, "grad_fn", None) for i in inputs):
            continue
        op = type(fn).__mro__[1] if type(fn)._is_node else type(fn)
        fn.__class__ = op._node_class(name)
    return out


def named_node(name: str | Callable) -> Callable:
    """Decorator of a composition: its result's node shows as PyTorch's ``name`` (or
    ``name(*args, **kwargs)`` when the name depends on the call; None keeps the inner name)."""
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            if _state.enabled:
                chosen = name if isinstance(name, str) else name(*args, **kwargs)
                if chosen is not None:  # None: this call keeps its inner op's name
                    rename_node(out, chosen, *args)
            return out
        return wrapper
    return decorate


class AccumulateGrad:
    """The node PyTorch shows in ``next_functions`` for a leaf that requires grad: gradients
    arriving there accumulate into ``variable.grad``. One per leaf, made when first asked for."""

    __slots__ = ("variable", "__weakref__")

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    @staticmethod
    def of(leaf: Any) -> AccumulateGrad:
        # the leaf keeps only a weak reference: a node, not its leaf, is what goes away first
        ref = leaf.__dict__.get("_accumulate_grad")
        node = ref() if ref is not None else None
        if node is None:
            node = AccumulateGrad(leaf)
            leaf.__dict__["_accumulate_grad"] = weakref.ref(node)
        return node

    next_functions: tuple = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class _Rebased(Op):
    """``values`` (an array) as a tensor whose gradient flows to ``leaf``: what an unpack hook
    gives back for a saved leaf, so that higher-order gradients still accumulate into it."""

    def forward(ctx, leaf, values):
        return values

    def backward(ctx, grad):
        return grad, None


def _same_device(args: tuple, arrays: list) -> tuple:
    """Refuse tensors of two devices in one op; a 0-d CPU tensor joins the GPU as a number
    (through a differentiable copy when it needs a gradient: that gradient belongs on the CPU).
    Returns the args and a guard making the op's GPU current when it is not (else None)."""
    moved = check_same_device(args)
    if moved is not None and any(m is not None for m in moved):
        args = list(args)
        for i, array in enumerate(moved):
            if array is None:
                continue
            if args[i].requires_grad and _state.enabled:
                args[i] = args[i].to(device_of(array))  # differentiable: Tensor.to is an op
                array = args[i]._data
            arrays[i] = array
        args = tuple(args)
    for a in args:
        if isinstance(a, Tensor) and type(a._data) is not _ndarray:
            dev = device_of(a._data)
            current = cuda_backend().current_device()
            return args, (device_guard(dev) if dev.index != current else None)
    return args, None


def _wrap(array: Any) -> Any:
    """A Tensor around a forward's result (NumPy reductions may return scalars, not arrays)."""
    if type(array) is not _ndarray and not is_device_array(array):
        array = _numpy.asarray(array)  # a NumPy scalar (GPU libraries return 0-d arrays)
    return Tensor(array)


class _DelayedError(Op):
    """Passes a value through, but refuses to be differentiated (see ``once_differentiable``)."""

    def forward(ctx, a, message):
        ctx.message = message
        return a

    def backward(ctx, grad):
        raise RuntimeError(ctx.message)


def once_differentiable(backward: Any) -> Any:
    """Mark a ``backward`` that works on raw arrays: differentiating its result again raises."""
    import functools

    @functools.wraps(backward)
    def wrapper(ctx: Any, *grads: Any) -> Any:
        previous, _state.enabled = _state.enabled, False
        try:
            results = backward(ctx, *grads)
        finally:
            _state.enabled = previous
        if not (previous and any(isinstance(g, Tensor) and g.requires_grad for g in grads)):
            return results
        message = (f"{type(ctx).__name__}'s backward is once_differentiable (a fused kernel on "
                   f"raw arrays), so it cannot be differentiated again (create_graph=True)")
        single = not isinstance(results, tuple)
        wrapped = tuple(_DelayedError.apply(r.detach().requires_grad_(), message)
                        if isinstance(r, Tensor) and r.is_floating_point() else r
                        for r in ((results,) if single else results))
        return wrapped[0] if single else wrapped
    return wrapper


def _shape(value: Any) -> tuple:
    if isinstance(value, tuple):
        value = value[1]
    return getattr(value, "shape", ())
