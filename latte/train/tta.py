"""Test-time augmentation: a model wrapper that averages the outputs over augmented views.

Example::

    >>> from latte.train import TestTimeAugmentation, evaluate
    >>> meter = evaluate(TestTimeAugmentation(model, "flip"), test_loader, nn.CrossEntropyLoss())
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import nn
from latte.vision.transforms import batch_translate

__all__ = ["TestTimeAugmentation", "TTA_VIEWS"]

TTA_VIEWS = ("flip", "flip-translate")


def _shift(x: Any, d: int, mode: str) -> Any:
    """``x`` moved ``d`` pixels down and right, the border filled by ``mode``."""
    n = x.shape[0]
    shift = np.full(n, d, dtype=np.intp)
    return batch_translate(x.detach(), shift, shift, padding_mode=mode)


class TestTimeAugmentation(nn.Module):
    """``model``'s outputs averaged over views of each batch ``(N, C, H, W)``.

    Views: ``"flip"`` is the batch and its left-right mirror; ``"flip-translate"`` adds the
    batch shifted by ``translate`` pixels down-right and up-left (border ``padding_mode``,
    reflect by default) and their mirrors: six views. ``average="logits"`` returns the mean of
    the outputs; ``average="softmax"`` the log of the mean probabilities, so that
    ``cross_entropy`` and ``argmax`` of the result score the averaged prediction.

    Shape:
        Input: ``(N, C, H, W)``; output: what ``model`` returns, ``(N, classes)``.

    Example::

        >>> tta = TestTimeAugmentation(model, "flip-translate")
        >>> tta.eval()(images).argmax(1)
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, model: nn.Module, views: str = "flip", average: str = "logits",
                 translate: int = 1, padding_mode: str = "reflect") -> None:
        super().__init__()
        if views not in TTA_VIEWS:
            raise ValueError(f"views must be one of {', '.join(TTA_VIEWS)}, got {views!r}")
        if average not in ("logits", "softmax"):
            raise ValueError(f"average must be 'logits' or 'softmax', got {average!r}")
        self.model = model
        self.views, self.average = views, average
        self.translate, self.padding_mode = int(translate), padding_mode

    def _views(self, x: Any) -> list[Any]:
        views = [x]
        if self.views == "flip-translate" and self.translate:
            views += [_shift(x, self.translate, self.padding_mode),
                      _shift(x, -self.translate, self.padding_mode)]
        return views + [v.flip(-1) for v in views]

    def forward(self, x: Any) -> Any:
        if x.dim() != 4:
            raise ValueError(f"test-time augmentation takes image batches (N, C, H, W), got "
                             f"shape {tuple(x.shape)}")
        views = self._views(x)
        total = None
        for view in views:
            out = self.model(view)
            if self.average == "softmax":
                out = out.softmax(dim=1)
            total = out if total is None else total + out
        mean = total / len(views)
        return mean.log() if self.average == "softmax" else mean

    def extra_repr(self) -> str:
        return f"views={self.views!r}, average={self.average!r}, translate={self.translate}"
