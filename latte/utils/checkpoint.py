"""``checkpoint``: activation checkpointing's API; Latte runs ``function`` once and keeps its
graph (gradients are the same as recomputing, memory is not saved)."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, as ``torch.utils.checkpoint.checkpoint`` computes it.

    PyTorch frees the activations inside ``function`` and recomputes them in backward; Latte
    simply keeps them, so values and gradients are identical and only the memory saving is
    missing. Like PyTorch, ``use_reentrant`` should be given explicitly (a warning otherwise).

    Example::

        >>> y = latte.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed "
                      "explicitly", stacklevel=2)
    extra = {k: v for k, v in kwargs.items()
             if k not in ("context_fn", "determinism_check", "debug")}
    return function(*args, **extra)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Run the modules of ``functions`` (a Sequential or a list) one after the other."""
    modules = list(functions.children()) if hasattr(functions, "children") else list(functions)
    for module in modules:
        input = module(input)
    return input
