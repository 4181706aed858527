"""The hook machinery of ``Module``: forward pre-hooks, forward hooks and full backward hooks,
with the handles that remove them.

``Module.__call__`` goes through ``_call_with_hooks`` only when some hook is registered, so a
module without hooks pays one truth test per call. Full backward hooks wrap the module's tensor
inputs and outputs in identity nodes that catch ``grad_output`` and then ``grad_input``.
"""
from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from latte.autograd.function import Function
from latte.tensor import Tensor

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``handle.remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict, *extra: dict) -> None:
        self.id = next(RemovableHandle._ids)
        self._dicts = (hooks, *extra)

    def remove(self) -> None:
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


class _ModuleHooks:
    """The ``register_*_hook`` methods of ``Module`` and the call path that runs the hooks."""

    _forward_pre_hooks: OrderedDict
    _forward_pre_hooks_with_kwargs: dict
    _forward_hooks: OrderedDict
    _forward_hooks_with_kwargs: dict
    _backward_hooks: OrderedDict
    forward: Callable[..., Any]

    def _call_with_hooks(self, args: tuple, kwargs: dict) -> Any:
        for hook_id, hook in list(self._forward_pre_hooks.items()):
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
        if self._backward_hooks:
            state = _BackwardHookState(self)
            args = state.wrap_inputs(args)
        output = self.forward(*args, **kwargs)
        for hook_id, hook in list(self._forward_hooks.items()):
            if hook_id in self._forward_hooks_with_kwargs:
                result = hook(self, args, kwargs, output)
            else:
                result = hook(self, args, output)
            if result is not None:
                output = result
        if state is not None:
            output = state.wrap_outputs(output)
        return output

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; it may return new args."""
        handle = RemovableHandle(self._forward_pre_hooks, self._forward_pre_hooks_with_kwargs)
        _insert(self._forward_pre_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; it may return a new output."""
        handle = RemovableHandle(self._forward_hooks, self._forward_hooks_with_kwargs)
        _insert(self._forward_hooks, handle.id, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False
                                    ) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to the
        module's tensor inputs are computed; it may return replacement ``grad_input``."""
        handle = RemovableHandle(self._backward_hooks)
        _insert(self._backward_hooks, handle.id, hook, prepend)
        return handle


def _insert(hooks: OrderedDict, key: int, hook: Callable, prepend: bool) -> None:
    hooks[key] = hook
    if prepend:
        hooks.move_to_end(key, last=False)


class _BackwardHookState:
    """Runs a module's full backward hooks: identity nodes around its inputs and outputs catch
    ``grad_output`` first, then ``grad_input``, and hand both to the hooks."""

    def __init__(self, module: _ModuleHooks) -> None:
        self.module = module
        self.grad_output: tuple | None = None
        self.n_inputs = 0

    def wrap_inputs(self, args: tuple) -> tuple:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        self.n_inputs = len(positions)
        self.input_positions = positions
        if not positions:
            return args
        wrapped = _HookInputs.apply(self, *(args[i] for i in positions))
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        args = list(args)
        for i, w in zip(positions, wrapped):
            args[i] = w
        return tuple(args)

    def wrap_outputs(self, output: Any) -> Any:
        single = isinstance(output, Tensor)
        outs = (output,) if single else output
        if not isinstance(outs, tuple) or not any(
                isinstance(o, Tensor) and o.requires_grad for o in outs):
            return output
        positions = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        wrapped = _HookOutputs.apply(self, *(outs[i] for i in positions))
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        outs = list(outs)
        for i, w in zip(positions, wrapped):
            outs[i] = w
        return outs[0] if single else tuple(outs)

    def run_hooks(self, grad_input: tuple) -> tuple:
        for hook in list(self.module._backward_hooks.values()):
            result = hook(self.module, grad_input, self.grad_output)
            if result is not None:
                result = result if isinstance(result, tuple) else (result,)
                if len(result) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, "
                                       f"got {len(result)}, but expected {len(grad_input)}")
                grad_input = result
        return grad_input


class _HookIdentity(Function):
    """An identity node on a module's tensors that hands their gradients to the hook state."""

    @staticmethod
    def forward(ctx: Any, state: _BackwardHookState, *tensors: Tensor) -> Any:
        ctx.state = state
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
        state.grad_output = grads
        if state.n_inputs == 0:  # no input needs a gradient: the hooks run now, with None
            state.run_hooks((None,))
        return (None,) + grads
