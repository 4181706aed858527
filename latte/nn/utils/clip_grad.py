"""Gradient clipping: ``clip_grad_norm_`` (``get_total_norm`` then ``clip_grads_with_norm_``)
and ``clip_grad_value_``, in place on ``.grad``."""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from latte import backend
from latte.backend import cpu, get_array_module, run_on, to_device
from latte.tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grad_norm", "get_total_norm",
           "clip_grads_with_norm_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: bool | None = None) -> Tensor:
    """Scale all gradients together so their joint ``norm_type`` norm is at most ``max_norm``:
    ``get_total_norm`` of the gradients, then ``clip_grads_with_norm_``.

    Returns the total norm before clipping (a 0-d tensor). ``norm_type`` may be ``inf``.

    Example::

        >>> loss.backward()  # doctest: +SKIP
        >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # doctest: +SKIP
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = get_total_norm(_grads(parameters), norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """The ``norm_type`` norm of all ``tensors`` together, as if concatenated into one vector
    (a 0-d tensor on their device, in their dtype; ``inf`` is the largest magnitude).

    Example::

        >>> nn.utils.get_total_norm([latte.tensor([3.0]), latte.tensor([4.0])])
        tensor(5.)
    """
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(np.array(0.0, dtype=np.float32))
    # under the tensors' GPU: CuPy runs kernels on the current GPU only
    return run_on(tensors[0]._data, _total_norm, tensors, norm_type, error_if_nonfinite)


def _total_norm(tensors: list, norm_type: float, error_if_nonfinite: bool) -> Tensor:
    xp = get_array_module(tensors[0]._data)
    # the norm stays a 0-d array where the tensors live: no copy to the host (as PyTorch)
    if math.isinf(norm_type):
        norms = [xp.abs(t._data).max() for t in tensors if t._data.size]
        total = xp.stack(norms).max().astype(xp.float64) if norms else xp.float64(0.0)
    else:
        total = sum((xp.abs(t._data.astype(xp.float64)) ** norm_type).sum()
                    for t in tensors) ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(to_device(xp.asarray(total), cpu)):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite, so it cannot be clipped. To disable "
                           f"this error and scale the gradients by the non-finite norm anyway, "
                           f"set `error_if_nonfinite=False`")
    return Tensor(xp.asarray(total, dtype=tensors[0]._data.dtype))


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                          total_norm: Tensor, foreach: bool | None = None) -> None:
    """Multiply every gradient by ``max_norm / (total_norm + 1e-6)``, clamped at 1 (small
    gradients are left alone, as PyTorch), in place; ``total_norm`` is usually
    ``get_total_norm`` of the gradients."""
    grads = _grads(parameters)
    if grads:
        # under the gradients' GPU: CuPy runs kernels on the current GPU only
        run_on(grads[0]._data, _scale, grads, max_norm, total_norm)


def _scale(grads: list, max_norm: float, total_norm: Tensor) -> None:
    xp = get_array_module(grads[0]._data)
    total = to_device(total_norm._data, backend.device_of(grads[0]._data)).astype(xp.float64)
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    if xp is not np or coef < 1.0:  # a GPU multiplies by 1 rather than ask the host
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._vc[0] += 1


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
