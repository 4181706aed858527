"""Loss functions. Cross-entropy runs through the fused primitive in ``latte/ops/loss.py``; the
others are short compositions of Tensor ops.

Every loss takes ``reduction`` = ``'mean'`` (default), ``'sum'`` or ``'none'``.
"""
from __future__ import annotations

import warnings

import numpy as np

from latte.autograd.function import named_node
from latte.nn.functional._device import on_input_device
from latte.nn.functional.activation import log_softmax, softplus_of_negative
from latte.ops.loss import BinaryCrossEntropy, SoftmaxCrossEntropy, nonzero_denominator
from latte.tensor import Tensor

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "sigmoid_focal_loss", "soft_margin_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "poisson_nll_loss", "gaussian_nll_loss"]


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """PyTorch's deprecated ``size_average``/``reduce`` flags, mapped to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_same_shape(name: str, input: Tensor, target: Tensor) -> None:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"{name}: target of shape {tuple(target.shape)} must have the same "
                         f"shape as input of shape {tuple(input.shape)}")


def _as_tensor(value: object, like: Tensor) -> Tensor:
    if isinstance(value, Tensor):
        return value
    return Tensor(like._xp().asarray(value, dtype=like._data.dtype))  # on like's device


def _class_layout(name: str, input: Tensor, target: Tensor) -> tuple:
    """Flatten ``(N, C, d1, ...)`` logits to ``(M, C)`` rows and ``(N, d1, ...)`` targets to
    ``(M,)``; returns them and the shape of an unreduced loss."""
    if input.dim() == 0:
        raise ValueError(f"{name}: input must have at least 1 dimension (C) or 2 (N, C), got a "
                         f"0-d tensor")
    if input.dim() == 1:
        if target.dim() != 0:
            raise ValueError(f"{name}: for unbatched input of shape {tuple(input.shape)} "
                             f"expected a 0-d target, got shape {tuple(target.shape)}")
        return input.unsqueeze(0), target.reshape(1), ()
    n, c = input.shape[0], input.shape[1]
    expected = (n,) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise ValueError(f"{name}: expected target of shape {expected} for input of shape "
                         f"{tuple(input.shape)} (N, C, ...), got target of shape "
                         f"{tuple(target.shape)}")
    if input.dim() > 2:
        input = input.movedim(1, -1).reshape(-1, c)
        target = target.reshape(-1)
    return input, target, expected


@on_input_device
@named_node("NllLossBackward0")
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy between logits and class indices or class probabilities.

    Shapes: input ``(N, C)`` or ``(N, C, d1, ...)`` (or ``(C,)``); target ``(N)`` / ``(N, d1,
    ...)`` of class indices, or the input's shape of probabilities. ``weight (C,)`` rescales each
    class; ``ignore_index`` targets contribute nothing (index targets only); ``label_smoothing``
    mixes the target with the uniform distribution. The ``'mean'`` of index targets divides by the
    summed weights of the counted targets, as PyTorch.

    Example::

        >>> logits = latte.randn(4, 10, requires_grad=True)
        >>> F.cross_entropy(logits, latte.tensor([1, 0, 9, 3])).backward()
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if target.is_floating_point():
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing)
    if target._data.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: expected class indices of an integer dtype or "
                        f"probabilities of a float dtype, got target of dtype {target.dtype}")
    rows, flat_target, out_shape = _class_layout("cross_entropy", input, target)
    c = rows.shape[1]
    w = None
    if weight is not None:
        if tuple(weight.shape) != (c,):
            raise ValueError(f"cross_entropy: weight of shape {tuple(weight.shape)} does not "
                             f"match the {c} classes of input of shape {tuple(input.shape)}")
        w = weight._data.astype(rows._data.dtype, copy=False)
    loss = SoftmaxCrossEntropy.apply(rows, flat_target._data, w, ignore_index,
                                     float(label_smoothing), reduction)
    return loss.reshape(out_shape) if reduction == "none" else loss


def _cross_entropy_probs(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str,
                         label_smoothing: float) -> Tensor:
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"cross_entropy: probability target of shape {tuple(target.shape)} "
                         f"must have the input's shape {tuple(input.shape)}")
    class_dim = 0 if input.dim() == 1 else 1
    c = input.shape[class_dim]
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / c
    terms = log_softmax(input, class_dim) * target
    if weight is not None:
        terms = terms * weight.reshape(c, *([1] * (input.dim() - class_dim - 1)))
    # 'mean' divides by the number of samples (N * d1 * ...), not by the weights, as PyTorch
    return _reduce(-terms.sum(class_dim), reduction)


@on_input_device
@named_node("NllLossBackward0")
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``input (N, C, ...)`` at class indices
    ``target (N, ...)``: ``-w[t] * input[n, t]``; ``'mean'`` divides by the summed weights."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    rows, flat_target, out_shape = _class_layout("nll_loss", input, target)
    m, c = rows.shape
    t = flat_target._data
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    on_host = type(t) is np.ndarray
    if on_host and m and (safe.min() < 0 or safe.max() >= c):
        bad = safe[(safe < 0) | (safe >= c)][0]
        raise IndexError(f"nll_loss: target {int(bad)} is out of bounds for {c} classes")
    w_t = valid.astype(rows._data.dtype)
    if not on_host:
        # a check would copy to the host every step (PyTorch asserts on the device): targets
        # out of range are clipped and make the loss NaN instead
        w_t = np.where((safe < 0) | (safe >= c), np.nan, w_t)  # no boolean setitem: no sync
        safe = np.clip(safe, 0, c - 1)
    if weight is not None:
        if tuple(weight.shape) != (c,):
            raise ValueError(f"nll_loss: weight of shape {tuple(weight.shape)} does not match "
                             f"the {c} classes of input of shape {tuple(input.shape)}")
        w_t = w_t * weight._data[safe]
    picked = rows.gather(1, Tensor(safe.reshape(-1, 1))).reshape(-1)
    loss = -picked * Tensor(w_t)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    # every target ignored: NaN, with gradient 0 (PyTorch's); chosen on the device, no float()
    total = w_t.sum()
    return loss.sum() / Tensor(nonzero_denominator(rows._xp(), total)) + Tensor(
        np.where(total == 0, np.nan, 0).astype(w_t.dtype))


@named_node("MseLossBackward0")
def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``(input - target)^2``, reduced. Shapes must match."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``|input - target|``, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


@named_node("SmoothL1LossBackward0")
def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input - target``)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce((d * d * (0.5 / beta)).where(d < beta, d - 0.5 * beta), reduction)


@named_node("HuberLossBackward0")
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``."""
    _check_same_shape("huber_loss", input, target)
    d = (input - target).abs()
    return _reduce((d * d * 0.5).where(d < delta, (d - 0.5 * delta) * delta), reduction)


@on_input_device
@named_node("BinaryCrossEntropyBackward0")
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-w [y log p + (1 - y) log(1 - p)]`` for probabilities ``p``; logs are clamped at -100
    as in PyTorch, so ``p`` of exactly 0 or 1 gives a finite loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    # host only: on a GPU the check would copy every step; there p outside [0, 1] gives NaN
    if type(input._data) is np.ndarray and input.numel() and (
            input._data.min() < 0 or input._data.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


@named_node("BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable formula:
    ``(1 - y) x + (1 + (pos_weight - 1) y) * (log(1 + exp(-|x|)) + max(-x, 0))``.

    ``pos_weight`` (broadcast over the last dim, e.g. ``(C,)``) weighs the positive term.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_same_shape("binary_cross_entropy_with_logits", input, target)
    softplus_neg = softplus_of_negative(input)
    if pos_weight is not None:
        log_weight = (pos_weight - 1.0) * target + 1.0
        loss = (1.0 - target) * input + log_weight * softplus_neg
    else:
        loss = (1.0 - target) * input + softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """``target * (log target - input)`` for log-probabilities ``input`` (``0 log 0 = 0``).

    ``reduction='batchmean'`` divides the sum by the batch size (the true KL divergence);
    ``'mean'`` divides by the number of elements, as PyTorch.
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction == "mean":  # PyTorch's warning: 'mean' is rarely what KD code means
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if input._data.dtype.kind in "biu" or target._data.dtype.kind in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        safe_log = target.where(target > 0, 1.0).log()
        loss = target * safe_log - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.dim() else 1)
    return _reduce(loss, reduction)


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> Tensor:
    """Focal loss of RetinaNet for dense binary targets (``torchvision.ops.sigmoid_focal_loss``).

    ``loss = alpha_t * (1 - p_t)^gamma * BCE(sigmoid(x), y)`` with ``p_t = p y + (1-p)(1-y)``
    and ``alpha_t = alpha y + (1 - alpha)(1 - y)`` (no weighting when ``alpha < 0``). Note the
    default ``reduction='none'``.

    Example::

        >>> loss = F.sigmoid_focal_loss(logits, targets.float(), reduction="mean")  # doctest: +SKIP
    """
    _check_same_shape("sigmoid_focal_loss", inputs, targets)
    p = inputs.sigmoid()
    ce = binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1.0 - p) * (1.0 - targets)
    loss = ce * (1.0 - p_t) ** gamma
    if alpha >= 0:
        loss = (targets * alpha + (1.0 - targets) * (1.0 - alpha)) * loss
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported "
                         f"reduction modes: 'none', 'mean', 'sum'")
    return _reduce(loss, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """``log(1 + exp(-y x))`` for targets ``y`` in {-1, 1}."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce(softplus_of_negative(target * input), reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` for ``y = 1``, ``max(0, cos(x1, x2) - margin)`` for ``y = -1``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    # PyTorch's form: 1e-12 added to each squared norm (finite gradients at a zero vector)
    squares = ((input1 * input1).sum(-1) + 1e-12) * ((input2 * input2).sum(-1) + 1e-12)
    cos = (input1 * input2).sum(-1) / squares.sqrt()
    loss = (1.0 - cos).where(target == 1, (cos - margin).clamp(min=0.0))
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ``exp(x) - y x`` (log input) or ``x - y log(x + eps)``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        safe = target.where(target > 1, 2.0)
        stirling = safe * safe.log() - safe + (safe * (2 * np.pi)).log() * 0.5
        loss = loss + stirling.where(target > 1, 0.0)
    return _reduce(loss, reduction)


@on_input_device
def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """``0.5 (log var + (x - y)^2 / var)`` (+ ``0.5 log 2 pi`` when ``full``)."""
    var = _as_tensor(var, input).clamp(min=eps)
    loss = (var.log() + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * float(np.log(2 * np.pi))
    return _reduce(loss, reduction)
