"""Small generated data sets for tests and teaching: the circle task, spirals, Gaussian blobs.

Each ``make_*`` function returns ``(x, y)``: float32 points ``(N, 2)`` (``(N, D)`` for blobs)
and int64 labels ``(N,)``, drawn from ``generator`` (or a fresh one seeded with ``seed``), so a
call repeats exactly. The classes of the same names wrap them as a ``TensorDataset``.
"""
from __future__ import annotations

import math

import numpy as np

from latte.random import Generator, _rng
from latte.tensor import Tensor
from latte.utils.data import TensorDataset

__all__ = ["make_circle", "make_spirals", "make_blobs", "Circle", "Spirals", "Blobs"]

CIRCLE_RADIUS = 1.0 / math.sqrt(2.0 * math.pi)  # the disc covers half of the unit square


def _source(seed: int | None, generator: Generator | None) -> np.random.Generator:
    if generator is not None:
        return _rng(generator)
    return np.random.default_rng(seed)


def make_circle(n: int = 1000, seed: int | None = 0,
                generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """``n`` points uniform in ``[0, 1]^2``; label 1 inside the circle of centre (0.5, 0.5) and
    radius ``1/sqrt(2*pi)`` (half the square's area), else 0.

    Example::

        >>> x, y = make_circle(1000, seed=0)     # (1000, 2) float32, (1000,) int64
    """
    x = _source(seed, generator).random((n, 2))
    inside = ((x - 0.5) ** 2).sum(axis=1) < CIRCLE_RADIUS ** 2
    return Tensor(x.astype(np.float32)), Tensor(inside.astype(np.int64))


def make_spirals(n: int = 1000, classes: int = 2, turns: float = 1.5, noise: float = 0.05,
                 seed: int | None = 0,
                 generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """``classes`` interleaved spiral arms in the plane (``n`` points split evenly).

    Arm ``k`` is ``r * (cos t, sin t)`` with ``r`` in ``[0, 1]`` and
    ``t = turns * 2 pi * r + 2 pi k / classes``, plus Gaussian ``noise``.

    Example::

        >>> x, y = make_spirals(300, classes=3, seed=1)   # (300, 2), labels 0..2
    """
    rng = _source(seed, generator)
    y = np.arange(n) % classes
    r = rng.random(n)
    t = turns * 2.0 * math.pi * r + 2.0 * math.pi * y / classes
    x = np.stack([r * np.cos(t), r * np.sin(t)], axis=1) + noise * rng.standard_normal((n, 2))
    return Tensor(x.astype(np.float32)), Tensor(y.astype(np.int64))


def make_blobs(n: int = 1000, centers: int | np.ndarray = 3, n_features: int = 2,
               std: float = 1.0, box: tuple[float, float] = (-10.0, 10.0), seed: int | None = 0,
               generator: Generator | None = None) -> tuple[Tensor, Tensor]:
    """Isotropic Gaussian clusters: ``n`` points split evenly over ``centers`` blobs.

    ``centers`` is a count (centres drawn uniformly in ``box``) or a ``(K, D)`` array.

    Example::

        >>> x, y = make_blobs(600, centers=[[0, 0], [5, 5]], std=0.5)
    """
    rng = _source(seed, generator)
    if np.isscalar(centers):
        means = rng.uniform(box[0], box[1], size=(int(centers), n_features))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2:
            raise ValueError(f"centers must be a count or a (K, D) array, got shape {means.shape}")
    y = np.arange(n) % len(means)
    x = means[y] + std * rng.standard_normal((n, means.shape[1]))
    return Tensor(x.astype(np.float32)), Tensor(y.astype(np.int64))


class Circle(TensorDataset):
    """The circle task as a dataset: ``Circle(1000, seed=0)[i]`` is ``(point (2,), label ())``."""

    def __init__(self, n: int = 1000, seed: int | None = 0,
                 generator: Generator | None = None) -> None:
        super().__init__(*make_circle(n, seed, generator))


class Spirals(TensorDataset):
    """``make_spirals`` as a dataset."""

    def __init__(self, n: int = 1000, classes: int = 2, noise: float = 0.05,
                 seed: int | None = 0, generator: Generator | None = None) -> None:
        super().__init__(*make_spirals(n, classes, noise=noise, seed=seed, generator=generator))


class Blobs(TensorDataset):
    """``make_blobs`` as a dataset."""

    def __init__(self, n: int = 1000, centers: int | np.ndarray = 3, n_features: int = 2,
                 std: float = 1.0, seed: int | None = 0,
                 generator: Generator | None = None) -> None:
        super().__init__(*make_blobs(n, centers, n_features, std, seed=seed, generator=generator))
