"""Batch norm, ReLU and max pooling on large activations, where they run block by block over
the threads (``ops/channel_tiles.py``, ``ops/dense_blocks.py``, ``ops/pool.py``, and the
compiled kernels of ``ops/compiled/``): every memory layout they meet, against a float64
reference, and the same numbers at any thread count."""
from __future__ import annotations

import numpy as np
import pytest

import latte
import latte.nn.functional as F
from latte.ops import channel_tiles, compiled, dense_blocks, pool
from latte.ops.channel_tiles import ChannelTiles
from latte.ops.dense_blocks import flat_memory


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 4 K elements, so that every case below runs as many blocks."""
    monkeypatch.setattr(channel_tiles, "_BLOCK_ITEMS", 1 << 12)
    monkeypatch.setattr(dense_blocks, "_BLOCK_ITEMS", 1 << 12)
    if compiled.available:  # and every thread gets blocks
        from latte.ops.compiled import batch_norm
        monkeypatch.setattr(batch_norm, "_BLOCK_ITEMS", 1 << 12)
        monkeypatch.setattr(batch_norm, "_MIN_SPAN_ITEMS", 1 << 12)


@pytest.fixture
def threads():
    previous = latte.get_num_threads()
    yield latte.set_num_threads
    latte.set_num_threads(previous)


def _layout(shape: tuple, layout: str, rng: np.random.Generator, offset: float = 0.0):
    """A float32 array of NCHW ``shape`` in ``layout``: C order, channels-last, or a strided
    slice of a larger array (not dense)."""
    n, c, h, w = shape
    if layout == "channels_last":
        a = rng.standard_normal((n, h, w, c)).transpose(0, 3, 1, 2)
    elif layout == "strided":
        a = rng.standard_normal((n, c, h, 2 * w))[..., ::2]
    else:
        a = rng.standard_normal(shape)
    return (a * 3 + offset).astype(np.float32)


# (shape, layout): channels-last with a short channel run (tiled rows) and an odd pixel count
# (no tiling), NCHW with long planes (a row per plane) and short ones (a row per image)
CASES = [((64, 16, 28, 28), "channels_last"), ((5, 3, 33, 31), "channels_last"),
         ((16, 32, 20, 20), "contiguous"), ((300, 24, 4, 4), "contiguous"),
         ((8, 16, 24, 24), "strided"), ((512, 700, 1, 1), "contiguous")]


def _reference(x: np.ndarray, w: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple:
    """Batch norm's output and gradients (x, weight, bias) in float64."""
    x, g = x.astype(np.float64), g.astype(np.float64)
    axes = (0, 2, 3)
    mean = x.mean(axes, keepdims=True)
    invstd = 1 / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    xhat = (x - mean) * invstd
    wv = w.reshape(1, -1, 1, 1).astype(np.float64)
    dxhat = g * wv
    dx = invstd * (dxhat - dxhat.mean(axes, keepdims=True)
                   - xhat * (dxhat * xhat).mean(axes, keepdims=True))
    return xhat * wv + b.reshape(1, -1, 1, 1), dx, (g * xhat).sum(axes), g.sum(axes)


@pytest.mark.parametrize("shape,layout", CASES, ids=[f"{s}-{k}" for s, k in CASES])
def test_batch_norm_matches_float64_in_every_layout(kernel_path, shape, layout):
    rng = np.random.default_rng(0)
    x = _layout(shape, layout, rng, offset=50.0)  # offset large against the spread
    g = _layout(shape, layout, rng)
    w = rng.uniform(0.5, 1.5, shape[1]).astype(np.float32)
    b = rng.uniform(-1, 1, shape[1]).astype(np.float32)
    lx = latte.from_numpy(x).requires_grad_()
    lw, lb = latte.tensor(w, requires_grad=True), latte.tensor(b, requires_grad=True)
    y = F.batch_norm(lx, None, None, lw, lb, training=True)
    y.backward(latte.from_numpy(g))
    ref_y, ref_dx, ref_dw, ref_db = _reference(x, w, b, g)
    np.testing.assert_allclose(y.detach().numpy(), ref_y, rtol=0, atol=2e-5)
    np.testing.assert_allclose(lx.grad.numpy(), ref_dx, rtol=0, atol=2e-5 * np.abs(ref_dx).max())
    np.testing.assert_allclose(lw.grad.numpy(), ref_dw, rtol=1e-5, atol=1e-2)
    np.testing.assert_allclose(lb.grad.numpy(), ref_db, rtol=1e-5, atol=1e-2)


@pytest.mark.parametrize("shape,layout", CASES[:3], ids=[f"{s}-{k}" for s, k in CASES[:3]])
def test_batch_norm_gives_the_same_numbers_at_any_thread_count(kernel_path, threads, small_blocks,
                                                               shape, layout):
    rng = np.random.default_rng(1)
    x, g = _layout(shape, layout, rng, 5.0), _layout(shape, layout, rng)
    results = []
    for count in (1, 2, 3):
        threads(count)
        lx = latte.from_numpy(x).requires_grad_()
        y = F.batch_norm(lx, None, None, training=True)
        y.backward(latte.from_numpy(g))
        results.append((y.detach().numpy(), lx.grad.numpy()))
    for y, dx in results[1:]:
        np.testing.assert_array_equal(y, results[0][0])
        np.testing.assert_array_equal(dx, results[0][1])


def test_batch_norm_output_keeps_the_input_layout(kernel_path):
    x = _layout((64, 16, 28, 28), "channels_last", np.random.default_rng(2))
    y = F.batch_norm(latte.from_numpy(x), None, None, training=True).numpy()
    assert y.transpose(0, 2, 3, 1).flags.c_contiguous


def test_channel_tiles_spread_and_total_agree_with_the_channel_axis():
    rng = np.random.default_rng(3)
    for shape, layout in CASES:
        x = _layout(shape, layout, rng)
        tiles = ChannelTiles(x)
        v = np.arange(shape[1], dtype=np.float64)
        # a spread vector broadcast over the matrix is the vector along the channel axis
        spread = np.broadcast_to(tiles.spread(v, np.float64), tiles.matrix_shape)
        m, shown = tiles.empty(np.float64)
        m[...] = spread
        np.testing.assert_array_equal(shown, np.broadcast_to(v.reshape(1, -1, 1, 1), shape))
        total = tiles.total(tiles.map(lambda rows, t=tiles: t.sums(t.matrix[rows])))
        np.testing.assert_allclose(total, x.astype(np.float64).sum((0, 2, 3)), rtol=1e-6,
                                   atol=1e-3)


@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "strided"])
def test_relu_and_its_gradient_on_large_arrays(kernel_path, threads, small_blocks, layout):
    rng = np.random.default_rng(4)
    x = _layout((32, 16, 30, 30), layout, rng)
    x[3, 2, 1, :3] = np.nan, -np.inf, np.inf  # NaN stays NaN (and passes its gradient)
    g = _layout((32, 16, 30, 30), layout, rng)
    outs = []
    for count in (1, 2):
        threads(count)
        lx = latte.from_numpy(x).requires_grad_()
        y = F.relu(lx * 1.0)
        y.backward(latte.from_numpy(g))
        np.testing.assert_array_equal(y.detach().numpy(), np.maximum(x, 0))
        # PyTorch's rule: no gradient where the output is <= 0 (a NaN output passes it)
        np.testing.assert_array_equal(lx.grad.numpy(), np.where(np.maximum(x, 0) <= 0, 0, g))
        outs.append(lx.grad.numpy())
    np.testing.assert_array_equal(outs[0], outs[1])


def test_relu_in_place_on_a_large_array_writes_the_input(kernel_path):
    x = latte.from_numpy(_layout((32, 16, 30, 30), "channels_last", np.random.default_rng(5)))
    expected = np.maximum(x.numpy(), 0)
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), expected)


def test_flat_memory_needs_one_dense_layout():
    a = np.zeros((8, 16, 64, 64), np.float32)
    last = np.zeros((8, 64, 64, 16), np.float32).transpose(0, 3, 1, 2)
    assert flat_memory(a, a.copy()) is not None
    assert flat_memory(a, last) is None  # strides differ
    assert flat_memory(a[..., ::2]) is None  # gaps
    assert flat_memory(a[:1, :1]) is None  # too small to be worth blocks
    (flat,) = flat_memory(last)
    assert flat.base is not None and np.shares_memory(flat, last)


def _max_pool_step(x: np.ndarray, g: np.ndarray, kernel: int, stride: int):
    t = latte.tensor(x, requires_grad=True)
    y = F.max_pool2d(t, kernel, stride)
    y.backward(latte.tensor(g))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 2), (3, 1)])
def test_max_pool_in_blocks_matches_one_pass(threads, monkeypatch, kernel, stride):
    # ties (rounded values), a NaN and overlapping windows; blocks of one image over two
    # threads against a single block on one thread: the same maxima and routed gradient
    rng = np.random.default_rng(3)
    x = np.round(_layout((12, 8, 14, 14), "channels_last", rng))
    x[5, 2, 3, 4] = np.nan
    out_hw = (14 - kernel) // stride + 1
    g = rng.standard_normal((12, 8, out_hw, out_hw)).astype(np.float32)
    threads(1)
    monkeypatch.setattr(pool, "_BLOCK_ITEMS", 1 << 30)
    monkeypatch.setattr(pool, "_SPAN_WORK", 1 << 30)
    y_one, gx_one = _max_pool_step(x, g, kernel, stride)
    threads(2)
    monkeypatch.setattr(pool, "_BLOCK_ITEMS", 1)
    monkeypatch.setattr(pool, "_SPAN_WORK", 1)
    y_blocks, gx_blocks = _max_pool_step(x, g, kernel, stride)
    np.testing.assert_array_equal(y_blocks, y_one)
    np.testing.assert_array_equal(gx_blocks, gx_one)
    assert np.isnan(y_one[5, 2]).any()
    # every output's gradient lands on exactly one input: the first maximum of its window
    assert np.isclose(np.nansum(gx_one), g.sum(), rtol=1e-4)
