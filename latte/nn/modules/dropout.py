"""Dropout layers: active in training mode, identity after ``eval()``."""
from __future__ import annotations

from latte.nn.functional.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from latte.nn.modules.module import Module
from latte.tensor import Tensor

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class _DropoutNd(Module):
    _fn = staticmethod(dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` in training and scale the rest by
    ``1 / (1 - p)``; any shape.

    Example::

        >>> drop = nn.Dropout(0.5)
        >>> drop.eval()(latte.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)``."""

    _fn = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)``."""

    _fn = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)``."""

    _fn = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalising mean and variance."""

    _fn = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (each ``(n, c)`` plane kept or dropped as one) that keeps
    SELU's mean and variance; identity after ``eval()``. As PyTorch, ``inplace`` is stored but
    not used (see :func:`latte.nn.functional.feature_alpha_dropout`).

    Args:
        p: the probability of dropping a channel.
        inplace: kept for PyTorch's signature.

    Shape:
        Input: ``(N, C, *)``; output: ``(N, C, *)``.

    Example::

        >>> nn.FeatureAlphaDropout(0.2)(latte.randn(20, 16, 4, 32, 32)).shape
        latte.Size([20, 16, 4, 32, 32])
    """

    def forward(self, input: Tensor) -> Tensor:
        return feature_alpha_dropout(input, self.p, self.training)
