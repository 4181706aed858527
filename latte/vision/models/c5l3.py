"""``C5L3``: five conv layers and four Linear layers, the CIFAR-10 network of the reference."""
from __future__ import annotations

from typing import Any

from latte import nn
from latte.tensor import Tensor
from latte.vision.models._weights import build

__all__ = ["C5L3", "c5l3"]


class C5L3(nn.Module):
    """Conv 3->128->256->512->512->256 (3x3, pad 1, ReLU, optional BatchNorm), 2x2 max pool and
    ``Dropout(conv_dropout)`` after the 1st, 2nd and 5th conv, then Linear 4096->512->256->128
    ->classes with ReLU and ``Dropout(dropout)``. About 7.28M parameters.

    Dropout layers are always present (``p=0`` turns one off), so the state_dict keys depend
    only on ``batch_norm``. Input ``(N, in_channels, 32, 32)``, output ``(N, num_classes)``.

    Example::

        >>> C5L3(batch_norm=True)(latte.randn(2, 3, 32, 32)).shape
        latte.Size([2, 10])
    """

    def __init__(self, in_channels: int = 3, num_classes: int = 10, batch_norm: bool = False,
                 dropout: float = 0.5, conv_dropout: float = 0.3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i, width in enumerate((128, 256, 512, 512, 256)):
            layers.append(nn.Conv2d(in_channels, width, 3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(width))
            layers.append(nn.ReLU(inplace=True))
            if i in (0, 1, 4):
                layers += [nn.MaxPool2d(2), nn.Dropout(conv_dropout)]
            in_channels = width
        self.features = nn.Sequential(*layers)
        head: list[nn.Module] = [nn.Flatten()]
        for fan_in, fan_out in ((256 * 4 * 4, 512), (512, 256), (256, 128)):
            head += [nn.Linear(fan_in, fan_out), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        head.append(nn.Linear(128, num_classes))
        self.classifier = nn.Sequential(*head)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def c5l3(*, weights: Any = None, **kwargs: Any) -> C5L3:
    """Build a ``C5L3`` (keyword arguments as in ``C5L3``); ``weights`` is a checkpoint path."""
    return build(lambda: C5L3(**kwargs), weights, "c5l3")
