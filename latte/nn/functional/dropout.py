"""Dropout: zero elements (or whole channels) with probability ``p`` in training, scaling the
rest by ``1 / (1 - p)``; identity in evaluation. Masks come from Latte's RNG, so
``latte.manual_seed`` makes them repeat."""
from __future__ import annotations

import warnings

import numpy as np

from latte import random
from latte.nn.functional._device import on_input_device
from latte.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]


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


@on_input_device
def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped values go to SELU's negative saturation and an affine
    correction keeps mean and variance."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    alpha = -1.7580993408473766
    keep = random._uniform_on(input._data, tuple(input.shape), np.float64) >= p
    a = (1.0 / ((1.0 - p) * (1.0 + p * alpha ** 2))) ** 0.5
    b = -a * alpha * p
    dtype = input._data.dtype
    mask = Tensor((keep * a).astype(dtype))
    shift = Tensor(((~keep) * (alpha * a) + b).astype(dtype))
    out = input * mask + shift
    return input.copy_(out) if inplace else out
