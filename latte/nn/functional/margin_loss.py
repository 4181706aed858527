"""Margin losses: ``triplet_margin_loss``, ``triplet_margin_with_distance_loss``,
``multilabel_soft_margin_loss``, ``multilabel_margin_loss``, ``multi_margin_loss``,
``hinge_embedding_loss``."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from latte._out_argument import _TORCH_NAMES
from latte.autograd.function import named_node
from latte.nn.functional._device import on_input_device
from latte.nn.functional.activation import logsigmoid
from latte.nn.functional.conv import _sizes
from latte.nn.functional.loss import _check_reduction, _legacy_reduction, _reduce
from latte.nn.functional.misc import pairwise_distance
from latte.tensor import Tensor

__all__ = ["triplet_margin_loss", "triplet_margin_with_distance_loss",
           "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss",
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


def _triplet_node(*args: object, reduction: str = "mean", **kwargs: object) -> str | None:
    # unreduced, PyTorch's loss ends in its clamp_min; reduced, in the mean or sum
    return "ClampMinBackward0" if reduction == "none" else None


@named_node(_triplet_node)
def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable | None = None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """``max(d(a, p) - d(a, n) + margin, 0)`` for any distance ``d`` (default: pairwise
    Euclidean distance); ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance.

    Args:
        anchor, positive, negative: embeddings of the same rank, usually ``(N, D)``.
        distance_function: ``d(x, y)`` -> one distance per pair; ``pairwise_distance`` if None.
        margin: the gap wanted between the two distances, greater than 0.
        swap: also try the positive as anchor for the negative distance.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Shape:
        Input: ``(N, D)`` each; output: ``()``, or ``(N,)`` with ``reduction='none'``.

    Example::

        >>> a, p, n = latte.randn(8, 4), latte.randn(8, 4), latte.randn(8, 4)
        >>> cosine = lambda x, y: 1.0 - F.cosine_similarity(x, y)
        >>> F.triplet_margin_with_distance_loss(a, p, n, distance_function=cosine).shape
        latte.Size([])
    """
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {anchor.ndim}D, "
                           f"positive {positive.ndim}D, and negative {negative.ndim}D inputs")
    distance = pairwise_distance if distance_function is None else distance_function
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = d_neg.minimum(distance(positive, negative))
    return _reduce((d_pos + margin - d_neg).clamp(min=0.0), reduction)


def _check_multilabel(input: Tensor, target: Tensor) -> int:
    """PyTorch's checks of ``multilabel_margin_loss``'s shapes, dtype and target range; the
    class count C."""
    classes = input.shape[-1] if input.ndim else 1
    if input.ndim > 2 or (input.ndim and classes == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {_sizes(input.shape)}")
    if target._data.dtype != np.int64:
        name = _TORCH_NAMES.get(target._data.dtype.name, target._data.dtype.name)
        raise RuntimeError(f"expected scalar type Long but found {name}")
    fits = target.ndim <= 1 and target.numel() == classes if input.ndim <= 1 else \
        tuple(target.shape) == tuple(input.shape)
    if not fits:
        raise RuntimeError(f"inconsistent target size: {_sizes(target.shape)} for input of "
                           f"size: {_sizes(input.shape)}")
    # the range is checked on the CPU only: on a GPU it would read back to the host every call
    on_cpu = type(target._data) is np.ndarray
    if on_cpu and target.numel() and (int(target._data.min()) < -1 or
                                      int(target._data.max()) >= classes):
        raise RuntimeError("argument #2 'target' is out of range")
    return classes


@named_node("MultilabelMarginLossBackward0")
@on_input_device
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: ``sum_{j, i} max(0, 1 - (x[y_j] - x[i])) / C`` over the target
    classes ``y_j`` and the classes ``i`` that are not targets.

    A row of ``target`` lists class indices and ends at its first ``-1`` (the rest is
    ignored); a class listed twice counts twice, as in PyTorch.

    Args:
        input: scores ``(N, C)`` or ``(C,)``.
        target: int64 class indices of the same shape, padded with ``-1``.
        reduction: ``'mean'`` (over N), ``'sum'`` or ``'none'``.

    Shape:
        Input: ``(N, C)``; output: ``()``, or ``(N,)`` with ``reduction='none'``;
            ``(C,)`` -> ``()``.

    Example::

        >>> x = latte.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> F.multilabel_margin_loss(x, latte.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    classes = _check_multilabel(input, target)
    x = input.reshape(-1, classes)
    y = target._data.reshape(x.shape[0], classes)
    xp = input._xp()
    listed = xp.cumprod(y >= 0, axis=1).astype(bool)  # slots before the first -1
    is_target = (listed[:, :, None] & (y[:, :, None] == xp.arange(classes))).any(1)
    pairs = Tensor(listed[:, :, None] & ~is_target[:, None, :])  # (N, target slot j, class i)
    x_y = x.gather(1, Tensor(xp.maximum(y, 0)))
    # relu, not clamp: a pair exactly at the margin gets no gradient, as PyTorch's kernel
    hinge = (x.unsqueeze(1) - x_y.unsqueeze(2) + 1.0).relu().where(pairs, 0.0)
    loss = hinge.sum((1, 2)) / classes
    if input.ndim <= 1:
        loss = loss.squeeze(0)
    if reduction == "mean" and x.shape[0] == 0:
        return loss.sum()  # PyTorch's mean over no rows is 0
    return _reduce(loss, reduction)
