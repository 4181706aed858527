"""``rms_norm`` and ``local_response_norm``, composed of Tensor ops."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from latte.functional import pad_constant
from latte.tensor import Tensor

__all__ = ["rms_norm", "local_response_norm"]


def rms_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape`` dims;
    ``eps`` defaults to the machine epsilon of the input's dtype.

    Example::

        >>> F.rms_norm(latte.randn(4, 10), (10,)).shape
        latte.Size([4, 10])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if input.dim() < k or tuple(input.shape[input.dim() - k:]) != shape:
        raise RuntimeError(f"rms_norm: expected input with trailing dims {list(shape)} "
                           f"(normalized_shape), got shape {tuple(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise RuntimeError(f"rms_norm: weight of shape {tuple(weight.shape)} does not match "
                           f"normalized_shape {list(shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(-k, 0))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """Normalise each channel of ``(N, C, *)`` by its neighbours across channels:
    ``x / (k + alpha / size * sum_{size channels around c} x^2) ^ beta`` (zero-padded at the
    edges, ``size // 2`` channels before and ``(size - 1) // 2`` after)."""
    if input.dim() < 3:
        raise ValueError(f"local_response_norm: Expected 3D or higher dimensionality input "
                         f"(got {input.dim()} dimensions, shape {tuple(input.shape)})")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = (input * input).movedim(1, -1)
    padded = pad_constant(sq, (size // 2, (size - 1) // 2))
    window = padded[..., 0:c]
    for j in range(1, size):
        window = window + padded[..., j:j + c]
    div = (window.movedim(-1, 1) * (alpha / size) + k).pow(beta)
    return input / div
