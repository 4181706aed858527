"""``RMSNorm`` and ``LocalResponseNorm``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from latte import creation
from latte.nn import init
from latte.nn.functional.norm_extra import local_response_norm, rms_norm
from latte.nn.modules.module import Module, place
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["RMSNorm", "LocalResponseNorm"]


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims, scaled by
    ``weight`` (ones); ``eps=None`` uses the input dtype's machine epsilon.

    Example::

        >>> nn.RMSNorm(32)(latte.randn(4, 10, 32)).shape
        latte.Size([4, 10, 32])
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float | None = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(creation.ones(*self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        place(self, device)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Normalise each channel of ``(N, C, *)`` by the squares of its ``size`` neighbouring
    channels; see :func:`latte.nn.functional.local_response_norm`."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
