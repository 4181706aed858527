"""``latte.vision.models``: the model zoo, with torchvision's names and state_dict keys.

``get_model(name, **kwargs)`` builds any of ``list_models()``; each builder also takes
``weights=`` (a checkpoint path, or for VGG/ResNet a torchvision weights name such as
``'IMAGENET1K_V1'`` whose file sits in ``$LATTE_HOME/checkpoints``).

Example::

    >>> from latte.vision.models import get_model
    >>> model = get_model("lenet", num_classes=10)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from latte import nn
from latte.vision.models._weights import checkpoint_dir
from latte.vision.models.c5l3 import C5L3, c5l3
from latte.vision.models.lenet import LeNet, lenet
from latte.vision.models.mlp import MLP, mlp
from latte.vision.models.mnist_resnet import MNISTResNet, mnist_resnet
from latte.vision.models._weights import WeightsEnum
from latte.vision.models.resnet import (BasicBlock, Bottleneck, ResNet, ResNet18_Weights,
                                        ResNet34_Weights, ResNet50_Weights, resnet18, resnet34,
                                        resnet50)
from latte.vision.models.vgg import (VGG, VGG11_BN_Weights, VGG11_Weights, VGG13_BN_Weights,
                                     VGG13_Weights, VGG16_BN_Weights, VGG16_Weights,
                                     VGG19_BN_Weights, VGG19_Weights, vgg11, vgg11_bn, vgg13,
                                     vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn)

__all__ = ["MLP", "LeNet", "MNISTResNet", "C5L3", "VGG", "ResNet", "BasicBlock", "Bottleneck",
           "mlp", "lenet", "mnist_resnet", "c5l3", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "resnet18", "resnet34", "resnet50",
           "get_model", "get_weight", "get_model_weights", "list_models", "checkpoint_dir",
           "WeightsEnum",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "VGG11_Weights",
           "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights"]

_REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp, "lenet": lenet, "mnist_resnet": mnist_resnet, "c5l3": c5l3,
    "vgg11": vgg11, "vgg11_bn": vgg11_bn, "vgg13": vgg13, "vgg13_bn": vgg13_bn,
    "vgg16": vgg16, "vgg16_bn": vgg16_bn, "vgg19": vgg19, "vgg19_bn": vgg19_bn,
    "resnet18": resnet18, "resnet34": resnet34, "resnet50": resnet50,
}


def list_models() -> list[str]:
    """The names ``get_model`` accepts, in a stable order."""
    return list(_REGISTRY)


def get_model(name: str, **kwargs: Any) -> nn.Module:
    """Build the model called ``name`` (case-insensitive) with the builder's keyword arguments.

    Example::

        >>> get_model("mlp", hidden_sizes=(128,), dropout=0.1)  # doctest: +SKIP
    """
    builder = _REGISTRY.get(name.lower())
    if builder is None:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(_REGISTRY)}")
    return builder(**kwargs)


def get_weight(name: str) -> WeightsEnum:
    """The weights enum member called ``name``, such as ``"ResNet18_Weights.IMAGENET1K_V1"``.

    Example::

        >>> get_weight("VGG19_Weights.DEFAULT").url
        'https://download.pytorch.org/models/vgg19-dcbb9e9d.pth'
    """
    enum_name, _, member = name.partition(".")
    enum = globals().get(enum_name)
    known = isinstance(enum, type) and issubclass(enum, WeightsEnum)
    if not known or member not in enum.__members__:
        raise ValueError(f"unknown weights {name!r}; expected e.g. 'ResNet18_Weights.DEFAULT'")
    return enum[member]


_WEIGHTS_ENUMS: dict[str, type[WeightsEnum]] = {
    "resnet18": ResNet18_Weights, "resnet34": ResNet34_Weights, "resnet50": ResNet50_Weights,
    "vgg11": VGG11_Weights, "vgg11_bn": VGG11_BN_Weights, "vgg13": VGG13_Weights,
    "vgg13_bn": VGG13_BN_Weights, "vgg16": VGG16_Weights, "vgg16_bn": VGG16_BN_Weights,
    "vgg19": VGG19_Weights, "vgg19_bn": VGG19_BN_Weights,
}


def get_model_weights(name: str | Callable[..., nn.Module]) -> type[WeightsEnum]:
    """The weights enum of the model called ``name`` (or of its builder function).

    Example::

        >>> get_model_weights("resnet18").DEFAULT
        <ResNet18_Weights.IMAGENET1K_V1: 'resnet18-f37072fd.pth'>
    """
    key = name if isinstance(name, str) else getattr(name, "__name__", "")
    enum = _WEIGHTS_ENUMS.get(key.lower())
    if enum is None:
        raise ValueError(f"no pretrained weights are known for {key!r}; models with weights: "
                         f"{', '.join(_WEIGHTS_ENUMS)}")
    return enum
