"""``checkpoint``: activation checkpointing, as ``torch.utils.checkpoint``. The activations a
block saves for backward are dropped in forward and recomputed, by running the block again, when
backward first needs one of them: memory for compute."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from latte import random
from latte.autograd.grad_mode import enable_grad
from latte.autograd.graph import saved_tensors_hooks

__all__ = ["checkpoint", "checkpoint_sequential"]


class _Frame:
    """One checkpointed call: how many tensors its forward saved, and their recomputed values
    (None until backward asks, and again once each has been handed out)."""

    def __init__(self, function: Callable, args: tuple, kwargs: dict, rng: Any) -> None:
        self.function, self.args, self.kwargs, self.rng = function, args, kwargs, rng
        self.count = 0
        self.values: list | None = None

    def pack(self, tensor: Any) -> int:
        self.count += 1
        return self.count - 1

    def unpack(self, handle: int) -> Any:
        if self.values is None or self.values[handle] is None:
            self.values = self._recompute()
        value, self.values[handle] = self.values[handle], None  # freed as soon as it is used
        return value

    def _recompute(self) -> list:
        values: list = []

        def keep(tensor: Any) -> None:
            values.append(tensor.detach())

        state = None
        if self.rng is not None:  # the same dropout masks as the first run
            state = random.get_rng_state()
            random.set_rng_state(self.rng)
        try:
            with enable_grad(), saved_tensors_hooks(keep, lambda _: None):
                self.function(*self.args, **self.kwargs)
        finally:
            if state is not None:
                random.set_rng_state(state)
        if len(values) != self.count:
            raise RuntimeError(
                f"torch.utils.checkpoint: the recomputed forward saved {len(values)} tensors "
                f"for backward where the original forward saved {self.count}: the checkpointed "
                f"function must run the same operations each time")
        return values


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)`` without keeping the tensors it saves for backward.

    Each tensor the ops inside ``function`` save is replaced by a handle
    (``autograd.graph.saved_tensors_hooks``); the first time backward needs one, ``function``
    runs again (with the random state of the first run when ``preserve_rng_state``, so dropout
    draws the same masks) and hands the recomputed values out, each freed once used. Peak memory
    then holds one block's activations at a time. As PyTorch, ``use_reentrant`` should be given
    explicitly (a warning otherwise); both values behave as ``use_reentrant=False``.

    Example::

        >>> y = latte.utils.checkpoint.checkpoint(block, x, use_reentrant=False)  # doctest: +SKIP
        >>> y.sum().backward()  # doctest: +SKIP
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly", stacklevel=2)
    extra = {k: v for k, v in kwargs.items()
             if k not in ("context_fn", "determinism_check", "debug")}
    frame = _Frame(function, args, extra, random.get_rng_state() if preserve_rng_state else None)
    with saved_tensors_hooks(frame.pack, frame.unpack):
        return function(*args, **extra)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run the modules of ``functions`` (a Sequential or a list) in ``segments`` pieces, every
    piece but the last checkpointed (as ``torch.utils.checkpoint.checkpoint_sequential``)."""
    modules = list(functions.children()) if hasattr(functions, "children") else list(functions)
    preserve = kwargs.get("preserve_rng_state", True)

    def run(block: list) -> Callable:
        def forward(x: Any) -> Any:
            for module in block:
                x = module(x)
            return x
        return forward

    size = len(modules) // segments if segments else len(modules)
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        input = checkpoint(run(modules[start:end]), input, use_reentrant=use_reentrant is not False,
                           preserve_rng_state=preserve)
    return run(modules[end:])(input)
