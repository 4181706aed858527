"""Embedding lookup, one-hot, padding, and vector similarities."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from latte.autograd.grad_mode import no_grad
from latte.backend import cpu, get_array_module, to_device
from latte.functional import pad_constant
from latte.nn.functional._device import on_input_device
from latte.ops.embedding import Embedding
from latte.tensor import Tensor

__all__ = ["embedding", "one_hot", "pad", "cosine_similarity", "normalize",
           "pairwise_distance"]


@on_input_device
def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of ``weight (V, D)`` at integer ``input (*)``, giving ``(*, D)``.

    The ``padding_idx`` row receives no gradient. With ``max_norm``, looked-up rows whose norm
    exceeds it are rescaled in place first (as PyTorch).
    """
    if input._data.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected indices of an integer dtype, got {input.dtype}")
    if weight.dim() != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                           f"shape {tuple(weight.shape)}")
    idx = input._data
    v = weight.shape[0]
    on_host = type(idx) is np.ndarray
    # on a GPU the check would copy to the host every step (PyTorch asserts on the device)
    if on_host and idx.size and (idx.min() < -v or idx.max() >= v):
        raise IndexError(f"embedding: index {int(idx.max() if idx.max() >= v else idx.min())} "
                         f"is out of range for {v} embeddings")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += v
    if max_norm is not None:
        _renorm_rows(weight, np.unique(idx) if on_host else idx.ravel(), max_norm, norm_type)
    return Embedding.apply(weight, idx, padding_idx)


def _renorm_rows(weight: Tensor, rows: Any, max_norm: float, norm_type: float) -> None:
    with no_grad():
        w = weight._data
        norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
        if type(w) is np.ndarray:
            over = norms > max_norm
            w[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(w.dtype)
        else:  # no data-dependent selection on a GPU: repeated rows write the same value
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            w[rows] = w[rows] * scale[:, None].astype(w.dtype)
        weight._vc[0] += 1


@on_input_device
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(*)`` class indices -> ``(*, num_classes)`` int64 one-hot (``-1``: max + 1)."""
    idx = tensor._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of an integer dtype.")
    on_host = type(idx) is np.ndarray
    if num_classes == -1:
        # the output size depends on the data: one explicit copy of the maximum from a GPU
        top = idx.max() if on_host or not idx.size else to_device(idx.max(), cpu)
        num_classes = int(top) + 1 if idx.size else 0
    if on_host and idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise RuntimeError(f"Class values must be in [0, {num_classes}) for one_hot, got "
                           f"[{int(idx.min())}, {int(idx.max())}]")
    xp = get_array_module(idx)
    return Tensor((idx[..., None] == xp.arange(num_classes)).astype(np.int64))


def _pad_index(xp: Any, n: int, left: int, right: int, mode: str) -> Any:
    """Source positions along one dim for ``reflect``, ``replicate`` or ``circular`` padding,
    built by ``xp`` (NumPy or the GPU's module) where the input lives."""
    if mode == "reflect":
        if left >= n or right >= n:
            raise RuntimeError(f"pad: padding ({left}, {right}) should be smaller than the "
                               f"dimension size {n} for reflect mode")
        return xp.concatenate([xp.arange(left, 0, -1), xp.arange(n),
                               xp.arange(n - 2, n - 2 - right, -1)])
    if mode == "replicate":
        return xp.clip(xp.arange(-left, n + right), 0, n - 1)
    if left > n or right > n:
        raise RuntimeError(f"pad: padding ({left}, {right}) should be at most the dimension "
                           f"size {n} for circular mode")
    return xp.arange(-left, n + right) % n


@on_input_device
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left, right, top, bottom, ...)`` starts
    with the last dim, as PyTorch. Modes: ``constant`` (``value``), ``reflect``,
    ``replicate``, ``circular`` (these three for the last 1 to 3 dims).

    Example::

        >>> F.pad(latte.ones(1, 2, 2), (1, 1), mode="reflect").shape
        latte.Size([1, 2, 4])
    """
    if len(pad) % 2:
        raise ValueError(f"Padding length must be divisible by 2, got {len(pad)}")
    if len(pad) // 2 > input.dim():
        raise ValueError(f"Padding length {len(pad)} too large for input of shape "
                         f"{tuple(input.shape)}")
    if mode == "constant":
        return pad_constant(input, pad, 0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: unknown mode {mode!r} (constant, reflect, replicate, "
                                  f"circular)")
    if value not in (None, 0):
        raise ValueError(f"Padding mode {mode!r} doesn't take in value argument")
    k = len(pad) // 2
    if k > 3:
        raise NotImplementedError(f"pad: {mode} padding supports the last 1 to 3 dims, got "
                                  f"{k}")
    if any(p < 0 for p in pad):
        raise NotImplementedError(f"pad: negative padding is only supported in constant mode, "
                                  f"got {tuple(pad)}")
    out = input
    for i in range(k):
        dim = input.dim() - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left or right:
            index = _pad_index(input._xp(), input.shape[dim], left, right, mode)
            out = out.index_select(dim, Tensor(index.astype(np.int64)))
    return out


def _norm(x: Tensor, dim: int, keepdim: bool = True) -> Tensor:
    # the norm's own gradient is 0 at a zero vector (PyTorch's), where sqrt's chain rule
    # gives 0 * inf = NaN through the clamp that follows
    return x.norm(2.0, dim, keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``dim`` (broadcasting)."""
    n1 = _norm(x1, dim).clamp(min=eps)
    n2 = _norm(x2, dim).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``."""
    if p == 2.0:
        norm = _norm(input, dim)
    else:
        norm = input.abs().pow(p).sum(dim, keepdim=True).pow(1.0 / p)
    return input / norm.clamp(min=eps)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim."""
    d = (x1 - x2 + eps).abs()
    if p == 2.0:
        return (d * d).sum(-1, keepdim=keepdim).sqrt()
    return d.pow(p).sum(-1, keepdim=keepdim).pow(1.0 / p)
