"""Spatial transformers: ``affine_grid`` and ``grid_sample`` for 4-D (N, C, H, W) inputs.

Bilinear ``grid_sample`` is the primitive ``GridSample`` (``ops/grid_sample.py``); nearest is
a gather of the rounded source pixels, differentiable in ``input``; bicubic is composed from
sixteen gathers weighted by cubic polynomials of the grid, so both gradients come from autograd.
All share the source coordinate rules of the padding modes.
"""
from __future__ import annotations

import itertools
import math
from typing import Any

from latte.nn.functional._device import on_input_device
from latte.ops.grid_sample import GridSample, flat_index, pad_coordinates, source, unnormalize
from latte.ops.index import Gather
from latte.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_CUBIC_A = -0.75  # PyTorch's cubic convolution parameter, as in interpolate(mode='bicubic')
_PADDINGS = ("zeros", "border", "reflection")


def _base_coords(xp: Any, dtype: Any, steps: int, align_corners: bool) -> Any:
    """PyTorch's normalised pixel positions along one axis: ``linspace(-1, 1)``, shrunk by
    ``(n - 1) / n`` to pixel centres without ``align_corners``; a single pixel sits at 0."""
    if steps <= 1:
        return xp.zeros(max(steps, 0), dtype=dtype)
    coords = xp.linspace(-1, 1, steps, dtype=dtype)
    if not align_corners:
        coords = coords * dtype.type((steps - 1) / steps)
    return coords


@on_input_device
def affine_grid(theta: Tensor, size: Any, align_corners: bool | None = None) -> Tensor:
    """Sampling grid (N, H, W, 2) of the affine maps ``theta`` (N, 2, 3) for an output of
    ``size`` (N, C, H, W), or (N, D, H, W, 3) of ``theta`` (N, 3, 4) for (N, C, D, H, W), as
    ``torch.nn.functional.affine_grid``; differentiable in ``theta``.

    ``align_corners=None`` means ``False`` (PyTorch's default, here without its warning).

    Example::

        >>> theta = latte.tensor([[[1.0, 0, 0], [0, 1, 0]]])
        >>> F.affine_grid(theta, (1, 3, 4, 5)).shape
        latte.Size([1, 4, 5, 2])
    """
    if not isinstance(theta, Tensor) or not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got "
                         f"{getattr(theta, 'dtype', type(theta).__name__)}")
    size = tuple(int(s) for s in size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {list(size)}.")
    spatial = size[2:]
    dims = len(spatial)
    if theta.ndim != 3 or tuple(theta.shape) != (size[0], dims, dims + 1):
        raise ValueError(f"Expected a batch of {dims}D affine matrices of shape "
                         f"Nx{dims}x{dims + 1} for size {list(size)}. "
                         f"Got {list(theta.shape)}.")
    if min(spatial) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    xp = theta._xp()
    dtype = xp.dtype(theta._data.dtype)
    base = xp.empty((*spatial, dims + 1), dtype=dtype)  # (x, y[, z], 1) per output point
    for k, steps in enumerate(reversed(spatial)):  # x runs along the last dim
        shape = [1] * dims
        shape[dims - 1 - k] = steps
        base[..., k] = _base_coords(xp, dtype, steps, bool(align_corners)).reshape(shape)
    base[..., dims] = 1
    points = math.prod(spatial)
    grid = Tensor(base.reshape(1, points, dims + 1)) @ theta.transpose(1, 2)
    return grid.reshape(size[0], *spatial, dims)


def _check(input: Any, grid: Any, mode: str, padding_mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if not isinstance(grid, Tensor):
        raise TypeError(f"grid_sample(): argument 'grid' must be Tensor, not "
                        f"{type(grid).__name__}")
    if input.ndim not in (4, 5):
        raise NotImplementedError(f"grid_sample: expected 4D (N, C, H, W) or 5D (N, C, D, H, W) "
                                  f"input, got input of shape {list(input.shape)}")
    dims = input.ndim - 2
    if grid.ndim != input.ndim or grid.shape[-1] != dims or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid of shape (N, *out, {dims}) with "
                           f"N = input.size(0), but got input of shape {list(input.shape)} and "
                           f"grid of shape {list(grid.shape)}")
    if mode == "bicubic" and dims == 3:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")


@on_input_device
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the normalised points ``grid`` (N, H_out, W_out, 2),
    as ``torch.nn.functional.grid_sample``; returns (N, C, H_out, W_out). A volume
    (N, C, D, H, W) takes ``grid`` (N, D_out, H_out, W_out, 3), ``'bilinear'`` then meaning
    trilinear.

    ``grid[..., 0]`` is x (width) and ``grid[..., 1]`` y (height), -1 and 1 being the outer
    edges of the corner pixels (``align_corners=False``, the default) or their centres
    (``True``). Points outside read zeros, the border value, or the reflected image
    (``padding_mode``). ``'bilinear'`` is differentiable in ``input`` and ``grid``;
    ``'nearest'`` (rounding half to even) in ``input`` only (``grid`` gets zeros);
    ``'bicubic'`` weighs the 4x4 nearest pixels with Keys' cubic (``a = -0.75``), the padding
    rule applied to each of them, and is differentiable in both.

    Example::

        >>> theta = latte.tensor([[[0.5, 0, 0], [0, 0.5, 0]]])
        >>> x = latte.randn(1, 3, 8, 8)
        >>> F.grid_sample(x, F.affine_grid(theta, x.shape)).shape
        latte.Size([1, 3, 8, 8])
    """
    _check(input, grid, mode, padding_mode)
    align = bool(align_corners)
    if input.ndim == 5:
        return _sample_3d(input, grid, mode, padding_mode, align)
    if mode == "bilinear":
        return GridSample.apply(input, grid, padding_mode, align)
    if mode == "bicubic":
        return _bicubic(input, grid, padding_mode, align)
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    xp = input._xp()
    g = grid._data
    ix, _ = source(xp, g[..., 0], w, padding_mode, align)
    iy, _ = source(xp, g[..., 1], h, padding_mode, align)
    xs, ys = xp.rint(ix), xp.rint(iy)  # nearbyint: halves go to even, as PyTorch
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    pos = flat_index(xp, xs, ys, inside, w)
    idx = xp.broadcast_to(pos.reshape(n, 1, ho * wo), (n, c, ho * wo))
    picked = Gather.apply(input.reshape(n, c, h * w), 2, xp.ascontiguousarray(idx))
    out = picked * Tensor(inside.reshape(n, 1, ho * wo).astype(g.dtype))
    if grid.requires_grad:  # PyTorch gives grid a zero gradient in nearest mode
        out = out + grid.sum() * 0
    return out.reshape(n, c, ho, wo)


def _cubic_coefficients(t: Tensor) -> list[Tensor]:
    """Keys' weights of the taps at offsets -1, 0, 1, 2 from the floor, for fractions ``t``."""
    a = _CUBIC_A

    def near(d: Tensor) -> Tensor:  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d: Tensor) -> Tensor:  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _bicubic(input: Tensor, grid: Tensor, padding_mode: str, align: bool) -> Tensor:
    """PyTorch's bicubic ``grid_sample``: cubic along x in each of four rows, then along y."""
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    xp = input._xp()
    g = grid.reshape(n, 1, ho * wo, 2)
    ix, iy = unnormalize(g[..., 0], w, align), unnormalize(g[..., 1], h, align)
    x0, y0 = xp.floor(ix._data), xp.floor(iy._data)
    cx = _cubic_coefficients(ix - Tensor(x0))
    cy = _cubic_coefficients(iy - Tensor(y0))
    flat = input.reshape(n, c, h * w)
    dtype = grid._data.dtype
    out = None
    for dy, wy in zip(range(-1, 3), cy):
        ty = pad_coordinates(xp, y0 + dy, h, padding_mode, align)
        row = None
        for dx, wx in zip(range(-1, 3), cx):
            tx = pad_coordinates(xp, x0 + dx, w, padding_mode, align)
            inside = (tx >= 0) & (tx <= w - 1) & (ty >= 0) & (ty <= h - 1)
            idx = xp.broadcast_to(flat_index(xp, tx, ty, inside, w), (n, c, ho * wo))
            tap = Gather.apply(flat, 2, xp.ascontiguousarray(idx)) * Tensor(inside.astype(dtype))
            row = tap * wx if row is None else row + tap * wx
        out = row * wy if out is None else out + row * wy
    return out.reshape(n, c, ho, wo)


def _sample_3d(input: Tensor, grid: Tensor, mode: str, padding: str, align: bool) -> Tensor:
    """Trilinear or nearest sampling of a volume, composed from gathers: each fraction is
    ``(g - g.detach()) * slope + value``, whose derivative is the padding rule's slope."""
    n, c, d, h, w = input.shape
    out_shape = tuple(grid.shape[1:4])
    xp = input._xp()
    dtype = grid._data.dtype
    g = grid.reshape(n, 1, -1, 3)
    sizes = (w, h, d)
    pos = [source(xp, g._data[..., k], sizes[k], padding, align) for k in range(3)]
    flat = input.reshape(n, c, d * h * w)
    points = g.shape[2]

    def tap(corner: list) -> Tensor:  # the input at integer points, zero off the volume
        inside = xp.ones(corner[0].shape, dtype=bool)
        for k, v in enumerate(corner):
            inside &= (v >= 0) & (v <= sizes[k] - 1)
        z = xp.where(inside, corner[2], 0).astype(xp.int64)
        idx = flat_index(xp, corner[0], corner[1], inside, w) + z * (h * w)
        idx = xp.ascontiguousarray(xp.broadcast_to(idx, (n, c, points)))
        return Gather.apply(flat, 2, idx) * Tensor(inside.astype(dtype))

    if mode == "nearest":
        out = tap([xp.rint(p) for p, _ in pos])  # halves to even, as PyTorch's nearbyint
        if grid.requires_grad:  # PyTorch gives grid a zero gradient in nearest mode
            out = out + grid.sum() * 0
        return out.reshape(n, c, *out_shape)
    floors = [xp.floor(p) for p, _ in pos]
    fracs = [(g[..., k] - g[..., k].detach()) * Tensor(slope) + Tensor(p - floors[k])
             for k, (p, slope) in enumerate(pos)]
    out = None
    for offsets in itertools.product((0, 1), repeat=3):
        weight = None
        for f, o in zip(fracs, offsets):
            factor = f if o else 1 - f
            weight = factor if weight is None else weight * factor
        term = tap([fl + o for fl, o in zip(floors, offsets)]) * weight
        out = term if out is None else out + term
    return out.reshape(n, c, *out_shape)
