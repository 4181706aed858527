"""The generated toy data sets."""
from __future__ import annotations

import math

import numpy as np

import latte
from latte.utils.data import DataLoader
from latte.vision.datasets import Blobs, Circle, make_blobs, make_circle, make_spirals


def test_circle_task_definition():
    x, y = make_circle(1000, seed=0)
    assert tuple(x.shape) == (1000, 2) and x.dtype == latte.float32 and y.dtype == latte.int64
    pts = x.numpy()
    assert pts.min() >= 0 and pts.max() < 1
    inside = np.hypot(pts[:, 0] - 0.5, pts[:, 1] - 0.5) < 1 / math.sqrt(2 * math.pi)
    np.testing.assert_array_equal(y.numpy(), inside)
    assert 400 < y.numpy().sum() < 600  # the disc is half the square


def test_seeds_repeat_and_differ():
    a, b, c = make_circle(50, seed=1), make_circle(50, seed=1), make_circle(50, seed=2)
    np.testing.assert_array_equal(a[0].numpy(), b[0].numpy())
    assert not np.array_equal(a[0].numpy(), c[0].numpy())
    g1, g2 = latte.Generator().manual_seed(3), latte.Generator().manual_seed(3)
    np.testing.assert_array_equal(make_spirals(20, generator=g1)[0].numpy(),
                                  make_spirals(20, generator=g2)[0].numpy())


def test_spirals_and_blobs_shapes_and_labels():
    x, y = make_spirals(300, classes=3, noise=0.0, seed=0)
    assert np.bincount(y.numpy()).tolist() == [100, 100, 100]
    assert np.all(np.linalg.norm(x.numpy(), axis=1) <= 1 + 1e-6)
    centers = np.array([[0.0, 0.0], [10.0, 10.0]])
    x, y = make_blobs(400, centers=centers, std=0.1, seed=0)
    for k in range(2):
        np.testing.assert_allclose(x.numpy()[y.numpy() == k].mean(axis=0), centers[k],
                                   atol=0.05)
    assert tuple(make_blobs(10, centers=4, n_features=5)[0].shape) == (10, 5)


def test_datasets_batch_through_the_loader():
    ds = Circle(100, seed=0)
    x, y = next(iter(DataLoader(ds, batch_size=32)))
    assert tuple(x.shape) == (32, 2) and tuple(y.shape) == (32,)
    assert len(Blobs(60, centers=3)) == 60
