"""``MLP``: a fully connected classifier with configurable depth, width, activation and dropout."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from latte import nn
from latte.tensor import Tensor
from latte.vision.models._weights import build

__all__ = ["MLP", "mlp"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "silu": nn.SiLU}


class MLP(nn.Module):
    """Flatten, then ``Linear -> activation -> Dropout`` per hidden size, then ``Linear``.

    Input ``(N, *)`` with ``in_features`` values per sample (e.g. ``(N, 1, 28, 28)``),
    output ``(N, num_classes)`` logits. ``dropout=0`` adds no Dropout layers. The layers live
    in ``self.layers`` (a ``Sequential``): keys ``layers.1.weight``, ``layers.1.bias``, ...

    Example::

        >>> model = MLP(784, hidden_sizes=(256, 128), num_classes=10, dropout=0.2)
        >>> model(latte.randn(8, 1, 28, 28)).shape
        latte.Size([8, 10])
    """

    def __init__(self, in_features: int = 784, hidden_sizes: Sequence[int] = (256,),
                 num_classes: int = 10, activation: str = "relu", dropout: float = 0.0,
                 bias: bool = True) -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; "
                             f"expected one of {sorted(_ACTIVATIONS)}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for size in hidden_sizes:
            layers += [nn.Linear(width, size, bias=bias), _ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, num_classes, bias=bias))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)


def mlp(*, weights: Any = None, **kwargs: Any) -> MLP:
    """Build an ``MLP`` (keyword arguments as in ``MLP``); ``weights`` is a checkpoint path."""
    return build(lambda: MLP(**kwargs), weights, "mlp")
