"""Grad mode: a thread-local switch that says whether ops record the graph.

One class is both context manager and decorator, and always restores the previous state.
Train/eval mode is a different thing and lives on each ``nn.Module``.
"""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class _State(threading.local):
    enabled = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    """True when new ops record the graph for backward."""
    return _state.enabled


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()``."""
    return _state.inference


class _GradModeContext:
    """Base: subclasses set ``_target``; usable with ``with`` and as ``@decorator``."""

    _target = True

    def __enter__(self) -> None:
        self._previous = _state.enabled
        _state.enabled = self._target

    def __exit__(self, *exc: Any) -> None:
        _state.enabled = self._previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(*self._init_args()):
                return fn(*args, **kwargs)
        return wrapper

    def _init_args(self) -> tuple:
        return ()

    def clone(self) -> _GradModeContext:
        return self.__class__(*self._init_args())


class no_grad(_GradModeContext):
    """Disable graph recording: ``with latte.no_grad(): ...`` or ``@latte.no_grad()``."""

    _target = False

    def __new__(cls, fn: Callable | None = None):
        # `@no_grad` without parentheses is accepted too, as PyTorch does
        self = super().__new__(cls)
        if callable(fn):
            return self(fn)
        return self

    def __init__(self, fn: Callable | None = None) -> None:
        pass


class enable_grad(no_grad):
    """Re-enable graph recording inside a ``no_grad`` block."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Set grad mode to ``mode``; takes effect at once and also works as a context manager."""

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._target = self._mode
        self._previous = _state.enabled
        _state.enabled = self._mode

    def __enter__(self) -> None:
        pass

    def _init_args(self) -> tuple:
        return (self._mode,)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (Latte has no extra inference-only optimisations to make)."""

    def __new__(cls, mode: Any = True):
        self = super().__new__(cls)
        if callable(mode):
            self.__init__(True)
            return self(mode)
        return self

    def __init__(self, mode: Any = True) -> None:
        self._mode = bool(mode)
        self._target = not self._mode

    def __enter__(self) -> None:
        super().__enter__()
        self._previous_inference = _state.inference
        _state.inference = self._mode

    def __exit__(self, *exc: Any) -> None:
        _state.inference = self._previous_inference
        super().__exit__()

    def _init_args(self) -> tuple:
        return (self._mode,)


def _set_grad_enabled_call(self: set_grad_enabled, fn: Callable) -> Callable:
    # used as a decorator, construction already flipped the flag: undo that first
    _state.enabled = self._previous
    return _GradModeContext.__call__(self, fn)


set_grad_enabled.__call__ = _set_grad_enabled_call
