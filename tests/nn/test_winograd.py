"""Winograd F(2x2, 3x3) convolutions (ops/winograd.py) against the im2col path and PyTorch.

The two paths must agree for every geometry Winograd takes (odd sizes, asymmetric and zero
padding, several batch chunks, NCHW and channels-last inputs), in both gradients and the
double backward; float32 results must be as accurate as im2col's, and the choice of path must
follow the documented rule.
"""
import numpy as np
import pytest

import latte
import latte.nn.functional as F
import latte.ops.conv as conv_ops
from latte.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(7)


@pytest.fixture
def always_winograd(monkeypatch):
    """Take the Winograd path for every 3x3 stride-1 kernel, however narrow."""
    monkeypatch.setattr(conv_ops, "winograd_min_products", 1)
    monkeypatch.setattr(conv_ops, "winograd_min_pixels", 1)


def _direct(monkeypatch, fn):
    """``fn()`` on the im2col path."""
    with monkeypatch.context() as m:
        m.setattr(conv_ops, "winograd_min_products", 10**12)
        return fn()


def _randn(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


GEOMETRIES = [  # (x shape, out channels, pads (top, bottom, left, right))
    ((2, 3, 6, 6), 4, (1, 1, 1, 1)),
    ((3, 5, 7, 7), 2, (0, 0, 0, 0)),   # odd output: the last 2x2 blocks are partly zeros
    ((2, 4, 6, 5), 3, (2, 0, 1, 2)),   # asymmetric padding, odd width
    ((1, 2, 3, 3), 2, (0, 0, 0, 0)),   # a single output
    ((2, 3, 1, 4), 2, (1, 1, 1, 1)),   # one row in
]


@pytest.mark.parametrize("shape,o,pads", GEOMETRIES)
@pytest.mark.parametrize("channels_last", [False, True])
def test_matches_im2col_in_forward_and_both_gradients(always_winograd, monkeypatch, shape, o,
                                                      pads, channels_last):
    x = _randn(*shape)
    if channels_last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    w, b = _randn(o, shape[1], 3, 3), _randn(o)
    geometry = ((1, 1), pads, (1, 1), 1)

    def paths():
        y = conv_ops.conv_forward(x, w, b, *geometry)
        gy = np.cos(np.arange(y.size, dtype=np.float64)).reshape(y.shape)
        gw = conv_ops.conv_weight(x, gy, (3, 3), *geometry)
        gx = conv_ops.conv_transpose(gy, w, None, *geometry, shape[2:])
        return y.copy(), gw.copy(), gx.copy()
    assert conv_ops._uses_winograd(x, (3, 3), o, (1, 1), (1, 1), 1)
    for got, want in zip(paths(), _direct(monkeypatch, paths)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_several_batch_chunks_match_one(always_winograd, monkeypatch):
    x, w = _randn(9, 4, 8, 8), _randn(5, 4, 3, 3)
    gy = _randn(9, 5, 8, 8)

    def both():
        return (conv_ops.conv_forward(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1), 1).copy(),
                conv_ops.conv_weight(x, gy, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1))
    whole = both()
    chunks = []
    real = conv_ops._batch_chunks
    monkeypatch.setattr(conv_ops, "winograd_workspace_bytes", 1)  # one image per chunk
    monkeypatch.setattr(conv_ops, "_batch_chunks",
                        lambda n, b, budget, **kw: chunks.append(real(n, b, budget, **kw))
                        or chunks[-1])
    for got, want in zip(both(), whole):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert [len(c) for c in chunks] == [9, 9]  # forward and weight gradient, image by image


def test_results_do_not_depend_on_the_thread_count(always_winograd):
    x, w = _randn(6, 8, 10, 10, dtype=np.float32), _randn(8, 8, 3, 3, dtype=np.float32)
    gy = _randn(6, 8, 10, 10, dtype=np.float32)
    threads = latte.get_num_threads()
    try:
        results = []
        for n in (1, 2):
            latte.set_num_threads(n)
            results.append((conv_ops.conv_forward(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1),
                                                  1).copy(),
                            conv_ops.conv_weight(x, gy, (3, 3), (1, 1), (1, 1, 1, 1),
                                                 (1, 1), 1)))
    finally:
        latte.set_num_threads(threads)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_gradcheck_and_double_backward(always_winograd):
    x, w, b = (latte.tensor(_randn(*s), requires_grad=True)
               for s in ((2, 3, 5, 4), (2, 3, 3, 3), (2,)))
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1), [x, w, b])
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, padding=(1, 0)), [x, w])


def test_float32_as_accurate_as_im2col(monkeypatch):
    """A layer the rule sends to Winograd (256 -> 256 channels at 8x8): its float32 error
    against float64 stays within twice im2col's, forward and both gradients."""
    x = _randn(4, 256, 8, 8) + 2.0  # an offset large against the spread, as after a ReLU
    w = _randn(256, 256, 3, 3) * (2 / (9 * 256)) ** 0.5
    gy = _randn(4, 256, 8, 8)
    assert conv_ops._uses_winograd(x, (3, 3), 256, (1, 1), (1, 1), 1)

    def outputs(dtype):
        a, k, g = (v.astype(dtype) for v in (x, w, gy))
        geometry = ((1, 1), (1, 1, 1, 1), (1, 1), 1)
        return [conv_ops.conv_forward(a, k, None, *geometry).astype(np.float64),
                conv_ops.conv_weight(a, g, (3, 3), *geometry).astype(np.float64),
                conv_ops.conv_transpose(g, k, None, *geometry, (8, 8)).astype(np.float64)]
    exact = _direct(monkeypatch, lambda: outputs(np.float64))
    winograd = outputs(np.float32)
    direct = _direct(monkeypatch, lambda: outputs(np.float32))
    for name, e, wg, d in zip(("forward", "weight gradient", "input gradient"), exact, winograd,
                              direct):
        err_w, err_d = np.abs(wg - e).max(), np.abs(d - e).max()
        assert err_w <= 2 * err_d, f"{name}: Winograd error {err_w:.3g}, im2col {err_d:.3g}"


def test_matches_torch_on_a_wide_layer():
    torch = pytest.importorskip("torch")
    x, w, b = (_randn(*s, dtype=np.float32) for s in ((2, 128, 9, 9), (256, 128, 3, 3), (256,)))
    w *= 0.03
    assert conv_ops._uses_winograd(x, (3, 3), 256, (1, 1), (1, 1), 1)
    lt = [latte.tensor(a, requires_grad=True) for a in (x, w, b)]
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    lo, to = F.conv2d(*lt, padding=1), torch.nn.functional.conv2d(*tt, padding=1)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-4, atol=1e-4)
    g = _randn(*to.shape, dtype=np.float32)
    lo.backward(latte.tensor(g))
    to.backward(torch.tensor(g))
    for name, a, t in zip(("input", "weight", "bias"), lt, tt):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=2e-3,
                                   err_msg=f"gradient of the {name}")


@pytest.mark.parametrize("kwargs,shape,o,expected", [
    ({}, (2, 128, 8, 8), 256, True),
    ({}, (2, 64, 32, 32), 64, False),          # narrow: the transforms cost more than they save
    ({}, (2, 512, 4, 4), 512, True),           # 4x4: four tiles an image still pay
    ({}, (2, 512, 2, 2), 512, False),          # 2x2: one tile, too few
    ({"stride": (2, 2)}, (2, 256, 8, 8), 256, False),
    ({"dilation": (2, 2)}, (2, 256, 8, 8), 256, False),
    ({"groups": 2}, (2, 256, 8, 8), 256, False),
    ({"kernel": (5, 5)}, (2, 256, 8, 8), 256, False),
])
def test_the_rule_picks_wide_3x3_stride_1_layers(kwargs, shape, o, expected):
    x = np.zeros(shape, np.float32)
    geometry = {"kernel": (3, 3), "stride": (1, 1), "dilation": (1, 1), "groups": 1} | kwargs
    assert conv_ops._uses_winograd(x, geometry["kernel"], o, geometry["stride"],
                                   geometry["dilation"], geometry["groups"]) is expected
    assert not conv_ops._uses_winograd(x.astype(np.int64), (3, 3), o, (1, 1), (1, 1), 1)
