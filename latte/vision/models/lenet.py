"""``LeNet``: the small two-conv network of the reference MNIST experiments."""
from __future__ import annotations

from typing import Any

from latte import nn
from latte.tensor import Tensor
from latte.vision.models._weights import build

__all__ = ["LeNet", "lenet"]


class LeNet(nn.Module):
    """Two ``conv3x3 -> ReLU -> MaxPool2d(2)`` blocks (32, 64 channels), then 3136->128->classes.

    Input ``(N, in_channels, 28, 28)``, output ``(N, num_classes)`` logits. ``dropout > 0``
    puts a Dropout before the last Linear (it holds no parameters: the keys stay the same).

    Example::

        >>> LeNet()(latte.randn(2, 1, 28, 28)).shape
        latte.Size([2, 10])
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, dropout: float = 0.0) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(inplace=True),
            nn.Dropout(dropout) if dropout > 0 else nn.Identity(), nn.Linear(128, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def lenet(*, weights: Any = None, **kwargs: Any) -> LeNet:
    """Build a ``LeNet`` (keyword arguments as in ``LeNet``); ``weights`` is a checkpoint path."""
    return build(lambda: LeNet(**kwargs), weights, "lenet")
