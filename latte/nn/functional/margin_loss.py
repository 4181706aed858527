"""Margin losses: ``triplet_margin_loss``, ``multilabel_soft_margin_loss``,
``multi_margin_loss``, ``hinge_embedding_loss``."""
from __future__ import annotations

from latte.nn.functional.activation import logsigmoid
from latte.nn.functional.loss import _legacy_reduction, _reduce
from latte.nn.functional.misc import pairwise_distance
from latte.tensor import Tensor

__all__ = ["triplet_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "hinge_embedding_loss"]


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` with ``d`` the pairwise p-distance of ``(N, D)``
    (or ``(D,)``) embeddings; ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative
    distance."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not (anchor.dim() == positive.dim() == negative.dim()) or anchor.dim() not in (1, 2):
        raise RuntimeError(f"triplet_margin_loss: expected anchor, positive and negative of the "
                           f"same 1D or 2D shape, got {tuple(anchor.shape)}, "
                           f"{tuple(positive.shape)} and {tuple(negative.shape)}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(positive, negative, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Per-class logistic loss of logits ``(N, C)`` against 0/1 targets ``(N, C)``, averaged
    over the classes: ``-mean_c(y log sigmoid(x) + (1 - y) log sigmoid(-x))``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"multilabel_soft_margin_loss: target of shape {tuple(target.shape)} "
                         f"does not match input of shape {tuple(input.shape)}")
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss.sum(-1) / input.shape[-1], reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of scores ``(N, C)`` (or ``(C,)``) and class indices ``(N,)``:
    ``sum_{i != y} w_y max(0, margin - x_y + x_i)^p / C``, ``p`` 1 or 2."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    batched = input.dim() == 2
    x = input if batched else input.unsqueeze(0)
    y = target.reshape(-1)
    if x.dim() != 2 or y.shape[0] != x.shape[0]:
        raise RuntimeError(f"multi_margin_loss: expected input (N, C) and target (N,), got "
                           f"input of shape {tuple(input.shape)} and target of shape "
                           f"{tuple(target.shape)}")
    idx = y.unsqueeze(1)
    x_y = x.gather(1, idx)
    terms = (x - x_y + margin).clamp(min=0.0)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        terms = terms * weight[y].unsqueeze(1)
    # the target class itself contributes nothing
    terms = terms.scatter(1, idx, 0.0)
    loss = terms.sum(1) / x.shape[1]
    return _reduce(loss if batched else loss.squeeze(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1 (elementwise, any
    shape)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    zero = input * 0.0
    margin_part = (margin - input).clamp(min=0.0).where(target != 1, zero)
    self_part = input.where(target != -1, zero)
    return _reduce(margin_part + self_part, reduction)
