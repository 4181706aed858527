"""Fractional max pooling: ``fractional_max_pool2d``/``3d`` and their ``_with_indices`` forms."""
from __future__ import annotations

from typing import Any

from latte import creation
from latte.nn.functional._device import on_input_device
from latte.nn.functional.conv import _ints
from latte.ops.fractional_pool import FractionalMaxPool
from latte.tensor import Tensor

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}
# which sample of a plane each spatial dim uses (PyTorch's kernels: W, H in 2-D; T, H, W in 3-D)
_SAMPLE_ORDER = {2: (1, 0), 3: (0, 1, 2)}


def _ratios(value: Any, d: int) -> tuple:
    if isinstance(value, (int, float)):
        return (float(value),) * d
    items = tuple(float(v) for v in value)
    return items * d if len(items) == 1 else items


@on_input_device
def _fractional_max_pool(input: Tensor, d: int, kernel_size: Any, output_size: Any,
                         output_ratio: Any, _random_samples: Tensor | None) -> tuple:
    fn = f"fractional_max_pool{d}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if input.dim() not in (d + 1, d + 2):
        raise RuntimeError(f"{fn}(): Expected {d + 1}D or {d + 2}D tensor, but got "
                           f"{input.dim()}D input of shape {tuple(input.shape)}")
    if not input.is_floating_point():
        raise RuntimeError(f"{fn}: expected a floating point input, got {input.dtype}")
    kernel = _ints(kernel_size, d, "kernel_size")
    spatial = tuple(input.shape[-d:])
    prefix = fn if d == 2 else fn + "_out"
    if output_size is None:
        ratio = _ratios(output_ratio, d)
        if len(ratio) != d:
            raise ValueError(f"{fn} requires output_ratio to either be a single Int or tuple "
                             f"of Ints.")
        output_size = tuple(int(s * r) for s, r in zip(spatial, ratio))
    out = _ints(output_size, d, "output_size")
    for name, k, o, s in zip(_DIM_NAMES[d], kernel, out, spatial):
        # PyTorch's 3-D kernel wants one spare input element more than its 2-D one
        if o + k - 1 > s - (d == 3):
            raise RuntimeError(f"{prefix}(): pool {name} {k} too large relative to input {name} "
                               f"{s}")
    n = input.shape[0] if input.dim() == d + 2 else 1
    c = input.shape[-d - 1]
    if _random_samples is None:
        _random_samples = creation.rand(n, c, d, dtype=input.dtype, device=input.device)
    elif _random_samples.dim() != 3 or _random_samples.shape[2] != d:
        raise RuntimeError(f"Expect _random_samples to be 3D with size(2) equal to {d}, got "
                           f"shape {tuple(_random_samples.shape)}.")
    elif _random_samples.shape[1] != c:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    elif _random_samples.shape[0] < n:
        raise RuntimeError(f"Expect _random_samples.size(0) no less than input batch size "
                           f"{n}; got {_random_samples.shape[0]}.")
    samples = _random_samples._data[:n]
    return FractionalMaxPool.apply(input, samples, kernel, out, _SAMPLE_ORDER[d])


def fractional_max_pool2d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """2-D fractional max pooling of ``(N, C, H, W)`` (or ``(C, H, W)``): the maximum of each
    ``kernel_size`` window, windows placed at pseudo-random steps so that the output has
    ``output_size`` (or ``int(input_size * output_ratio)``) elements per dim; also the flat
    position of each maximum in its ``H * W`` plane.

    ``_random_samples`` ``(N, C, 2)`` in [0, 1) fix the windows (PyTorch's, W then H);
    omitted, they are drawn from Latte's seeded generator.

    Example::

        >>> x = latte.arange(16.0).reshape(1, 1, 4, 4)
        >>> u = latte.tensor([[[0.5, 0.5]]])
        >>> F.fractional_max_pool2d_with_indices(x, 2, output_size=2, _random_samples=u)[1]
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    return _fractional_max_pool(input, 2, kernel_size, output_size, output_ratio,
                                _random_samples)


def fractional_max_pool2d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """2-D fractional max pooling of ``(N, C, H, W)`` (or ``(C, H, W)``); with
    ``return_indices`` also the flat positions of the maxima. See
    :func:`fractional_max_pool2d_with_indices`.

    Example::

        >>> F.fractional_max_pool2d(latte.randn(1, 3, 9, 9), 3, output_ratio=0.5).shape
        latte.Size([1, 3, 4, 4])
    """
    values, indices = fractional_max_pool2d_with_indices(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return (values, indices) if return_indices else values


def fractional_max_pool3d_with_indices(input: Tensor, kernel_size: Any, output_size: Any = None,
                                       output_ratio: Any = None, return_indices: bool = False,
                                       _random_samples: Tensor | None = None
                                       ) -> tuple[Tensor, Tensor]:
    """3-D fractional max pooling of ``(N, C, T, H, W)`` (or ``(C, T, H, W)``) and the flat
    position of each maximum in its ``T * H * W`` volume; ``_random_samples`` ``(N, C, 3)``
    (T, H, W). See :func:`fractional_max_pool2d_with_indices`.

    Example::

        >>> x = latte.randn(1, 2, 6, 6, 6)
        >>> F.fractional_max_pool3d_with_indices(x, 2, output_size=3)[0].shape
        latte.Size([1, 2, 3, 3, 3])
    """
    return _fractional_max_pool(input, 3, kernel_size, output_size, output_ratio,
                                _random_samples)


def fractional_max_pool3d(input: Tensor, kernel_size: Any, output_size: Any = None,
                          output_ratio: Any = None, return_indices: bool = False,
                          _random_samples: Tensor | None = None) -> Any:
    """3-D fractional max pooling of ``(N, C, T, H, W)`` (or ``(C, T, H, W)``); with
    ``return_indices`` also the flat positions of the maxima. See
    :func:`fractional_max_pool3d_with_indices`.

    Example::

        >>> F.fractional_max_pool3d(latte.randn(1, 2, 8, 8, 8), 2, output_ratio=0.5).shape
        latte.Size([1, 2, 4, 4, 4])
    """
    values, indices = fractional_max_pool3d_with_indices(
        input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    return (values, indices) if return_indices else values
