"""Anomaly detection: ``detect_anomaly`` makes backward fail at the first node whose gradient
holds a NaN, naming that node, instead of letting the NaN spread to every parameter.

The switch is process-wide, as PyTorch's. PyTorch also records each node's forward stack trace;
Latte names the node only (its forward is found from the node's name, e.g. ``LogBackward0``).
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

_mode = {"enabled": False, "check_nan": True}


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``)."""
    return _mode["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode also checks every gradient for NaN (``check_nan``)."""
    return _mode["check_nan"]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on or off for the whole process."""
    _mode["enabled"], _mode["check_nan"] = bool(enabled), bool(check_nan)


class _AnomalyContext:
    def __init__(self, mode: bool, check_nan: bool) -> None:
        self._previous = (_mode["enabled"], _mode["check_nan"])
        self._mode = (mode, check_nan)

    def __enter__(self) -> None:
        set_anomaly_enabled(*self._mode)

    def __exit__(self, *exc: Any) -> None:
        set_anomaly_enabled(*self._previous)


class detect_anomaly(_AnomalyContext):
    """Context manager (and decorator) under which a backward node returning NaN raises
    ``RuntimeError: Function 'XBackward0' returned nan values in its 0th output.``

    Example::

        >>> x = latte.tensor([0.0], requires_grad=True)
        >>> with latte.autograd.detect_anomaly():  # doctest: +SKIP
        ...     (x.sqrt() * 0).sum().backward()
        RuntimeError: Function 'SqrtBackward0' returned nan values in its 0th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", UserWarning, stacklevel=2)
        super().__init__(True, check_nan)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _AnomalyContext(*self._mode):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly(_AnomalyContext):
    """Set anomaly detection to ``mode`` at once; as a context manager the previous setting
    comes back on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        super().__init__(mode, check_nan)
        set_anomaly_enabled(mode, check_nan)


def check_node_gradients(node: Any, results: tuple) -> None:
    """Raise PyTorch's error when anomaly mode is on and a gradient ``node`` returned is NaN.

    Reading ``isnan(...).any()`` copies one flag per gradient to the host: the price of the
    debugging mode (PyTorch synchronises too)."""
    for i, g in enumerate(results):
        if g is None or g._data.dtype.kind not in "fc":
            continue
        if bool(g._xp().isnan(g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               f"output.")
