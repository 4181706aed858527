"""The hook machinery of ``Module``: forward pre-hooks, forward hooks, full backward pre-hooks
and full backward hooks, per module and global (``register_module_forward_hook``...), with the
handles that remove them.

``Module.__call__`` goes through ``_call_with_hooks`` only when some hook is registered, so a
module without hooks pays a few truth tests per call. Full backward hooks wrap the module's
tensor inputs and outputs in identity nodes that catch ``grad_output`` and then ``grad_input``.
Hooks run in PyTorch's order: global ones before the module's own.
"""
from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from latte.autograd.function import Function
from latte.tensor import Tensor

__all__ = ["RemovableHandle", "register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook"]


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook.

    Args:
        hooks (dict): the table the hook was put in, keyed by ``handle.id``.
        *extra (dict): side tables (``with_kwargs`` and ``always_call`` flags) to clean too.

    Example::

        >>> m = nn.Linear(2, 2)
        >>> with m.register_forward_hook(lambda mod, args, out: None):
        ...     len(m._forward_hooks)
        1
        >>> len(m._forward_hooks)
        0
    """

    _ids = itertools.count()

    def __init__(self, hooks: dict, *extra: dict) -> None:
        self.id = next(RemovableHandle._ids)
        self._dicts = (hooks, *extra)

    def remove(self) -> None:
        """Unregister the hook (a second call does nothing)."""
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


# global hooks, run for every module before its own (PyTorch's torch.nn.modules.module globals)
_global_forward_pre_hooks: OrderedDict = OrderedDict()
_global_forward_hooks: OrderedDict = OrderedDict()
_global_forward_hooks_with_kwargs: dict = {}
_global_forward_hooks_always_called: dict = {}
_global_backward_pre_hooks: OrderedDict = OrderedDict()
_global_backward_hooks: OrderedDict = OrderedDict()


def _any_global_hooks() -> bool:
    return bool(_global_forward_pre_hooks or _global_forward_hooks
                or _global_backward_pre_hooks or _global_backward_hooks)


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(module, args)`` before the ``forward`` of every module (before each module's
    own pre-hooks); it may return new args. For debugging and profiling.

    Example::

        >>> from latte.nn.modules.module import register_module_forward_pre_hook
        >>> seen = []
        >>> h = register_module_forward_pre_hook(lambda m, args: seen.append(type(m).__name__))
        >>> _ = nn.Sequential(nn.ReLU())(latte.ones(1))
        >>> h.remove(); seen
        ['Sequential', 'ReLU']
    """
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Run ``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` when
    ``with_kwargs``) after the ``forward`` of every module, before each module's own hooks; it
    may return a new output. With ``always_call`` it runs even if ``forward`` raised.

    Example::

        >>> from latte.nn.modules.module import register_module_forward_hook
        >>> seen = []
        >>> h = register_module_forward_hook(lambda m, args, out: seen.append(type(m).__name__))
        >>> _ = nn.Sequential(nn.ReLU())(latte.ones(1))
        >>> h.remove(); seen
        ['ReLU', 'Sequential']
    """
    handle = RemovableHandle(_global_forward_hooks, _global_forward_hooks_with_kwargs,
                             _global_forward_hooks_always_called)
    _global_forward_hooks[handle.id] = hook
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(module, grad_output)`` for every module when the gradients of its outputs are
    computed, before each module's own backward pre-hooks; it may return a new ``grad_output``.

    Example::

        >>> from latte.nn.modules.module import register_module_full_backward_pre_hook
        >>> h = register_module_full_backward_pre_hook(lambda m, g: None)
        >>> h.remove()
    """
    handle = RemovableHandle(_global_backward_pre_hooks)
    _global_backward_pre_hooks[handle.id] = hook
    return handle


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(module, grad_input, grad_output)`` for every module when the gradients of its
    inputs are computed, before each module's own backward hooks; it may return a new
    ``grad_input``.

    Example::

        >>> from latte.nn.modules.module import register_module_full_backward_hook
        >>> h = register_module_full_backward_hook(lambda m, gin, gout: None)
        >>> h.remove()
    """
    handle = RemovableHandle(_global_backward_hooks)
    _global_backward_hooks[handle.id] = hook
    return handle


class _ModuleHooks:
    """The ``register_*_hook`` methods of ``Module`` and the call path that runs the hooks."""

    _forward_pre_hooks: OrderedDict
    _forward_pre_hooks_with_kwargs: dict
    _forward_hooks: OrderedDict
    _forward_hooks_with_kwargs: dict
    _forward_hooks_always_called: dict
    _backward_pre_hooks: OrderedDict
    _backward_hooks: OrderedDict
    forward: Callable[..., Any]

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        for hook_id, hook in (*_global_forward_pre_hooks.items(),
                              *self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {result}.")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        state = None
        if (self._backward_hooks or self._backward_pre_hooks or _global_backward_hooks
                or _global_backward_pre_hooks):
            state = _BackwardHookState(self)
            args = state.wrap_inputs(args)
        forward_hooks = (*_global_forward_hooks.items(), *self._forward_hooks.items())
        always = {**_global_forward_hooks_always_called, **self._forward_hooks_always_called}
        with_kwargs = {**_global_forward_hooks_with_kwargs, **self._forward_hooks_with_kwargs}
        called: set = set()
        output = None
        try:
            output = self.forward(*args, **kwargs)
            for hook_id, hook in forward_hooks:
                if hook_id in always:
                    called.add(hook_id)
                if hook_id in with_kwargs:
                    result = hook(self, args, kwargs, output)
                else:
                    result = hook(self, args, output)
                if result is not None:
                    output = result
        except Exception:
            # the always_call hooks still run (their errors would hide the real one: warned)
            for hook_id, hook in forward_hooks:
                if hook_id not in always or hook_id in called:
                    continue
                try:
                    if hook_id in with_kwargs:
                        hook(self, args, kwargs, output)
                    else:
                        hook(self, args, output)
                except Exception as exc:  # noqa: BLE001 - the forward's error is re-raised
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {exc}", stacklevel=2)
            raise
        if state is not None:
            output = state.wrap_outputs(output)
        return output

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; it may return new args (a tuple, or
        one value). With ``with_kwargs`` it is ``hook(module, args, kwargs)`` and may return
        ``(new_args, new_kwargs)``. ``prepend`` puts it before the hooks already registered.

        Example::

            >>> m = nn.Linear(2, 2)
            >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
            >>> latte.equal(m(latte.ones(1, 2))[0], m.bias)
            True
        """
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        _insert(self._forward_pre_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; it may return a new output.
        With ``with_kwargs`` it is ``hook(module, args, kwargs, output)``; with ``always_call``
        it runs even when ``forward`` raises; ``prepend`` puts it first.

        Example::

            >>> feats = {}
            >>> m = nn.Linear(2, 3)
            >>> h = m.register_forward_hook(lambda mod, args, out: feats.update(out=out))
            >>> _ = m(latte.ones(1, 2)); feats["out"].shape
            latte.Size([1, 3])
        """
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs,
                                 self._forward_hooks_always_called)
        _insert(self._forward_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False
                                        ) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients with respect to the module's
        outputs are computed, before its backward; it may return a replacement
        ``grad_output`` (a tuple of the same length).

        Example::

            >>> m = nn.Linear(2, 2)
            >>> h = m.register_full_backward_pre_hook(lambda mod, g: (g[0] * 0,))
            >>> m(latte.ones(1, 2)).sum().backward()
            >>> m.weight.grad.abs().sum().item()
            0.0
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        _insert(self._backward_pre_hooks, handle.id, hook, prepend)
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the
        module's tensor inputs are computed; it may return replacement ``grad_input``.

        Example::

            >>> m = nn.Linear(2, 2)
            >>> h = m.register_full_backward_hook(lambda mod, gin, gout: print(len(gout)))
            >>> m(latte.ones(1, 2, requires_grad=True)).sum().backward()
            1
        """
        handle = RemovableHandle(self._backward_hooks)
        _insert(self._backward_hooks, handle.id, hook, prepend)
        return handle


def _insert(hooks: OrderedDict, key: int, hook: Callable, prepend: bool) -> None:
    hooks[key] = hook
    if prepend:
        hooks.move_to_end(key, last=False)


class _BackwardHookState:
    """Runs a module's full backward hooks: identity nodes around its inputs and outputs catch
    ``grad_output`` first (passed through the backward pre-hooks), then ``grad_input``, and
    hand both to the hooks. The hooks are those registered when the forward ran."""

    def __init__(self, module: _ModuleHooks) -> None:
        self.module = module
        self.pre_hooks = (*_global_backward_pre_hooks.values(),
                          *module._backward_pre_hooks.values())
        self.hooks = (*_global_backward_hooks.values(), *module._backward_hooks.values())
        self.grad_output: tuple | None = None
        self.n_args = 0
        self.input_positions: list[int] = []

    def wrap_inputs(self, args: tuple) -> tuple:
        self.n_args = len(args)
        # as PyTorch: when one tensor argument needs a gradient, every tensor argument is
        # wrapped (and so gets one)
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args) or not self.hooks:
            return args
        self.input_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        wrapped = _HookInputs.apply(self, *(args[i] for i in self.input_positions))
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        args = list(args)
        for i, w in zip(self.input_positions, wrapped):
            args[i] = w
        return tuple(args)

    def wrap_outputs(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        outs = (output,) if single else output
        if not isinstance(outs, tuple):
            warnings.warn(f"For backward hooks to be called, module output should be a Tensor "
                          f"or a tuple of Tensors but received {type(output)}", stacklevel=3)
        if not isinstance(outs, tuple) or not any(
                isinstance(o, Tensor) and o.requires_grad for o in outs):
            self.hooks = ()  # no grad_output will come: the hooks never run, as in PyTorch
            return output
        positions = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        wrapped = _HookOutputs.apply(self, *(outs[i] for i in positions))
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        outs = list(outs)
        for i, w in zip(positions, wrapped):
            outs[i] = w
        return outs[0] if single else tuple(outs)

    def run_pre_hooks(self, grad_output: tuple) -> tuple:
        for hook in self.pre_hooks:
            result = hook(self.module, grad_output)
            if result is not None:
                result = result if isinstance(result, tuple) else (result,)
                if len(result) != len(grad_output):
                    raise RuntimeError(f"Backward pre hook returned an invalid number of "
                                       f"grad_output, got {len(result)}, but expected "
                                       f"{len(grad_output)}")
                grad_output = result
        return grad_output

    def run_hooks(self, grads: tuple) -> tuple:
        """Call the full hooks with one ``grad_input`` entry per positional argument of the
        forward (None where it has no gradient, as PyTorch); return the gradients of the
        wrapped inputs, possibly replaced by the hooks."""
        grad_input: tuple = (None,) * self.n_args
        for i, g in zip(self.input_positions, grads):
            grad_input = grad_input[:i] + (g,) + grad_input[i + 1:]
        for hook in self.hooks:
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = result if isinstance(result, tuple) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(result)}, but expected {len(grad_input)}")
                grad_input = result
        return tuple(grad_input[i] for i in self.input_positions)


class _HookIdentity(Function):
    """An identity node on a module's tensors that hands their gradients to the hook state."""

    @staticmethod
    def forward(ctx: Any, state: _BackwardHookState, *tensors: Tensor) -> Any:
        ctx.state = state
        ctx.set_materialize_grads(False)  # an unused output's grad_output stays None
        outs = tuple(t.detach() for t in tensors)
        return outs if len(outs) > 1 else outs[0]


class _HookInputs(_HookIdentity):
    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple:
        return (None,) + tuple(ctx.state.run_hooks(grads))


class _HookOutputs(_HookIdentity):
    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple:
        state = ctx.state
        grads = state.run_pre_hooks(grads)
        state.grad_output = grads
        if state.hooks and not state.input_positions:  # no input needs a gradient: now
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            state.run_hooks(())
        return (None,) + tuple(grads)
