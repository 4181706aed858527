"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import latte
from latte.tensor import Tensor

__all__ = ["broadcast_all", "probs_to_logits", "logits_to_probs", "clamp_probs", "draw", "lbeta",
           "clamp_by_zero", "mvdigamma"]


def broadcast_all(*values: Any) -> tuple[Tensor, ...]:
    """Tensors of one broadcast shape from tensors and numbers (numbers take the dtype and
    device of the first tensor, or the default dtype)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number or Tensor.")
    first = next((v for v in values if isinstance(v, Tensor)), None)
    if first is None:
        return tuple(latte.tensor(float(v), dtype=latte.get_default_dtype()) for v in values)
    tensors = [v if isinstance(v, Tensor) else latte.tensor(v, dtype=first.dtype,
                                                            device=first.device)
               for v in values]
    return tuple(latte.broadcast_tensors(*tensors))


def draw(method: str, like: Tensor, *params: Any, shape: Any = None) -> Tensor:
    """Draws of NumPy's ``Generator.<method>(*params)`` (raw arrays, or numbers) in the dtype
    and on the device of ``like``: latte's seeded generator on the CPU, the GPU's own
    generator on a GPU (draws never cross to the host)."""
    from latte import backend, random
    data = like._data
    if type(data) is np.ndarray:
        gen = random.default_generator._rng
    else:
        gen = backend.cuda_backend().generator(backend.device_of(data).index)
    size = None if shape is None else tuple(shape)
    return Tensor(getattr(gen, method)(*params, size=size).astype(data.dtype))


def _eps(t: Tensor) -> float:
    return float(np.finfo(t._data.dtype).eps)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities clamped to ``[eps, 1 - eps]`` (their dtype's eps), so logs stay finite."""
    eps = _eps(probs)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """``log p`` (categorical) or ``log p - log(1 - p)`` (binary), from clamped ``p``."""
    p = clamp_probs(probs)
    return p.log() - (-p).log1p() if is_binary else p.log()


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """``sigmoid`` (binary) or ``softmax`` over the last dim."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    return value.reshape(tuple(value.shape[:value.dim() - dim]) + (-1,)).sum(-1) if dim else value


def lbeta(a: Tensor, b: Tensor) -> Tensor:
    """``log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b)``."""
    return latte.lgamma(a) + latte.lgamma(b) - latte.lgamma(a + b)


def clamp_by_zero(x: Tensor) -> Tensor:
    """``max(x, 0)`` with gradient 1/2 at 0 (as PyTorch's ``_clamp_by_zero``)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def mvdigamma(a: Tensor, p: int) -> Tensor:
    r"""The multivariate digamma :math:`\sum_{j<p}\psi(a - j/2)`."""
    total = latte.digamma(a)
    for j in range(1, p):
        total = total + latte.digamma(a - j / 2)
    return total
