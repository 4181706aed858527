"""Spatial transformers: ``affine_grid`` and ``grid_sample`` for 4-D (N, C, H, W) inputs.

Bilinear ``grid_sample`` is the primitive ``GridSample`` (``ops/grid_sample.py``); nearest is
a gather of the rounded source pixels, differentiable in ``input``. Both share the source
coordinate rules of the padding modes.
"""
from __future__ import annotations

from typing import Any

from latte.nn.functional._device import on_input_device
from latte.ops.grid_sample import GridSample, source
from latte.ops.index import Gather
from latte.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest")
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
    ``size`` (N, C, H, W), as ``torch.nn.functional.affine_grid``; differentiable in ``theta``.

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
    if len(size) != 4:
        raise NotImplementedError(f"affine_grid only supports 4D sizes (N, C, H, W) in Latte, "
                                  f"got size {list(size)}")
    n, _, h, w = size
    if theta.ndim != 3 or tuple(theta.shape) != (n, 2, 3):
        raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                         f"{list(size)}. Got {list(theta.shape)}.")
    if min(size[2:]) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {list(size)}")
    xp = theta._xp()
    dtype = xp.dtype(theta._data.dtype)
    xs = _base_coords(xp, dtype, w, bool(align_corners))
    ys = _base_coords(xp, dtype, h, bool(align_corners))
    base = xp.empty((h, w, 3), dtype=dtype)  # (x, y, 1) per output pixel
    base[..., 0] = xs[None, :]
    base[..., 1] = ys[:, None]
    base[..., 2] = 1
    grid = Tensor(base.reshape(1, h * w, 3)) @ theta.transpose(1, 2)
    return grid.reshape(n, h, w, 2)


def _check(input: Any, grid: Any, mode: str, padding_mode: str) -> None:
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear' or "
                         f"'nearest' (Latte has no 'bicubic'), but got: '{mode}'")
    if padding_mode not in _PADDINGS:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if not isinstance(grid, Tensor):
        raise TypeError(f"grid_sample(): argument 'grid' must be Tensor, not "
                        f"{type(grid).__name__}")
    if input.ndim != 4:
        raise NotImplementedError(f"grid_sample: Latte supports 4D input (N, C, H, W) only, "
                                  f"got input of shape {list(input.shape)}")
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid of shape (N, H_out, W_out, 2) with "
                           f"N = input.size(0), but got input of shape {list(input.shape)} and "
                           f"grid of shape {list(grid.shape)}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")


@on_input_device
def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear",
                padding_mode: str = "zeros", align_corners: bool | None = None) -> Tensor:
    """Sample ``input`` (N, C, H, W) at the normalised points ``grid`` (N, H_out, W_out, 2),
    as ``torch.nn.functional.grid_sample``; returns (N, C, H_out, W_out).

    ``grid[..., 0]`` is x (width) and ``grid[..., 1]`` y (height), -1 and 1 being the outer
    edges of the corner pixels (``align_corners=False``, the default) or their centres
    (``True``). Points outside read zeros, the border value, or the reflected image
    (``padding_mode``). ``'bilinear'`` is differentiable in ``input`` and ``grid``;
    ``'nearest'`` (rounding half to even) in ``input`` only (``grid`` gets zeros).

    Example::

        >>> theta = latte.tensor([[[0.5, 0, 0], [0, 0.5, 0]]])
        >>> x = latte.randn(1, 3, 8, 8)
        >>> F.grid_sample(x, F.affine_grid(theta, x.shape)).shape
        latte.Size([1, 3, 8, 8])
    """
    _check(input, grid, mode, padding_mode)
    align = bool(align_corners)
    if mode == "bilinear":
        return GridSample.apply(input, grid, padding_mode, align)
    n, c, h, w = input.shape
    ho, wo = grid.shape[1], grid.shape[2]
    xp = input._xp()
    g = grid._data
    ix, _ = source(xp, g[..., 0], w, padding_mode, align)
    iy, _ = source(xp, g[..., 1], h, padding_mode, align)
    xs, ys = xp.rint(ix), xp.rint(iy)  # nearbyint: halves go to even, as PyTorch
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    pos = xp.clip(ys, 0, h - 1).astype(xp.int64) * w + xp.clip(xs, 0, w - 1).astype(xp.int64)
    idx = xp.broadcast_to(pos.reshape(n, 1, ho * wo), (n, c, ho * wo))
    picked = Gather.apply(input.reshape(n, c, h * w), 2, xp.ascontiguousarray(idx))
    out = picked * Tensor(inside.reshape(n, 1, ho * wo).astype(g.dtype))
    if grid.requires_grad:  # PyTorch gives grid a zero gradient in nearest mode
        out = out + grid.sum() * 0
    return out.reshape(n, c, ho, wo)
