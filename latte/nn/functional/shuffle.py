"""``pixel_shuffle``, ``pixel_unshuffle`` and ``channel_shuffle``: pure reshapes and
permutations."""
from __future__ import annotations

from latte.tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C * r^2, H, W) -> (*, C, H * r, W * r)`` with ``r = upscale_factor``: each group
    of ``r^2`` channels becomes an ``r x r`` block of pixels.

    Example::

        >>> F.pixel_shuffle(latte.randn(1, 8, 3, 3), 2).shape
        latte.Size([1, 2, 6, 6])
    """
    r = upscale_factor
    if input.dim() < 3 or r <= 0 or input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects input (*, C*r^2, H, W) with its channels "
                           f"divisible by upscale_factor^2={r * r}, got shape "
                           f"{tuple(input.shape)}")
    *lead, ch, h, w = input.shape
    c = ch // (r * r)
    x = input.reshape(-1, c, r, r, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(*lead, c, h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H * r, W * r) -> (*, C * r^2, H, W)``: the inverse of :func:`pixel_shuffle`."""
    r = downscale_factor
    if input.dim() < 3 or r <= 0 or input.shape[-2] % r or input.shape[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects input (*, C, H, W) with H and W divisible "
                           f"by downscale_factor={r}, got shape {tuple(input.shape)}")
    *lead, c, hr, wr = input.shape
    h, w = hr // r, wr // r
    x = input.reshape(-1, c, h, r, w, r).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(*lead, c * r * r, h, w)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave the channels of ``(N, C, *)`` split into ``groups`` groups (ShuffleNet):
    ``(N, g, C/g, *) -> (N, C/g, g, *)``, flattened back."""
    if input.dim() < 3 or groups <= 0 or input.shape[1] % groups:
        raise RuntimeError(f"channel_shuffle expects input (N, C, *) with C divisible by "
                           f"groups={groups}, got shape {tuple(input.shape)}")
    n, c, *rest = input.shape
    x = input.reshape(n, groups, c // groups, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)
