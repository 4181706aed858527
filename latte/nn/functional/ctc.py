"""Connectionist temporal classification: ``ctc_loss`` over the ``CtcLoss`` primitive."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.nn.functional._device import on_input_device
from latte.nn.functional.loss import _check_reduction
from latte.ops.ctc import CtcLoss
from latte.tensor import Tensor

__all__ = ["ctc_loss"]


def _lengths(xp: Any, lengths: Any) -> Any:
    """int64 lengths ``(N,)`` from a tensor, a tuple of ints or an int."""
    if isinstance(lengths, Tensor):
        return lengths._data.astype(np.int64).reshape(-1)
    return xp.asarray(np.asarray(lengths, dtype=np.int64).reshape(-1))


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise RuntimeError(f"{message} (while checking arguments for ctc_loss)")


def _padded_labels(xp: Any, targets: Any, target_lengths: Any, n: int, batched: bool,
                   on_cpu: bool) -> Any:
    """The targets as ``(N, S)``: padded ones as they are, concatenated ones cut per element."""
    if targets.ndim == 2 or not batched:
        labels = targets.reshape(n, -1)
        if on_cpu and n:
            longest = int(target_lengths.max())
            _check(longest <= labels.shape[1],
                   f"Expected tensor to have size at least {longest} at dimension 1, but got "
                   f"size {labels.shape[1]} for argument #2 'targets'")
        return labels
    if on_cpu:
        total = int(target_lengths.sum())
        _check(total == targets.shape[0],
               f"Expected tensor to have size {total} at dimension 0, but got size "
               f"{targets.shape[0]} for argument #2 'targets'")
        width = int(target_lengths.max()) if n else 0
    else:
        width = targets.shape[0]  # the longest target is at most all of them (no host read)
    if width == 0:
        return xp.zeros((n, 0), dtype=xp.int64)
    start = xp.cumsum(target_lengths) - target_lengths
    k = xp.arange(width)[None, :]
    at = start[:, None] + xp.minimum(k, xp.maximum(target_lengths[:, None] - 1, 0))
    return targets[xp.clip(at, 0, targets.shape[0] - 1)]


@on_input_device
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths: Any, target_lengths: Any,
             blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss: ``-log p(target | log_probs)`` summed over
    every alignment of the target to the frames (labels repeated, blanks between).

    Args:
        log_probs: log-probabilities ``(T, N, C)`` (or ``(T, C)``), e.g. ``log_softmax(2)``.
        targets: class indices, padded ``(N, S)`` or concatenated ``(sum(target_lengths),)``;
            never ``blank``.
        input_lengths: frames of each element ``(N,)``, a tensor or a tuple of ints.
        target_lengths: labels of each element ``(N,)``, a tensor or a tuple of ints.
        blank: the blank class.
        reduction: ``'none'`` (``(N,)``), ``'sum'``, or ``'mean'``: each loss divided by its
            target length (at least 1), then averaged over the batch.
        zero_infinity: impossible alignments (too few frames) give loss 0 and gradient 0
            instead of ``inf``.

    The gradient is PyTorch's: for ``log_probs`` that are a ``log_softmax``.

    Example::

        >>> lp = latte.randn(6, 2, 4).log_softmax(2)
        >>> F.ctc_loss(lp, latte.tensor([[1, 2], [3, 3]]), (6, 5), (2, 2)).shape
        latte.Size([])
    """
    _check_reduction(reduction)
    batched = log_probs.dim() == 3
    if log_probs.dim() not in (2, 3):
        raise RuntimeError(f"ctc_loss: expected log_probs of shape (T, N, C) or (T, C), got "
                           f"{tuple(log_probs.shape)}")
    lp = log_probs if batched else log_probs.unsqueeze(1)
    t_max, n = lp.shape[:2]
    xp = log_probs._xp()
    in_len = _lengths(xp, input_lengths)
    tg_len = _lengths(xp, target_lengths)
    if in_len.shape[0] != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tg_len.shape[0] != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    on_cpu = isinstance(in_len, np.ndarray) and isinstance(tg_len, np.ndarray)
    if on_cpu and n:
        for name, lengths in (("input_lengths", in_len), ("target_lengths", tg_len)):
            _check(int(lengths.min()) >= 0, f"Expected {name} to have value at least 0, but "
                                            f"got value {int(lengths.min())}")
        _check(int(in_len.max()) <= t_max, f"Expected input_lengths to have value at most "
                                           f"{t_max}, but got value {int(in_len.max())}")
    labels = _padded_labels(xp, targets._data.astype(np.int64), tg_len, n, batched, on_cpu)
    loss = CtcLoss.apply(lp, labels, in_len, tg_len, blank, zero_infinity)
    if zero_infinity:
        loss = loss.where(loss != float("inf"), 0.0)
    if not batched:
        loss = loss.squeeze(0)
    if reduction == "mean":
        divisor = Tensor(xp.maximum(tg_len, 1).reshape(loss.shape))
        return (loss / divisor).mean()
    if reduction == "sum":
        return loss.sum()
    return loss
