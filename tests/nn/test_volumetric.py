"""3-D convolution, pooling, instance norm and resizing (N, C, D, H, W) against PyTorch."""
import numpy as np
import pytest

import latte
import latte.nn as nn
import latte.nn.functional as F

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(3)


def _parity(latte_fn, torch_fn, *shapes, dtype=np.float64, atol=1e-10):
    """Values, indices (when returned) and every input's gradient agree with PyTorch."""
    arrays = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    ours = [latte.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    lo, to = latte_fn(*ours), torch_fn(*theirs)
    if isinstance(to, tuple):
        np.testing.assert_array_equal(lo[1].numpy(), to[1].numpy())
        assert lo[1].dtype == latte.int64
        lo, to = lo[0], to[0]
    assert tuple(lo.shape) == tuple(to.shape) and lo.is_contiguous()
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), atol=atol, rtol=atol)
    g = RNG.standard_normal(tuple(to.shape)).astype(dtype)
    lo.backward(latte.tensor(g))
    to.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, rtol=atol)


CONV = [
    ({}, (2, 4, 7, 8, 9), (6, 4, 3, 3, 3)),
    ({"stride": 2, "padding": 1}, (2, 4, 7, 8, 9), (6, 4, 3, 3, 3)),
    ({"stride": (1, 2, 3), "padding": (2, 1, 0), "dilation": (2, 1, 2)}, (2, 4, 7, 8, 9),
     (6, 4, 3, 3, 3)),
    ({"padding": "same", "dilation": (1, 2, 1)}, (2, 4, 7, 8, 9), (6, 4, 3, 3, 3)),
    ({"groups": 2, "stride": 2}, (2, 4, 7, 8, 9), (6, 2, 2, 3, 1)),
    ({"padding": "valid"}, (2, 5, 6, 7), (3, 2, 2, 4, 3)),                 # unbatched
    ({}, (2, 3, 1, 5, 5), (4, 3, 1, 3, 3)),                                 # depth 1
]


@pytest.mark.parametrize("kwargs,x,w", CONV)
def test_conv3d_matches_torch(kwargs, x, w):
    groups = kwargs.get("groups", 1)
    bias = (w[0],)
    _parity(lambda a, b, c: F.conv3d(a, b, c, **kwargs),
            lambda a, b, c: torch.nn.functional.conv3d(a, b, c, **kwargs), x, w, bias)
    assert groups >= 1


TRANSPOSED = [
    ({}, (4, 3, 3, 2, 3)),
    ({"stride": 2}, (4, 3, 3, 2, 3)),
    ({"stride": (2, 1, 3), "padding": (1, 0, 1), "output_padding": (1, 0, 2),
      "dilation": (1, 2, 1)}, (4, 3, 3, 2, 3)),
    ({"stride": 3, "padding": 2, "output_padding": 2}, (4, 3, 3, 2, 3)),
    ({"stride": 2, "groups": 2}, (4, 3, 2, 2, 3)),
]


@pytest.mark.parametrize("kwargs,w", TRANSPOSED)
def test_conv_transpose3d_matches_torch(kwargs, w):
    out_channels = w[1] * kwargs.get("groups", 1)
    _parity(lambda a, b, c: F.conv_transpose3d(a, b, c, **kwargs),
            lambda a, b, c: torch.nn.functional.conv_transpose3d(a, b, c, **kwargs),
            (2, 4, 3, 4, 5), w, (out_channels,))


POOL = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (2, 3, 2), "stride": (1, 2, 2), "padding": (1, 1, 0), "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
]


@pytest.mark.parametrize("kwargs", POOL + [{"kernel_size": 2, "dilation": (2, 1, 2)}])
def test_max_pool3d_with_indices_matches_torch(kwargs):
    _parity(lambda x: F.max_pool3d(x, return_indices=True, **kwargs),
            lambda x: torch.nn.functional.max_pool3d(x, return_indices=True, **kwargs),
            (2, 3, 7, 8, 9))


@pytest.mark.parametrize("kwargs", POOL + [
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False,
     "ceil_mode": True},
    {"kernel_size": 3, "padding": 1, "divisor_override": 5}])
def test_avg_pool3d_matches_torch(kwargs):
    _parity(lambda x: F.avg_pool3d(x, **kwargs),
            lambda x: torch.nn.functional.avg_pool3d(x, **kwargs), (2, 3, 7, 8, 9))


@pytest.mark.parametrize("size", [1, 4, (3, 4, 5), (2, None, 3)])
def test_adaptive_pools_3d_match_torch(size):
    _parity(lambda x: F.adaptive_avg_pool3d(x, size),
            lambda x: torch.nn.functional.adaptive_avg_pool3d(x, size), (2, 3, 7, 8, 9))
    _parity(lambda x: F.adaptive_max_pool3d(x, size, True),
            lambda x: torch.nn.functional.adaptive_max_pool3d(x, size, True), (2, 3, 7, 8, 9))


def test_int64_pools_3d_match_torch():
    x = RNG.integers(-50, 50, (2, 3, 5, 6, 7))
    for name, kwargs in [("max_pool3d", {"kernel_size": 3, "stride": 2, "padding": 1}),
                         ("avg_pool3d", {"kernel_size": 2, "ceil_mode": True}),
                         ("avg_pool3d", {"kernel_size": 3, "padding": 1,
                                         "count_include_pad": False})]:
        ours = getattr(F, name)(latte.tensor(x), **kwargs)
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs)
        assert ours.dtype == latte.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("mode,kwargs", [
    ("trilinear", {"scale_factor": 2}), ("trilinear", {"size": (5, 3, 7), "align_corners": True}),
    ("nearest", {"scale_factor": (2, 1, 3)}), ("area", {"size": (2, 3, 4)})])
def test_interpolate_5d_matches_torch(mode, kwargs):
    _parity(lambda x: F.interpolate(x, mode=mode, **kwargs),
            lambda x: torch.nn.functional.interpolate(x, mode=mode, **kwargs), (1, 2, 3, 4, 5))


def test_trilinear_needs_a_5d_input():
    with pytest.raises(NotImplementedError, match="trilinear mode needs 5D input"):
        F.interpolate(latte.randn(1, 2, 4, 4), scale_factor=2, mode="trilinear")


MODULES = [
    ("Conv3d", (4, 6, 3), {"padding": 1, "stride": (1, 2, 2)}),
    ("Conv3d", (4, 6, (3, 1, 3)), {"padding": "same", "bias": False, "groups": 2}),
    ("Conv3d", (4, 6, 3), {"padding": (1, 2, 1), "padding_mode": "reflect"}),
    ("Conv3d", (4, 6, 3), {"padding": 1, "padding_mode": "circular"}),
    ("ConvTranspose3d", (4, 6, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ("MaxPool3d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
    ("AvgPool3d", (2,), {"count_include_pad": False}),
    ("AdaptiveAvgPool3d", ((2, 3, None),), {}),
    ("AdaptiveMaxPool3d", (3,), {"return_indices": True}),
    ("InstanceNorm3d", (4,), {"affine": True}),
    ("Upsample", (), {"scale_factor": 2, "mode": "trilinear"}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_modules_match_torch(name, args, kwargs):
    """Same repr and state_dict; float32 forward and gradients equal after loading torch's
    parameters."""
    latte.manual_seed(0)
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    state = theirs.state_dict()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in state.items()}
    ours.load_state_dict({k: latte.tensor(v.numpy()) for k, v in state.items()})
    _parity(ours, theirs, (2, 4, 5, 6, 7), dtype=np.float32, atol=1e-5)


def test_conv3d_default_init_has_pytorchs_bounds():
    conv = nn.Conv3d(4, 8, (2, 3, 3))
    bound = 1 / np.sqrt(4 * 2 * 3 * 3)  # kaiming_uniform(a=sqrt(5)) and the bias: 1/sqrt(fan_in)
    assert conv.weight.shape == (8, 4, 2, 3, 3) and conv.bias.shape == (8,)
    assert np.abs(conv.weight.detach().numpy()).max() <= bound
    assert np.abs(conv.weight.detach().numpy()).max() > 0.8 * bound
    assert np.abs(conv.bias.detach().numpy()).max() <= bound


def test_conv_transpose3d_output_size():
    up = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1)
    assert up(latte.randn(1, 2, 3, 4, 5), output_size=(6, 8, 10)).shape == (1, 3, 6, 8, 10)
    with pytest.raises(ValueError, match="requested an output size of"):
        up(latte.randn(1, 2, 3, 4, 5), output_size=(9, 8, 10))


def test_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"Expected 4D \(unbatched\) or 5D \(batched\) input "
                                           r"to conv3d, but got input of size: \[2, 3, 4\]"):
        F.conv3d(latte.randn(2, 3, 4), latte.randn(1, 3, 1, 1, 1))
    with pytest.raises(RuntimeError, match="expected input.2, 3, 4, 4, 4. to have 2 channels"):
        F.conv3d(latte.randn(2, 3, 4, 4, 4), latte.randn(1, 2, 1, 1, 1))
    with pytest.raises(RuntimeError, match="expected a 5D weight"):
        F.conv3d(latte.randn(2, 3, 4, 4, 4), latte.randn(1, 3, 1, 1))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input"):
        F.conv3d(latte.randn(1, 1, 2, 4, 4), latte.randn(1, 1, 3, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose3d(latte.randn(1, 2, 3, 3, 3), latte.randn(2, 1, 2, 2, 2),
                           output_padding=1)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool3d(latte.randn(1, 1, 4, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool3d(latte.randn(1, 1, 2, 4, 4), 3)
    with pytest.raises(RuntimeError, match=r"MaxPool3d\(kernel_size=2.*expected a 4D "
                                           r"\(unbatched\) or 5D \(batched\) input"):
        nn.MaxPool3d(2)(latte.randn(4, 4, 4))


@pytest.mark.parametrize("args,kwargs", [((2,), {}), ((3, 2, 1), {})])
def test_max_unpool3d_undoes_max_pool3d_as_pytorch(args, kwargs):
    x = RNG.standard_normal((2, 3, 5, 6, 7))
    ours_pool, theirs_pool = nn.MaxPool3d(*args, return_indices=True), \
        torch.nn.MaxPool3d(*args, return_indices=True)
    ours, theirs = nn.MaxUnpool3d(*args, **kwargs), torch.nn.MaxUnpool3d(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    got = ours(*ours_pool(latte.tensor(x)), output_size=x.shape)
    want = theirs(*theirs_pool(torch.tensor(x)), output_size=x.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    with pytest.raises(RuntimeError, match="Found an invalid max index: 100 .output volumes are "
                                           "of size 4x4x4."):
        F.max_unpool3d(latte.randn(1, 2, 2, 2), latte.full((1, 2, 2, 2), 100), 2)
    with pytest.raises(RuntimeError, match="Input to max_unpooling3d should be a 4d or 5d"):
        F.max_unpool3d(latte.randn(2, 2, 2), latte.zeros(2, 2, 2, dtype=latte.int64), 2)


@pytest.mark.parametrize("p", [2, 1.5, float("inf")])
def test_lp_pool3d_matches_torch(p):
    ours, theirs = nn.LPPool3d(p, 2, stride=(1, 2, 2)), torch.nn.LPPool3d(p, 2, stride=(1, 2, 2))
    assert repr(ours) == repr(theirs)
    _parity(lambda x: ours(x.abs() + 0.1), lambda x: theirs(x.abs() + 0.1), (2, 3, 5, 6, 7))
