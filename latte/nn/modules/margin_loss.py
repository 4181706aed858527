"""Margin loss layers: ``TripletMarginLoss``, ``TripletMarginWithDistanceLoss``,
``MultiLabelSoftMarginLoss``, ``MultiLabelMarginLoss``, ``MultiMarginLoss``,
``HingeEmbeddingLoss`` (wrappers over ``latte.nn.functional.margin_loss``)."""
from __future__ import annotations

from collections.abc import Callable

from latte.nn.functional import margin_loss as F
from latte.nn.modules.distance import PairwiseDistance
from latte.nn.modules.loss import _Loss, _WeightedLoss
from latte.tensor import Tensor

__all__ = ["TripletMarginLoss", "TripletMarginWithDistanceLoss", "MultiLabelSoftMarginLoss",
           "MultiLabelMarginLoss", "MultiMarginLoss", "HingeEmbeddingLoss"]


class TripletMarginLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)``; see
    :func:`latte.nn.functional.triplet_margin_loss`."""

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class logistic loss averaged over classes; ``weight`` (C,) is a buffer."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss; see :func:`latte.nn.functional.multi_margin_loss`."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got "
                             f"{weight.dim()}D instead")
        self.p, self.margin = p, margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` where the target is 1, ``max(0, margin - x)`` where it is -1."""

    def __init__(self, margin: float = 1.0, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """``max(d(a, p) - d(a, n) + margin, 0)`` for any distance ``d``; see
    :func:`latte.nn.functional.triplet_margin_with_distance_loss`.

    Args:
        distance_function: ``d(x, y)``, a function or a layer; a ``PairwiseDistance()``
            submodule if None.
        margin: the gap wanted between the two distances, greater than 0.
        swap: also try the positive as anchor for the negative distance.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.

    Shape:
        Input: ``(N, D)`` for anchor, positive, negative; output: ``()``, or ``(N,)``
            with ``'none'``.

    Example::

        >>> loss_fn = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance())
        >>> loss_fn(latte.randn(8, 4), latte.randn(8, 4), latte.randn(8, 4)).shape
        latte.Size([])
    """

    def __init__(self, *, distance_function: Callable | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater "
                             f"than 0, got {margin} instead")
        self.distance_function = distance_function if distance_function is not None \
            else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss of scores ``(N, C)`` against class indices padded with -1; see
    :func:`latte.nn.functional.multilabel_margin_loss`.

    Args:
        reduction: ``'mean'`` (over N), ``'sum'`` or ``'none'``.

    Shape:
        Input: ``(N, C)`` or ``(C,)``, target the same (int64); output: ``()``, or ``(N,)``
            with ``'none'``.

    Example::

        >>> loss_fn = nn.MultiLabelMarginLoss()
        >>> loss_fn(latte.tensor([[0.1, 0.2, 0.4, 0.8]]), latte.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)
