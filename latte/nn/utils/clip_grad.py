"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``, in place on ``.grad``."""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from latte.backend import cpu, get_array_module, run_on, to_device
from latte.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so their joint ``norm_type`` norm is at most ``max_norm``.

    Returns the total norm before clipping (a 0-d tensor). ``norm_type`` may be ``inf``.

    Example::

        >>> loss.backward()  # doctest: +SKIP
        >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # doctest: +SKIP
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    # under the gradients' GPU: CuPy runs kernels on the current GPU only
    return run_on(grads[0]._data, _clip_norm, grads, max_norm, norm_type, error_if_nonfinite)


def _clip_norm(grads: list, max_norm: float, norm_type: float,
               error_if_nonfinite: bool) -> Tensor:
    dtype = grads[0]._data.dtype
    xp = get_array_module(grads[0]._data)
    # the norm stays a 0-d array where the gradients live: no copy to the host (as PyTorch)
    if math.isinf(norm_type):
        norms = [xp.abs(g._data).max() for g in grads if g._data.size]
        total = xp.stack(norms).max().astype(xp.float64) if norms else xp.float64(0.0)
    else:
        total = sum((xp.abs(g._data.astype(xp.float64)) ** norm_type).sum()
                    for g in grads) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(to_device(xp.asarray(total), cpu)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite, so it cannot be clipped. To disable "
                           f"this error and scale the gradients by the non-finite norm anyway, "
                           f"set `error_if_nonfinite=False`")
    # PyTorch clamps the coefficient at 1: small gradients are left alone
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    if xp is not np or coef < 1.0:  # a GPU multiplies by 1 rather than ask the host
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._vc[0] += 1
    return Tensor(xp.asarray(total, dtype=dtype))


def clip_grad_norm(parameters: Tensor | Iterable[Tensor], max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Deprecated alias of :func:`clip_grad_norm_`."""
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: bool | None = None) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        run_on(g._data, np.clip, g._data, -clip_value, clip_value, out=g._data)
        g._vc[0] += 1
