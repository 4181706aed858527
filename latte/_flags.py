"""Process-wide switches that PyTorch scripts set: deterministic algorithms, float32 matmul
precision, warn-always and flush-denormal. Latte's NumPy kernels are deterministic and compute
float32 products in float32, so the switches are recorded and read back as PyTorch does."""
from __future__ import annotations

import warnings

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "get_float32_matmul_precision", "set_warn_always", "is_warn_always_enabled",
           "set_flush_denormal"]

_flags: dict = {"deterministic": False, "warn_only": False, "matmul": "highest",
                "warn_always": False}


def _check_bool(value: object, who: str, name: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{who}(): argument '{name}' must be bool, not {type(value).__name__}")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms only. Latte's CPU kernels are deterministic already,
    so the flags are recorded for :func:`are_deterministic_algorithms_enabled`.

    Example::

        >>> latte.use_deterministic_algorithms(True)
        >>> latte.are_deterministic_algorithms_enabled()
        True
        >>> latte.use_deterministic_algorithms(False)
    """
    _check_bool(mode, "use_deterministic_algorithms", "mode")
    _check_bool(warn_only, "use_deterministic_algorithms", "warn_only")
    _flags["deterministic"], _flags["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was turned on.

    Example::

        >>> latte.are_deterministic_algorithms_enabled()
        False
    """
    return _flags["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was called with ``warn_only=True``.

    Example::

        >>> latte.is_deterministic_algorithms_warn_only_enabled()
        False
    """
    return _flags["warn_only"]


def set_float32_matmul_precision(precision: str) -> None:
    """Record the float32 matmul precision (``'highest'``, ``'high'`` or ``'medium'``); Latte
    always multiplies float32 in float32, which is ``'highest'``. Another value warns and is
    ignored, as in PyTorch.

    Example::

        >>> latte.set_float32_matmul_precision("high")
        >>> latte.get_float32_matmul_precision()
        'high'
        >>> latte.set_float32_matmul_precision("highest")
    """
    if precision not in ("highest", "high", "medium"):
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "set_float32_matmul_precision call has no effect.", UserWarning,
                      stacklevel=2)
        return
    _flags["matmul"] = precision


def get_float32_matmul_precision() -> str:
    """The value last given to :func:`set_float32_matmul_precision` (``'highest'`` at start).

    Example::

        >>> latte.get_float32_matmul_precision()
        'highest'
    """
    return _flags["matmul"]


def set_warn_always(b: bool, /) -> None:
    """Record whether warnings that PyTorch gives once per process should repeat every time.

    Example::

        >>> latte.set_warn_always(False)
        >>> latte.is_warn_always_enabled()
        False
    """
    _check_bool(b, "set_warn_always", "b")
    _flags["warn_always"] = b


def is_warn_always_enabled() -> bool:
    """Whether :func:`set_warn_always` turned repeated warnings on.

    Example::

        >>> latte.is_warn_always_enabled()
        False
    """
    return _flags["warn_always"]


def set_flush_denormal(mode: bool) -> bool:
    """Ask the CPU to flush denormal floats to zero; returns whether that is supported.

    NumPy gives no control of the CPU's denormal flags, so Latte returns ``False`` (PyTorch's
    answer on a CPU without the feature) and numbers stay as IEEE computes them.

    Example::

        >>> latte.set_flush_denormal(True)
        False
    """
    _check_bool(mode, "set_flush_denormal", "mode")
    return False
