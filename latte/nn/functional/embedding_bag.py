"""``embedding_bag``: sums, means or maxima of bags of embeddings, without building the
per-bag embeddings one by one."""
from __future__ import annotations

import numpy as np

from latte.nn.functional._device import on_input_device
from latte.nn.functional.misc import embedding
from latte.tensor import Tensor

__all__ = ["embedding_bag"]


def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple:
    """``(bag_of_each_index (T,), number_of_bags)`` for a 1-D ``input`` and its offsets."""
    if offsets is None:
        raise ValueError("embedding_bag: offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor, got shape "
                         f"{tuple(offsets.shape)}")
    off = offsets._data
    if type(off) is np.ndarray and off.size and off[0] != 0:  # on a GPU: no host check
        raise ValueError(f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence in "
                         f"the mini-batch has to start from position 0. However, got "
                         f"{int(off[0])}")
    xp = input._xp()
    if include_last_offset:
        off = off[:-1]
    bag = xp.searchsorted(off, xp.arange(input.shape[0]), side="right") - 1
    return bag, off.shape[0]


@on_input_device
def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Reduce bags of rows of ``weight (V, D)`` to ``(B, D)`` by ``mode`` (``sum``, ``mean``,
    ``max``). Bags are the rows of a 2-D ``input (B, L)``, or the slices of a 1-D ``input``
    starting at ``offsets (B,)`` (``B + 1`` with ``include_last_offset``).
    ``per_sample_weights`` (``input``'s shape) scales each row (``sum`` only); ``padding_idx``
    entries are left out of their bag; empty bags give zeros.

    Example::

        >>> w = latte.randn(10, 3)
        >>> F.embedding_bag(latte.tensor([1, 2, 4, 5, 4]), w, latte.tensor([0, 2])).shape
        latte.Size([2, 3])
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode has to be one of sum, mean or max, got {mode!r}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                      f"per_sample_weights is only supported for mode='sum' "
                                      f"(got mode='{mode}')")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: per_sample_weights of shape "
                             f"{tuple(per_sample_weights.shape)} does not match input of shape "
                             f"{tuple(input.shape)}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as "
                             "input is treated is a mini-batch of fixed length sequences")
    elif input.dim() != 1:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D Tensor, got shape "
                         f"{tuple(input.shape)}")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    rows = embedding(input, weight, None, max_norm, norm_type, scale_grad_by_freq, sparse)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(-1)
    keep = None if padding_idx is None else (input != padding_idx)
    if input.dim() == 2:  # fixed-length bags: reduce the middle dim directly
        return _reduce_fixed(rows, keep, mode)
    bag, n_bags = _bags(input, offsets, include_last_offset)
    xp = input._xp()
    member = bag[None, :] == xp.arange(n_bags)[:, None]  # (B, T): index t is in bag b
    if keep is not None:
        member = member & keep._data[None, :]
    m = Tensor(member)
    if mode == "max":
        scores = rows.unsqueeze(0).masked_fill(m.logical_not().unsqueeze(-1), float("-inf"))
        out = scores.amax(1)
        return out.masked_fill(m.any(1, keepdim=True).logical_not(), 0.0)
    out = Tensor(member.astype(rows._data.dtype)) @ rows
    if mode == "mean":
        out = out / Tensor(member.sum(1, keepdims=True).clip(1, None).astype(rows._data.dtype))
    return out


def _reduce_fixed(rows: Tensor, keep: Tensor | None, mode: str) -> Tensor:
    """Bags of equal length: ``rows (B, L, D)`` reduced over L."""
    if mode == "max":
        if keep is None:
            return rows.amax(1)
        dead = keep.logical_not().unsqueeze(-1)
        out = rows.masked_fill(dead, float("-inf")).amax(1)
        return out.masked_fill(keep.any(1, keepdim=True).logical_not(), 0.0)
    if keep is not None:
        rows = rows * keep.unsqueeze(-1).to(rows.dtype)
    out = rows.sum(1)
    if mode == "mean":
        count = rows.shape[1] if keep is None else keep.sum(1, keepdim=True).clamp(min=1)
        out = out / (count if keep is None else count.to(rows.dtype))
    return out
