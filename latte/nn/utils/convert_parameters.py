"""Flatten parameters into one vector and back (for line searches, second-order methods)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from latte.autograd.grad_mode import no_grad
from latte.backend import run_on
from latte.functional import cat
from latte.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the flattened parameters into one 1-D tensor (differentiable).

    Example::

        >>> vec = nn.utils.parameters_to_vector(model.parameters())  # doctest: +SKIP
    """
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' memory."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected Tensor, but got: {type(vec).__name__}")
    if vec.dim() != 1:
        raise RuntimeError(f"vec must be 1-D, got shape {tuple(vec.shape)}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if total != vec.numel():
        raise RuntimeError(f"vector_to_parameters: vec has {vec.numel()} elements but the "
                           f"parameters hold {total}")
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            run_on(p._data, _copy_into, p._data, vec._data, offset)  # on p's GPU
            p._vc[0] += 1
            offset += n


def _copy_into(target: Any, flat: Any, offset: int) -> None:
    target[...] = flat[offset:offset + target.size].reshape(target.shape)
