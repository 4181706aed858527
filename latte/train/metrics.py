"""Classification metrics: accuracy, top-k accuracy, the confusion matrix, and an epoch meter.

Each takes logits ``(N, C)`` (or predicted labels ``(N,)``) and integer targets ``(N,)``, as
latte tensors or NumPy arrays, and returns plain Python numbers or NumPy arrays: metrics are
reports, not part of the graph.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from latte import backend

__all__ = ["accuracy", "topk_correct", "confusion_matrix", "MetricMeter"]


def _array(x: Any) -> np.ndarray:
    # a batch's scores on a GPU come to the host here, explicitly (they are small)
    return np.asarray(backend.to_device(getattr(x, "_data", x), backend.cpu))


def topk_correct(output: Any, target: Any, topk: Sequence[int] = (1,)) -> list[int]:
    """How many rows of ``output`` ``(N, C)`` have ``target`` among their ``k`` largest scores.

    Example::

        >>> topk_correct([[0.1, 0.7, 0.2]], [2], topk=(1, 2))
        [0, 1]
    """
    scores, labels = _array(output), _array(target)
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(f"expected output (N, C) and target (N,), got {scores.shape} and "
                         f"{labels.shape}")
    kmax = min(max(topk), scores.shape[1])
    # argpartition finds the k largest without a full sort; ties are broken arbitrarily
    top = np.argpartition(-scores, kmax - 1, axis=1)[:, :kmax]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(scores, top, 1), 1), 1)
    hits = top == labels[:, None]
    return [int(hits[:, :min(k, kmax)].sum()) for k in topk]


def accuracy(output: Any, target: Any, topk: Sequence[int] = (1,)) -> list[float]:
    """Top-k accuracies in ``[0, 1]``, one per ``k``: ``accuracy(logits, y, (1, 5))``."""
    n = len(_array(target))
    return [c / n if n else 0.0 for c in topk_correct(output, target, topk)]


def confusion_matrix(predicted: Any, target: Any, num_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts: row = true class, column = predicted class (scikit-learn's).

    Example::

        >>> confusion_matrix([0, 1, 1], [0, 0, 1], 2)
        array([[1, 1],
               [0, 1]])
    """
    pred, true = _array(predicted).reshape(-1), _array(target).reshape(-1)
    if pred.shape != true.shape:
        raise ValueError(f"predicted {pred.shape} and target {true.shape} differ in length")
    return np.bincount(true * num_classes + pred,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


class MetricMeter:
    """Accumulates loss and accuracy over the batches of an epoch (weighted by batch size).

    Example::

        >>> meter = MetricMeter(num_classes=10)
        >>> meter.update(loss.item(), logits, y)       # once per batch  # doctest: +SKIP
        >>> meter.loss, meter.accuracy, meter.topk[5]  # running values  # doctest: +SKIP
    """

    def __init__(self, num_classes: int | None = None, topk: Sequence[int] = (5,)) -> None:
        self.num_classes = num_classes
        self.ks = tuple(k for k in topk if num_classes is None or k < num_classes)
        self.count = 0
        self.loss_sum = 0.0
        self.correct = 0
        self.topk_hits = {k: 0 for k in self.ks}
        self.confusion = (np.zeros((num_classes, num_classes), np.int64)
                          if num_classes else None)

    def update(self, loss: float, output: Any, target: Any) -> None:
        scores, labels = _array(output), _array(target)
        n = len(labels)
        self.count += n
        self.loss_sum += float(loss) * n
        hits = topk_correct(scores, labels, (1, *self.ks))
        self.correct += hits[0]
        for k, h in zip(self.ks, hits[1:]):
            self.topk_hits[k] += h
        if self.confusion is not None:
            self.confusion += confusion_matrix(scores.argmax(1), labels, self.num_classes)

    @property
    def loss(self) -> float:
        return self.loss_sum / max(self.count, 1)

    @property
    def accuracy(self) -> float:
        return self.correct / max(self.count, 1)

    @property
    def topk(self) -> dict[int, float]:
        return {k: h / max(self.count, 1) for k, h in self.topk_hits.items()}

    def summary(self, prefix: str = "") -> dict[str, float]:
        """``{prefix+"loss": ..., prefix+"acc": ..., prefix+"top5": ...}``."""
        out = {f"{prefix}loss": self.loss, f"{prefix}acc": self.accuracy}
        out.update({f"{prefix}top{k}": v for k, v in self.topk.items()})
        return out
