"""Pooling: F.max_pool*/avg_pool*/adaptive_* and the layers, against PyTorch and gradcheck."""
import numpy as np
import pytest

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck

RNG = np.random.default_rng(1)


def _randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _parity(latte_fn, torch_fn, x, atol=1e-5):
    """Values, indices (when returned) and input gradients agree with PyTorch."""
    torch = pytest.importorskip("torch")
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo, to = latte_fn(lx), torch_fn(tx)
    if isinstance(to, tuple):
        np.testing.assert_array_equal(lo[1].numpy(), to[1].numpy())
        assert lo[1].dtype == latte.int64
        lo, to = lo[0], to[0]
    assert tuple(lo.shape) == tuple(to.shape)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), atol=atol, rtol=1e-5)
    g = _randn(*to.shape)
    lo.backward(latte.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), atol=atol, rtol=1e-5)


MAX_CASES = [
    ((2, 3, 8, 8), {"kernel_size": 2}),
    ((2, 3, 9, 7), {"kernel_size": 2}),                                   # odd size: floor
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((2, 3, 10, 10), {"kernel_size": 3, "stride": 3, "ceil_mode": True}),
    ((1, 2, 9, 10), {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1),
                     "dilation": (2, 1)}),
    ((2, 2, 6, 6), {"kernel_size": 3, "stride": 1}),                     # overlapping
    ((2, 4, 5, 5), {"kernel_size": 5}),                                  # global
    ((3, 6, 6), {"kernel_size": 2}),                                     # unbatched
]


@pytest.mark.parametrize("shape,kwargs", MAX_CASES)
@pytest.mark.parametrize("indices", [False, True])
def test_max_pool2d_matches_torch(shape, kwargs, indices):
    torch = pytest.importorskip("torch")
    _parity(lambda x: F.max_pool2d(x, return_indices=indices, **kwargs),
            lambda x: torch.nn.functional.max_pool2d(x, return_indices=indices, **kwargs),
            _randn(*shape))


def test_max_pool2d_ties_route_the_gradient_to_the_first_maximum():
    torch = pytest.importorskip("torch")
    x = np.maximum(RNG.integers(-2, 3, (2, 3, 8, 8)), 0).astype(np.float32)  # many equal values
    for kwargs in ({"kernel_size": 2}, {"kernel_size": 3, "stride": 1, "padding": 1}):
        _parity(lambda t, k=kwargs: F.max_pool2d(t, return_indices=True, **k),
                lambda t, k=kwargs: torch.nn.functional.max_pool2d(t, return_indices=True, **k),
                x)


def test_max_pool2d_on_non_contiguous_input():
    torch = pytest.importorskip("torch")
    _parity(lambda x: F.max_pool2d(x.transpose(2, 3), 2),
            lambda x: torch.nn.functional.max_pool2d(x.transpose(2, 3), 2), _randn(2, 3, 6, 8))


AVG_CASES = [
    ((2, 3, 8, 8), {"kernel_size": 2}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
    ((2, 3, 9, 7), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
                    "count_include_pad": False}),
    ((2, 3, 9, 7), {"kernel_size": (2, 3), "divisor_override": 5}),
    ((1, 2, 7, 10), {"kernel_size": (3, 2), "stride": (1, 3), "padding": (1, 0)}),
]


@pytest.mark.parametrize("shape,kwargs", AVG_CASES)
def test_avg_pool2d_matches_torch(shape, kwargs):
    torch = pytest.importorskip("torch")
    _parity(lambda x: F.avg_pool2d(x, **kwargs),
            lambda x: torch.nn.functional.avg_pool2d(x, **kwargs), _randn(*shape))


@pytest.mark.parametrize("size", [1, 3, (3, 2), (5, 4), (4, None), (9, 7), (11, 10), (2, 7)])
def test_adaptive_pools_match_torch(size):
    torch = pytest.importorskip("torch")
    x = _randn(2, 3, 9, 7)
    _parity(lambda t: F.adaptive_avg_pool2d(t, size),
            lambda t: torch.nn.functional.adaptive_avg_pool2d(t, size), x)
    _parity(lambda t: F.adaptive_max_pool2d(t, size, return_indices=True),
            lambda t: torch.nn.functional.adaptive_max_pool2d(t, size, return_indices=True), x)


@pytest.mark.parametrize("name,args", [
    ("max_pool1d", (3, 2, 1)), ("avg_pool1d", (3, 2, 1)), ("adaptive_avg_pool1d", (4,)),
    ("adaptive_max_pool1d", (4,)), ("max_pool1d_with_indices", (2,)),
])
def test_1d_pools_match_torch(name, args):
    torch = pytest.importorskip("torch")
    _parity(lambda x: getattr(F, name)(x, *args),
            lambda x: getattr(torch.nn.functional, name)(x, *args), _randn(2, 3, 11))


def _f64(*shape):
    # distinct values far apart, so finite differences never cross a tie of the max
    values = RNG.permutation(int(np.prod(shape))).reshape(shape) * 0.1
    return latte.tensor(values, dtype=latte.float64, requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda x: F.max_pool2d(x, (2, 3), (1, 2), dilation=(2, 1)),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.avg_pool2d(x, 2, divisor_override=3),
    lambda x: F.adaptive_avg_pool2d(x, (3, 4)),
    lambda x: F.adaptive_max_pool2d(x, (3, 4)),
    lambda x: F.max_pool1d(x.flatten(2), 3),
])
def test_gradcheck_pools(fn):
    assert gradcheck(fn, [_f64(1, 2, 5, 6)])


MODULE_CASES = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", (3, 2, 1), {"dilation": 1, "ceil_mode": True}),
    ("MaxPool2d", ((3, 2),), {"stride": (2, 1), "return_indices": True}),
    ("MaxPool1d", (3, 2), {}),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}),
    ("AvgPool1d", (2,), {}),
    ("AdaptiveAvgPool2d", ((5, None),), {}),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveMaxPool2d", (3,), {"return_indices": True}),
    ("AdaptiveAvgPool1d", (4,), {}),
    ("AdaptiveMaxPool1d", (4,), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULE_CASES)
def test_module_repr_and_forward_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = _randn(2, 3, 9, 10) if name.endswith("2d") else _randn(2, 3, 11)
    _parity(ours, theirs, x)


def test_errors():
    with pytest.raises(RuntimeError, match=r"MaxPool2d\(kernel_size=2, stride=2, padding=0, "
                                           r"dilation=1, ceil_mode=False\): expected a 3D "
                                           r"\(unbatched\) or 4D \(batched\) input, got input "
                                           r"of shape \(5, 5\)"):
        nn.MaxPool2d(2)(latte.randn(5, 5))
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        F.max_pool2d(latte.randn(1, 1, 8, 8), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(latte.randn(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="Expected 3D .unbatched. or 4D .batched. input to "
                                           "avg_pool2d"):
        F.avg_pool2d(latte.randn(4, 4), 2)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(latte.randn(1, 1, 4, 4), 2, divisor_override=0)


def test_max_pool2d_propagates_nan_and_routes_its_gradient():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    t = latte.tensor(x, requires_grad=True)
    y = F.max_pool2d(t, 2)
    assert np.isnan(y.detach().numpy()[0, 0, 0, 0])
    np.testing.assert_array_equal(y.detach().numpy()[0, 0].ravel()[1:], [7, 13, 15])
    y.sum().backward()
    expected = np.zeros((4, 4), np.float32)
    expected[0, 1] = expected[1, 3] = expected[3, 1] = expected[3, 3] = 1
    np.testing.assert_array_equal(t.grad.numpy()[0, 0], expected)


def test_max_pool2d_output_may_be_changed_in_place():
    """Like PyTorch, only the input is kept for backward: ``pool -> relu_`` works."""
    torch = pytest.importorskip("torch")
    x = _randn(2, 3, 6, 6)
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (F.max_pool2d(lx * 1, 2).relu_() * 3).sum().backward()
    (torch.nn.functional.max_pool2d(tx * 1, 2).relu_() * 3).sum().backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("name,kwargs", [
    ("max_pool2d", {"kernel_size": 2}), ("max_pool2d", {"kernel_size": 3, "padding": 1}),
    ("max_pool2d", {"kernel_size": 3, "stride": 1}), ("avg_pool2d", {"kernel_size": 2}),
    ("avg_pool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
])
def test_pools_on_channels_last_memory(name, kwargs):
    """Inputs whose memory is NHWC (as convolution outputs are) give the same results."""
    torch = pytest.importorskip("torch")
    _parity(lambda x: getattr(F, name)(x.permute(0, 3, 1, 2), **kwargs),
            lambda x: getattr(torch.nn.functional, name)(x.permute(0, 3, 1, 2), **kwargs),
            _randn(2, 7, 8, 5))


@pytest.mark.parametrize("fn", [
    lambda x: F.max_pool2d(x, 3, 2, 1),
    lambda x: F.max_pool2d(x, 2),
    lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: F.adaptive_max_pool2d(x, (3, 4)),
])
def test_double_backward_gradcheck(fn):
    """Each pooling backward is an op with its own backward: gradients of gradients work."""
    def first_grad(x):
        with latte.enable_grad():  # gradcheck evaluates under no_grad for its differences
            y = fn(x)
            return latte.autograd.grad((y * y * y).sum(), [x], create_graph=True)

    assert gradcheck(first_grad, [_f64(1, 2, 5, 6)])


def test_double_backward_matches_torch():
    torch = pytest.importorskip("torch")

    def penalty(ag, pool, x):
        y = pool(x * x, 3, 2, 1)
        (gx,) = ag.grad((y * y).sum(), [x], create_graph=True)
        return (gx * gx).sum()

    x = _randn(2, 3, 7, 6)
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for ours, theirs in ((F.max_pool2d, torch.nn.functional.max_pool2d),
                         (F.avg_pool2d, torch.nn.functional.avg_pool2d)):
        lx.grad = tx.grad = None
        penalty(latte.autograd, ours, lx).backward()
        penalty(torch.autograd, theirs, tx).backward()
        np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_max_pool_saves_one_byte_tap_indices_not_its_input():
    """Max pooling keeps for backward only the tap of each maximum (uint8), released after
    backward; adaptive max pooling keeps its indices through save_for_backward as well."""
    x = latte.randn(2, 3, 8, 8, requires_grad=True)
    y = F.max_pool2d(x, 3, 2, 1)
    (saved,) = y.grad_fn.saved_tensors
    assert saved.dtype == latte.uint8 and tuple(saved.shape) == (2, 4, 4, 3)
    z = F.adaptive_max_pool2d(x, (3, 3))
    assert len(z.grad_fn.saved_tensors) == 1
    (y.sum() + z.sum()).backward()
    for fn in (y.grad_fn, z.grad_fn):
        with pytest.raises(RuntimeError):
            _ = fn.saved_tensors


@pytest.mark.parametrize("kernel,stride,padding", [(2, 2, 0), (3, 2, 1), (3, 3, 0)])
def test_max_pool_threaded_sweep_gives_the_serial_result(kernel, stride, padding):
    """Batch spans on two threads: the same maxima, first-maximum taps (ties, NaN) and
    gradient as one thread."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (64, 16, 31, 31)).astype(np.float32)  # many ties
    x[3, 2, 5, 5] = np.nan
    results = []
    previous = latte.get_num_threads()
    try:
        for threads in (1, 2):
            latte.set_num_threads(threads)
            t = latte.tensor(x, requires_grad=True)
            y, idx = F.max_pool2d(t, kernel, stride, padding, return_indices=True)
            y.backward(latte.ones_like(y))
            results.append((y.detach().numpy(), idx.numpy(), t.grad.numpy(), y.stride()))
    finally:
        latte.set_num_threads(previous)
    for serial, threaded in zip(*results):
        np.testing.assert_array_equal(serial, threaded)
