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
from latte.vision.models.resnet import BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50
from latte.vision.models.vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn

__all__ = ["MLP", "LeNet", "MNISTResNet", "C5L3", "VGG", "ResNet", "BasicBlock", "Bottleneck",
           "mlp", "lenet", "mnist_resnet", "c5l3", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "resnet18", "resnet34", "resnet50", "get_model", "list_models",
           "checkpoint_dir"]

_REGISTRY: dict[str, Callable[..., nn.Module]] = {
    "mlp": mlp, "lenet": lenet, "mnist_resnet": mnist_resnet, "c5l3": c5l3,
    "vgg11": vgg11, "vgg11_bn": vgg11_bn, "vgg13": vgg13, "vgg13_bn": vgg13_bn,
    "vgg16": vgg16, "vgg16_bn": vgg16_bn,
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
