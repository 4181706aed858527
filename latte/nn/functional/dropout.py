"""Dropout: zero elements (or whole channels) with probability ``p`` in training, scaling the
rest by ``1 / (1 - p)``; identity in evaluation. Masks come from Latte's RNG, so
``latte.manual_seed`` makes them repeat."""
from __future__ import annotations

import warnings

import numpy as np

from latte import random
from latte._out_argument import cast_error
from latte.nn.functional._device import on_input_device
from latte.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]


def _check_p(p: float) -> None:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


@on_input_device
def _apply_mask(input: Tensor, mask_shape: tuple, p: float, inplace: bool) -> Tensor:
    dtype = input._data.dtype if input._data.dtype.kind == "f" else np.dtype(np.float32)
    if p == 1.0:
        scaled = input._xp().zeros(mask_shape, dtype=dtype)
    else:
        draw_dtype = np.float32 if dtype == np.float32 else np.float64
        scaled = (random._uniform_on(input._data, mask_shape, draw_dtype) >= p).astype(dtype)
        scaled *= dtype.type(1.0 / (1.0 - p))
    mask = Tensor(scaled)
    return input.mul_(mask) if inplace else input * mask


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the others by ``1 / (1 - p)``."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _apply_mask(input, tuple(input.shape), p, inplace)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     spatial: int, name: str) -> Tensor:
    _check_p(p)
    dim = input.dim()
    if dim not in (spatial + 1, spatial + 2):
        if spatial == 1:
            raise RuntimeError(f"{name}: expected {spatial + 1}D (C, *) or {spatial + 2}D "
                               f"(N, C, *) input, got shape {tuple(input.shape)}")
        if dim < 2:
            raise RuntimeError(f"{name}: Feature dropout requires at least 2 dimensions in the "
                               f"input, got shape {tuple(input.shape)}")
        # PyTorch only warns here (pytorch/examples' mnist_rnn uses Dropout2d on (N, C))
        warnings.warn(f"{name}: Received a {dim}-D input to {name}, which is deprecated; "
                      f"expected {spatial + 1}D or {spatial + 2}D input. Use dropout instead.",
                      stacklevel=3)
    if not training or p == 0.0:
        return input
    # the mask keeps the leading (N, C) dims; PyTorch's dropout2d reads any input that way (a
    # 3D one as (N, C, L)), the others read a (C, *) input as unbatched
    batched = spatial == 2 or dim == spatial + 2
    lead = tuple(input.shape[:2]) if batched else tuple(input.shape[:1])
    return _apply_mask(input, lead + (1,) * (dim - len(lead)), p, inplace)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, L)`` (or ``(C, L)``) with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p``.

    As in PyTorch, a 3D input is read as ``(N, C, L)`` and other ranks only warn.
    """
    return _feature_dropout(input, p, training, inplace, 2, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Zero whole channels of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 3, "dropout3d")


_ALPHA = 1.7580993408473766  # -SELU's scale * alpha: where a dropped SELU output saturates


@on_input_device
def _alpha_mask(input: Tensor, mask_shape: tuple, p: float, inplace: bool) -> Tensor:
    """``input * a + b`` with a mask of ``mask_shape`` broadcast over ``input``: kept values
    are scaled, dropped ones go to ``-alpha``, then one affine map keeps mean 0, variance 1."""
    if p == 1.0:  # PyTorch drops everything to 0 here (the affine map is undefined)
        return input.mul_(0.0) if inplace else input * 0.0
    dtype = input._data.dtype
    if dtype.kind != "f":
        raise cast_error(np.float32, dtype)
    keep = random._uniform_on(input._data, mask_shape, np.float64) >= p
    a = 1.0 / ((_ALPHA ** 2 * p + 1.0) * (1.0 - p)) ** 0.5
    mask = Tensor((keep * a).astype(dtype))
    shift = Tensor(((~keep) * (-_ALPHA * a) + _ALPHA * a * p).astype(dtype))
    out = input * mask + shift
    return input.copy_(out) if inplace else out


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped values go to SELU's negative saturation and an affine
    correction keeps mean and variance."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _alpha_mask(input, tuple(input.shape), p, inplace)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels: each ``(n, c)`` plane is kept (scaled) or set to SELU's
    saturation as one, then the affine map of ``alpha_dropout`` restores mean and variance.

    Args:
        input: ``(N, C, *)``; dims 0 and 1 are always read as batch and channel.
        p: the probability of dropping a channel.
        training: drop (True) or return ``input`` unchanged (False, the default).
        inplace: write the result into ``input``.

    Shape:
        Input: ``(N, C, *)``; output: ``(N, C, *)``.

    Example::

        >>> x = latte.randn(8, 16, 4, 4)
        >>> F.feature_alpha_dropout(x, 0.2) is x  # identity unless training
        True
        >>> F.feature_alpha_dropout(x, 0.2, training=True).shape
        latte.Size([8, 16, 4, 4])
    """
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p != 1.0 and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _alpha_mask(input, tuple(input.shape[:2]) + (1,) * (input.dim() - 2), p, inplace)
