"""``RMSNorm``, ``LocalResponseNorm`` and the legacy ``CrossMapLRN2d``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from latte import creation
from latte.nn import init
from latte.nn.functional._device import on_input_device
from latte.nn.functional.norm_extra import local_response_norm, rms_norm
from latte.nn.modules.module import Module, place
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["RMSNorm", "LocalResponseNorm", "CrossMapLRN2d"]


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


class CrossMapLRN2d(Module):
    """Legacy (Lua Torch) response normalisation across the channels of ``(N, C, H, W)``:
    ``x / (k + alpha / size * sum_{window(c)} x^2) ^ beta``.

    The window of channel ``c`` is PyTorch's running sum: channels ``c - pre + 1`` to
    ``c + pre - 1`` with ``pre = (size - 1) // 2 + 1``, clipped to ``[0, C)``, where channel 0
    is never dropped from the sum (PyTorch removes a channel only once ``c > pre``), so it
    differs from :class:`LocalResponseNorm` near the edges. The gradient is this forward's
    derivative (PyTorch's hand-written legacy backward is not: it fails gradcheck).

    Example::

        >>> lrn = nn.CrossMapLRN2d(3, alpha=1e-2)
        >>> lrn(latte.ones(1, 4, 2, 2)).shape
        latte.Size([1, 4, 2, 2])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return _cross_map_lrn2d(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


@on_input_device
def _cross_map_lrn2d(input: Tensor, size: int, alpha: float, beta: float, k: float) -> Tensor:
    """CrossMapLRN2d's forward: the window sums as one product with a 0/1 channel matrix."""
    if input.dim() != 4:
        raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D "
                         f"instead.")
    xp = input._xp()
    c = input.shape[1]
    pre = int((size - 1) / 2 + 1)
    ch = xp.arange(c)
    upper = xp.minimum(ch + pre - 1, c - 1)
    lower = xp.where(ch > pre, ch - pre + 1, 0)
    j = ch[None, :]
    # window[c, j]: channel j is in channel c's sum (channel 0 is never dropped)
    window = ((j >= lower[:, None]) & (j <= upper[:, None])) | (j == 0)
    weight = Tensor(window.astype(input._data.dtype))
    sums = (input * input).movedim(1, -1) @ weight.T
    scale = sums.movedim(-1, 1) * (alpha / size) + k
    return input * scale.pow(-beta)
