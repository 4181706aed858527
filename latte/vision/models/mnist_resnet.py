"""The small residual network of the reference MNIST experiments (174,970 parameters)."""
from __future__ import annotations

from typing import Any

from latte import nn
from latte.nn import functional as F
from latte.tensor import Tensor
from latte.vision.models._weights import build
from latte.vision.models.resnet import BasicBlock, init_resnet, make_layer

__all__ = ["MNISTResNet", "mnist_resnet"]


class MNISTResNet(nn.Module):
    """``conv3x3(16) + BN + ReLU``, three stages of two basic blocks (16, 32/2, 64/2 channels),
    global average pool, ``Linear(64, num_classes)``.

    Keys follow torchvision's ResNet (``conv1``, ``bn1``, ``layer1.0.conv1``,
    ``layer2.0.downsample.0``, ``fc``). Input ``(N, in_channels, H, W)`` (28x28 for MNIST),
    output ``(N, num_classes)``.

    Example::

        >>> MNISTResNet()(latte.randn(2, 1, 28, 28)).shape
        latte.Size([2, 10])
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, dropout: float = 0.0,
                 zero_init_residual: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = make_layer(BasicBlock, 16, 16, 2)
        self.layer2 = make_layer(BasicBlock, 16, 32, 2, stride=2)
        self.layer3 = make_layer(BasicBlock, 32, 64, 2, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = dropout
        self.fc = nn.Linear(64, num_classes)
        init_resnet(self, zero_init_residual)

    def forward(self, x: Tensor) -> Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.avgpool(self.layer3(self.layer2(self.layer1(x)))).flatten(1)
        if self.dropout > 0:
            x = F.dropout(x, self.dropout, self.training)
        return self.fc(x)


def mnist_resnet(*, weights: Any = None, **kwargs: Any) -> MNISTResNet:
    """Build an ``MNISTResNet``; ``weights`` is a checkpoint path."""
    return build(lambda: MNISTResNet(**kwargs), weights, "mnist_resnet")
