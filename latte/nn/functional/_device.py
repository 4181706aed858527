"""Run functionals that work on raw arrays under their input's GPU.

An op's forward already runs with its inputs' GPU current; code between ops that builds arrays
itself (index vectors, divisors, running statistics) does not, and CuPy allocates and launches
on the *current* GPU, so on ``cuda:1`` that work would land on ``cuda:0``.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from latte.backend import device_guard, device_of

F = TypeVar("F", bound=Callable[..., Any])


def on_input_device(fn: F) -> F:
    """Decorate ``fn(input, ...)`` so its body runs with ``input``'s GPU current (a type check
    and nothing more on the CPU)."""
    @functools.wraps(fn)
    def wrapper(input: Any, *args: Any, **kwargs: Any) -> Any:
        data = input._data
        if type(data) is np.ndarray:
            return fn(input, *args, **kwargs)
        with device_guard(device_of(data)):
            return fn(input, *args, **kwargs)
    return wrapper  # type: ignore[return-value]
