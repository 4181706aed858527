"""VGG-11/13/16/19 with and without BatchNorm: torchvision's definitions and state_dict keys."""
from __future__ import annotations

from typing import Any

from latte import nn
from latte.tensor import Tensor
from latte.vision.models._weights import build, legacy_pretrained, weights_enum

__all__ = ["VGG", "make_features", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
           "vgg19", "vgg19_bn", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights",
           "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights", "VGG19_Weights",
           "VGG19_BN_Weights"]

# Conv widths per configuration; "M" is a 2x2 max pool (torchvision's cfgs "A", "B", "D", "E").
CFGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}

VGG11_Weights = weights_enum("VGG11_Weights", "vgg11")
VGG11_BN_Weights = weights_enum("VGG11_BN_Weights", "vgg11_bn")
VGG13_Weights = weights_enum("VGG13_Weights", "vgg13")
VGG13_BN_Weights = weights_enum("VGG13_BN_Weights", "vgg13_bn")
VGG16_Weights = weights_enum("VGG16_Weights", "vgg16")
VGG16_BN_Weights = weights_enum("VGG16_BN_Weights", "vgg16_bn")
VGG19_Weights = weights_enum("VGG19_Weights", "vgg19")
VGG19_BN_Weights = weights_enum("VGG19_BN_Weights", "vgg19_bn")


def make_features(cfg: list[int | str], batch_norm: bool = False,
                  in_channels: int = 3) -> nn.Sequential:
    """The conv stack: ``conv3x3 (+BN) + ReLU`` per width, ``MaxPool2d(2)`` per ``"M"``."""
    layers: list[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, int(v), 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(int(v)))
        layers.append(nn.ReLU(inplace=True))
        in_channels = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """``features``, ``AdaptiveAvgPool2d(7)``, then ``classifier``: two 4096-wide Linear + ReLU +
    Dropout and a last Linear (torchvision's VGG; keys ``features.0.weight``,
    ``classifier.6.bias``...).

    ``cifar=True`` pools to 1x1 and uses 512-wide hidden layers (same key names, 25x fewer
    classifier weights), the usual head for 32x32 inputs. Input ``(N, 3, H, W)`` with H, W >= 32,
    output ``(N, num_classes)``.

    Example::

        >>> vgg11_bn(num_classes=10, cifar=True)(latte.randn(2, 3, 32, 32)).shape
        latte.Size([2, 10])
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5, cifar: bool = False) -> None:
        super().__init__()
        self.features = features
        size, hidden = (1, 512) if cifar else (7, 4096)
        self.avgpool = nn.AdaptiveAvgPool2d((size, size))
        self.classifier = nn.Sequential(
            nn.Linear(512 * size * size, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )
        if init_weights:
            self._init_weights()

    def _init_weights(self) -> None:
        # torchvision's: Kaiming-normal convs, BN at identity, N(0, 0.01) Linear, zero biases.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _vgg(arch: str, cfg: str, batch_norm: bool, weights: Any, kwargs: dict[str, Any]) -> VGG:
    weights = legacy_pretrained(arch, weights, kwargs)
    in_channels = kwargs.pop("in_channels", 3)
    if weights is not None:
        kwargs.setdefault("init_weights", False)  # the loaded weights overwrite it anyway
    return build(lambda: VGG(make_features(CFGS[cfg], batch_norm, in_channels), **kwargs),
                 weights, arch)


def vgg11(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-11 (132,863,336 parameters for 1000 classes); keyword arguments as in ``VGG``."""
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-11 with BatchNorm (132,868,840 parameters for 1000 classes)."""
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-13 (133,047,848 parameters for 1000 classes); keyword arguments as in ``VGG``."""
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-13 with BatchNorm (133,053,736 parameters for 1000 classes)."""
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-16 (138,357,544 parameters for 1000 classes); keyword arguments as in ``VGG``."""
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-16 with BatchNorm (138,365,992 parameters for 1000 classes)."""
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-19 (143,667,240 parameters for 1000 classes); keyword arguments as in ``VGG``."""
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights: Any = None, **kwargs: Any) -> VGG:
    """VGG-19 with BatchNorm (143,678,248 parameters for 1000 classes)."""
    return _vgg("vgg19_bn", "E", True, weights, kwargs)
