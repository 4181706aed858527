"""ResNet-18/34/50 with torchvision's definitions and state_dict keys, plus a CIFAR stem."""
from __future__ import annotations

from typing import Any

from latte import nn
from latte.nn import functional as F
from latte.tensor import Tensor
from latte.vision.models._weights import build, legacy_pretrained, weights_enum

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights"]


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two ``conv3x3 + BatchNorm`` with a ReLU between, added to the (downsampled) input."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity  # in place, as torchvision: the sum needs no array of its own
        return self.relu(out)


class Bottleneck(nn.Module):
    """``1x1 -> 3x3 (stride here, as torchvision's V1.5) -> 1x1`` with 4x expansion."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.relu(out)


def make_layer(block: type[BasicBlock] | type[Bottleneck], inplanes: int, planes: int,
               blocks: int, stride: int = 1) -> nn.Sequential:
    """``blocks`` residual blocks; the first changes stride/width through a 1x1-conv shortcut."""
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.Sequential(conv1x1(inplanes, planes * block.expansion, stride),
                                   nn.BatchNorm2d(planes * block.expansion))
    layers = [block(inplanes, planes, stride, downsample)]
    layers += [block(planes * block.expansion, planes) for _ in range(1, blocks)]
    return nn.Sequential(*layers)


def init_resnet(model: nn.Module, zero_init_residual: bool) -> None:
    """torchvision's init: Kaiming-normal (fan_out) convs, BatchNorm weight 1 and bias 0, and
    optionally the last BN of each block at zero so every block starts as the identity."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    if zero_init_residual:
        for m in model.modules():
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)
            elif isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)


class ResNet(nn.Module):
    """torchvision's ResNet: stem, four stages of residual blocks, global average pool, ``fc``.

    ``stem='imagenet'`` is torchvision's 7x7/2 conv + 3x3/2 max pool (for 224x224 inputs);
    ``stem='cifar'`` is a 3x3/1 conv and no pool (for 32x32 inputs). The state_dict keys are
    torchvision's either way (``conv1.weight``, ``layer1.0.bn1.running_mean``, ``fc.bias``...).
    ``dropout > 0`` adds dropout before ``fc`` (no parameters, so the keys do not change).
    Input ``(N, in_channels, H, W)``, output ``(N, num_classes)``.

    Example::

        >>> model = resnet18(num_classes=10, stem="cifar")
        >>> model(latte.randn(2, 3, 32, 32)).shape
        latte.Size([2, 10])
    """

    def __init__(self, block: type[BasicBlock] | type[Bottleneck], layers: list[int],
                 num_classes: int = 1000, zero_init_residual: bool = False,
                 stem: str = "imagenet", in_channels: int = 3, dropout: float = 0.0) -> None:
        super().__init__()
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"ResNet: stem must be 'imagenet' or 'cifar', got {stem!r}")
        self.inplanes = 64
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool: nn.Module = (nn.MaxPool2d(3, stride=2, padding=1) if stem == "imagenet"
                                   else nn.Identity())
        widths = (64, 128, 256, 512)
        for i, (planes, blocks) in enumerate(zip(widths, layers)):
            stage = make_layer(block, self.inplanes, planes, blocks, stride=1 if i == 0 else 2)
            setattr(self, f"layer{i + 1}", stage)
            self.inplanes = planes * block.expansion
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = dropout
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        init_resnet(self, zero_init_residual)

    def forward(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        if self.dropout > 0:
            x = F.dropout(x, self.dropout, self.training)
        return self.fc(x)


ResNet18_Weights = weights_enum("ResNet18_Weights", "resnet18")
ResNet34_Weights = weights_enum("ResNet34_Weights", "resnet34")
ResNet50_Weights = weights_enum("ResNet50_Weights", "resnet50")


def _resnet(arch: str, block: Any, layers: list[int], weights: Any, kwargs: Any) -> ResNet:
    weights = legacy_pretrained(arch, weights, kwargs)
    return build(lambda: ResNet(block, layers, **kwargs), weights, arch)


def resnet18(*, weights: Any = None, **kwargs: Any) -> ResNet:
    """ResNet-18 (11,689,512 parameters for 1000 classes); keyword arguments as in ``ResNet``."""
    return _resnet("resnet18", BasicBlock, [2, 2, 2, 2], weights, kwargs)


def resnet34(*, weights: Any = None, **kwargs: Any) -> ResNet:
    """ResNet-34 (21,797,672 parameters for 1000 classes); keyword arguments as in ``ResNet``."""
    return _resnet("resnet34", BasicBlock, [3, 4, 6, 3], weights, kwargs)


def resnet50(*, weights: Any = None, **kwargs: Any) -> ResNet:
    """ResNet-50 (25,557,032 parameters for 1000 classes); keyword arguments as in ``ResNet``."""
    return _resnet("resnet50", Bottleneck, [3, 4, 6, 3], weights, kwargs)
