"""Window functions for spectral analysis: ``hann_window``, ``hamming_window``,
``blackman_window``, ``bartlett_window``, ``kaiser_window``, PyTorch's formulas.

A *periodic* window (the default) is the symmetric window of ``N + 1`` points without its last
one, so that it tiles: the form ``torch.stft`` expects. Values are computed in float64 and
rounded once to the requested dtype.
"""
from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from latte import dtypes
from latte.autograd import function
from latte.creation import _placed

if TYPE_CHECKING:
    from latte.tensor import Tensor

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
           "kaiser_window"]


def _window(name: str, window_length: int, periodic: builtins.bool,
            formula: Callable[[np.ndarray, int], np.ndarray], dtype: Any, device: Any,
            requires_grad: builtins.bool) -> Tensor:
    """``formula(n, N)`` over ``n = 0 .. N-1`` for the symmetric window of ``N`` points."""
    d = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {d!r}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    if window_length <= 1:
        values = np.ones(window_length)
    else:
        n = window_length + 1 if periodic else window_length
        values = formula(np.arange(n, dtype=np.float64), n)[:window_length]
    out = _placed(function.Tensor(values.astype(d.np)), device)
    return out.requires_grad_(True) if requires_grad else out


def _cosine_sum(*coefficients: float) -> Callable[[np.ndarray, int], np.ndarray]:
    """``sum_k (-1)^k a_k cos(2 pi k n / (N - 1))``: the Hann, Hamming and Blackman family."""
    def formula(n: np.ndarray, length: int) -> np.ndarray:
        phase = 2.0 * np.pi * n / (length - 1)
        return builtins.sum((-1) ** k * a * np.cos(k * phase) for k, a in enumerate(coefficients))
    return formula


def hann_window(window_length: int, periodic: builtins.bool = True, *, dtype: Any = None,
                layout: Any = None, device: Any = None, requires_grad: builtins.bool = False
                ) -> Tensor:
    """The Hann window: ``w[n] = 0.5 - 0.5 cos(2 pi n / (N - 1))``, ``N = window_length``
    (``window_length + 1`` when ``periodic``).

    Args:
        window_length (int): the number of points.
        periodic (bool): the periodic window (drop the last point of ``N + 1``) if True, else
            the symmetric one.
        dtype: a floating dtype (default: the default dtype).

    Example::

        >>> latte.hann_window(4)
        tensor([0.0000, 0.5000, 1.0000, 0.5000])
    """
    return _window("hann_window", window_length, periodic, _cosine_sum(0.5, 0.5), dtype,
                   device, requires_grad)


def hamming_window(window_length: int, periodic: builtins.bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: Any = None, layout: Any = None,
                   device: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """The Hamming window: ``w[n] = alpha - beta cos(2 pi n / (N - 1))``.

    Args:
        window_length (int): the number of points.
        periodic (bool): the periodic window if True, else the symmetric one.
        alpha, beta (float): the coefficients (0.54 and 0.46 by default).
        dtype: a floating dtype (default: the default dtype).

    Example::

        >>> latte.hamming_window(4, periodic=False)
        tensor([0.0800, 0.7700, 0.7700, 0.0800])
    """
    return _window("hamming_window", window_length, periodic, _cosine_sum(alpha, beta), dtype,
                   device, requires_grad)


def blackman_window(window_length: int, periodic: builtins.bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None,
                    requires_grad: builtins.bool = False) -> Tensor:
    """The Blackman window:
    ``w[n] = 0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``.

    Args:
        window_length (int): the number of points.
        periodic (bool): the periodic window if True, else the symmetric one.
        dtype: a floating dtype (default: the default dtype).

    Example::

        >>> latte.blackman_window(5, periodic=False)[1:4]  # the ends are 0 up to rounding
        tensor([0.3400, 1.0000, 0.3400])
    """
    return _window("blackman_window", window_length, periodic, _cosine_sum(0.42, 0.5, 0.08),
                   dtype, device, requires_grad)


def _bartlett(n: np.ndarray, length: int) -> np.ndarray:
    return 1.0 - np.abs(2.0 * n / (length - 1) - 1.0)


def bartlett_window(window_length: int, periodic: builtins.bool = True, *, dtype: Any = None,
                    layout: Any = None, device: Any = None,
                    requires_grad: builtins.bool = False) -> Tensor:
    """The Bartlett (triangular) window: ``w[n] = 1 - |2 n / (N - 1) - 1|``.

    Args:
        window_length (int): the number of points.
        periodic (bool): the periodic window if True, else the symmetric one.
        dtype: a floating dtype (default: the default dtype).

    Example::

        >>> latte.bartlett_window(5, periodic=False)
        tensor([0.0000, 0.5000, 1.0000, 0.5000, 0.0000])
    """
    return _window("bartlett_window", window_length, periodic, _bartlett, dtype, device,
                   requires_grad)


def kaiser_window(window_length: int, periodic: builtins.bool = True, beta: float = 12.0, *,
                  dtype: Any = None, layout: Any = None, device: Any = None,
                  requires_grad: builtins.bool = False) -> Tensor:
    """The Kaiser window:
    ``w[n] = I0(beta sqrt(1 - ((n - (N - 1) / 2) / ((N - 1) / 2)) ** 2)) / I0(beta)``, with
    ``I0`` the modified Bessel function of order 0.

    Args:
        window_length (int): the number of points.
        periodic (bool): the periodic window if True, else the symmetric one.
        beta (float): the shape parameter (larger: lower side lobes, a wider main lobe).
        dtype: a floating dtype (default: the default dtype).

    Example::

        >>> latte.kaiser_window(3, periodic=False, beta=0.0)
        tensor([1., 1., 1.])
    """
    def formula(n: np.ndarray, length: int) -> np.ndarray:
        half = (length - 1) / 2.0
        return np.i0(beta * np.sqrt(np.clip(1.0 - ((n - half) / half) ** 2, 0.0, None))) / \
            np.i0(beta)
    return _window("kaiser_window", window_length, periodic, formula, dtype, device,
                   requires_grad)
