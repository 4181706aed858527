"""PyTorch's nn long tail: MaxUnpool1d/2d, LPPool1d/2d, RReLU, FeatureAlphaDropout,
MultiLabelMarginLoss and TripletMarginWithDistanceLoss (and their functionals), against
PyTorch (values and gradients), float64 gradcheck, train/eval behaviour and error messages."""
from __future__ import annotations

import math

import numpy as np
import pytest

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _pair(lib, arrays):
    return [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]


def _parity(fn, *arrays, rtol=1e-10, atol=1e-12):
    """``fn(lib, F, *tensors)`` for both libraries: same values, shape, dtype and gradients of
    every float input under the same random upstream gradient."""
    lx, tx = _pair(latte, arrays), _pair(torch, arrays)
    lo, to = fn(latte, F, *lx), fn(torch, TF, *tx)
    assert tuple(lo.shape) == tuple(to.shape)
    assert lo.dtype.name == str(to.dtype).removeprefix("torch.")
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=rtol, atol=atol)
    if not to.requires_grad:
        return lo, to
    g = RNG.standard_normal(tuple(to.shape))
    (lo * latte.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    for a, b in zip(lx, tx):
        if b.grad is not None:
            assert a.grad is not None
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)
    return lo, to


def _f64(*shape, scale=1.0, shift=0.0):
    return latte.tensor(RNG.standard_normal(shape) * scale + shift, dtype=latte.float64,
                        requires_grad=True)


# --- max unpooling ------------------------------------------------------------------------------
def _unpool2d(lib, f, x, kernel, stride=None, padding=0, output_size=None):
    values, indices = f.max_pool2d(x, kernel, stride, padding, return_indices=True)
    return f.max_unpool2d(values * 2.0, indices, kernel, stride, padding, output_size)


def _unpool1d(lib, f, x, kernel, stride=None, padding=0, output_size=None):
    values, indices = f.max_pool1d(x, kernel, stride, padding, return_indices=True)
    return f.max_unpool1d(values * 2.0, indices, kernel, stride, padding, output_size)


@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 4, 6), dict(kernel=2)),
    ((3, 6, 8), dict(kernel=2)),  # unbatched
    ((2, 2, 7, 9), dict(kernel=3, stride=2, padding=1, output_size=(7, 9))),  # overlapping
    ((1, 2, 5, 5), dict(kernel=2, output_size=(1, 2, 5, 5))),  # (N, C) in output_size
    ((2, 3, 5, 7), dict(kernel=(2, 3), stride=(1, 2))),
    ((2, 3, 6, 6), dict(kernel=2, output_size=(7, 7))),  # larger than the input
])
def test_max_unpool2d_matches_pytorch(shape, kw):
    _parity(lambda lib, f, x: _unpool2d(lib, f, x, **kw), RNG.standard_normal(shape))


@pytest.mark.parametrize("shape,kw", [
    ((2, 3, 8), dict(kernel=2)), ((3, 7), dict(kernel=3, stride=2, padding=1, output_size=[7])),
    ((2, 3, 9), dict(kernel=3, stride=2, output_size=(2, 3, 9))), ((2, 3, 8), dict(kernel=4,
                                                                                 stride=1))])
def test_max_unpool1d_matches_pytorch(shape, kw):
    _parity(lambda lib, f, x: _unpool1d(lib, f, x, **kw), RNG.standard_normal(shape))


def test_max_unpool_writes_values_at_indices_and_zeros_elsewhere():
    x = latte.tensor([[[[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0]]]])
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    out = F.max_unpool2d(values, indices, 2)
    assert out.tolist() == [[[[0.0, 5.0, 0.0, 0.0], [0.0, 0.0, 8.0, 0.0]]]]
    assert F.max_unpool1d(*F.max_pool1d(latte.tensor([[1.0, 3.0, 2.0]]), 2,
                                         return_indices=True), 2, output_size=[3]).tolist() \
        == [[0.0, 3.0, 0.0]]


def test_max_unpool_layers_match_pytorch_and_repr():
    x = RNG.standard_normal((2, 3, 5, 5))
    lpool, tpool = nn.MaxPool2d(2, return_indices=True), torch.nn.MaxPool2d(2, return_indices=True)
    lun, tun = nn.MaxUnpool2d(2), torch.nn.MaxUnpool2d(2)
    lo = lun(*lpool(latte.tensor(x)), output_size=(2, 3, 5, 5))
    to = tun(*tpool(torch.tensor(x)), output_size=(2, 3, 5, 5))
    np.testing.assert_array_equal(lo.numpy(), to.numpy())
    assert repr(lun) == repr(tun)
    assert repr(nn.MaxUnpool1d(2, 1)) == repr(torch.nn.MaxUnpool1d(2, 1))
    assert repr(nn.MaxUnpool2d((2, 3), padding=1)) == repr(torch.nn.MaxUnpool2d((2, 3),
                                                                                padding=1))
    x1 = RNG.standard_normal((2, 3, 8))
    lo = nn.MaxUnpool1d(2)(*nn.MaxPool1d(2, return_indices=True)(latte.tensor(x1)))
    to = torch.nn.MaxUnpool1d(2)(*torch.nn.MaxPool1d(2, return_indices=True)(torch.tensor(x1)))
    np.testing.assert_array_equal(lo.numpy(), to.numpy())


def test_max_unpool_gradcheck():
    # stride >= kernel: a maximum shared by two windows would get both their gradients
    assert gradcheck(lambda x: _unpool2d(latte, F, x, 2), [_f64(2, 2, 4, 6)])
    assert gradcheck(lambda x: _unpool2d(latte, F, x, 3, 3, 1, (5, 7)), [_f64(2, 5, 7)])
    assert gradcheck(lambda x: _unpool1d(latte, F, x, 2, 3), [_f64(2, 3, 9)])


def test_max_unpool_grad_fn_names_match_pytorch():
    for lib, f in ((latte, F), (torch, TF)):
        x = lib.tensor(RNG.standard_normal((1, 2, 4, 4)), requires_grad=True)
        names = [_unpool2d(lib, f, x, 2).grad_fn.name(),
                 _unpool1d(lib, f, x[0], 2).grad_fn.name()]
        assert names == ["MaxUnpool2DBackward0", "SqueezeBackward1"]


@pytest.mark.parametrize("call,error,match", [
    (lambda f, v, i: f.max_unpool2d(v[0, 0], i[0, 0], 2), RuntimeError,
     "should be a 3d or 4d Tensor, but got a tensor with 2 dimensions"),
    (lambda f, v, i: f.max_unpool2d(v, i[:, :1], 2), RuntimeError,
     "Expected shape of indices to be same as that of the input tensor"),
    (lambda f, v, i: f.max_unpool2d(v, i, 2, output_size=(6, 4)), ValueError,
     r"invalid output_size \"\(6, 4\)\" \(dim 0 must be between 2 and 6\)"),
    (lambda f, v, i: f.max_unpool2d(v, i, 2, output_size=(4,)), ValueError,
     "output_size should be a sequence containing 2 or 4 elements, but it has a length of '1'"),
    (lambda f, v, i: f.max_unpool2d(v, i * 10, 2), RuntimeError,
     r"Found an invalid max index: \d+ \(output volumes are of size 4x4\)"),
    (lambda f, v, i: f.max_unpool2d(v, i.int(), 2), RuntimeError,
     "elements in indices should be type int64 but got: Int"),
    (lambda f, v, i: f.max_unpool1d(v, i, 2), RuntimeError,
     "should be a 3d or 4d Tensor, but got a tensor with 5 dimensions"),
])
def test_max_unpool_errors_match_pytorch(call, error, match):
    x = RNG.standard_normal((2, 3, 4, 4))
    for lib, f in ((torch, TF), (latte, F)):
        values, indices = f.max_pool2d(lib.tensor(x), 2, return_indices=True)
        with pytest.raises(error, match=match):
            call(f, values, indices)


# --- power-average pooling ----------------------------------------------------------------------
@pytest.mark.parametrize("shape,args,kw", [
    ((2, 3, 6, 6), (2, 2), {}), ((3, 7, 6), (3, 3, 2), dict(ceil_mode=True)),
    ((2, 3, 5, 7), (2, (2, 3), (1, 2)), {}), ((1, 2, 6, 6), (1.5, 2), {}),
    ((2, 2, 6, 6), (float("inf"), 3, 2), dict(ceil_mode=True)),
    ((2, 2, 6, 6), (1, 2), {}),  # p = 1 on negative inputs: a plain window sum
    ((2, 2, 6, 6), (3, 2), {}),  # p = 3 on negative inputs: NaN where the sum is negative
])
def test_lp_pool2d_matches_pytorch(shape, args, kw):
    x = RNG.standard_normal(shape)
    if args[0] == 1.5:
        x = np.abs(x) + 0.1
    _parity_nan(lambda lib, f, t: f.lp_pool2d(t, *args, **kw), x)


@pytest.mark.parametrize("shape,args,kw", [
    ((2, 3, 8), (2, 3), {}), ((3, 7), (1.5, 3, 2), dict(ceil_mode=True)),
    ((2, 3, 6), (1, 2, 1), {}), ((2, 3, 9), (float("inf"), 2), {}), ((2, 3, 8), (3, 2), {})])
def test_lp_pool1d_matches_pytorch(shape, args, kw):
    x = RNG.standard_normal(shape)
    if args[0] == 1.5:
        x = np.abs(x) + 0.1
    _parity_nan(lambda lib, f, t: f.lp_pool1d(t, *args, **kw), x)


def _parity_nan(fn, x):
    """``_parity`` where NaN (a negative window sum under an odd root) must match too."""
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    lo, to = fn(latte, F, lx), fn(torch, TF, tx)
    assert tuple(lo.shape) == tuple(to.shape)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), rtol=1e-10,
                               atol=1e-12, equal_nan=True)
    g = RNG.standard_normal(tuple(to.shape))
    (lo * latte.tensor(g)).sum().backward()
    (to * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12,
                               equal_nan=True)
    return lo, to


def test_lp_pool_is_the_p_norm_of_each_window():
    x = latte.tensor([[[3.0, -4.0, 1.0, 2.0]]])
    np.testing.assert_allclose(F.lp_pool1d(x, 2, 2).numpy(), [[[5.0, math.sqrt(5.0)]]])
    np.testing.assert_allclose(F.lp_pool1d(x, 1, 2).numpy(), [[[-1.0, 3.0]]])
    np.testing.assert_allclose(F.lp_pool1d(x, float("inf"), 2).numpy(), [[[4.0, 2.0]]])


def test_lp_pool_layers_match_pytorch_and_repr():
    x = RNG.standard_normal((2, 3, 6, 7))
    for lmod, tmod in ((nn.LPPool2d(2, 3, stride=2), torch.nn.LPPool2d(2, 3, stride=2)),
                       (nn.LPPool2d(1.5, (2, 3), ceil_mode=True),
                        torch.nn.LPPool2d(1.5, (2, 3), ceil_mode=True))):
        a = np.abs(x) + 0.1
        np.testing.assert_allclose(lmod(latte.tensor(a)).numpy(), tmod(torch.tensor(a)).numpy(),
                                   rtol=1e-10)
        assert repr(lmod) == repr(tmod)
    lmod, tmod = nn.LPPool1d(2, 3), torch.nn.LPPool1d(2, 3)
    np.testing.assert_allclose(lmod(latte.tensor(x[0])).numpy(),
                               tmod(torch.tensor(x[0])).numpy(), rtol=1e-10)
    assert repr(lmod) == repr(tmod)


def test_lp_pool_gradcheck():
    assert gradcheck(lambda x: F.lp_pool2d(x, 2, 2), [_f64(1, 2, 4, 6)])
    assert gradcheck(lambda x: F.lp_pool2d(x, 3, 3, 2, True), [_f64(2, 5, 6, shift=3.0)])
    assert gradcheck(lambda x: F.lp_pool1d(x, 1.5, 3, 2), [_f64(2, 3, 7, shift=3.0)])
    assert gradcheck(lambda x: F.lp_pool1d(x, 1, 2), [_f64(2, 3, 6)])


def test_lp_pool_bad_input_names_the_shape():
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.lp_pool2d(latte.randn(2, 3, 4, 4), 2, 5)
    with pytest.raises(RuntimeError, match=r"3D \(unbatched\) or 4D \(batched\)"):
        F.lp_pool2d(latte.randn(4, 4), 2, 2)


# --- RReLU ------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,kw", [((2, 3), {}), ((5,), dict(lower=0.2, upper=0.5)),
                                      ((), {}), ((2, 3, 4), dict(lower=0.0, upper=1.0))])
def test_rrelu_eval_matches_pytorch(shape, kw):
    _parity(lambda lib, f, x: f.rrelu(x, **kw), RNG.standard_normal(shape))
    _parity(lambda lib, f, x: lib.nn.RReLU(**kw).eval()(x), RNG.standard_normal(shape))


def test_rrelu_eval_uses_the_mean_slope():
    out = F.rrelu(latte.tensor([-2.0, 0.0, 3.0]), 0.1, 0.3)
    np.testing.assert_allclose(out.numpy(), [-0.4, 0.0, 3.0])


def test_rrelu_training_draws_seeded_slopes_in_range():
    x = latte.tensor(RNG.standard_normal((50, 40)), requires_grad=True)
    latte.manual_seed(7)
    a = F.rrelu(x, 0.1, 0.4, training=True)
    latte.manual_seed(7)
    b = F.rrelu(x, 0.1, 0.4, training=True)
    c = F.rrelu(x, 0.1, 0.4, training=True)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.array_equal(b.detach().numpy(), c.detach().numpy())
    xv = x.detach().numpy()
    slopes = a.detach().numpy()[xv < 0] / xv[xv < 0]
    assert slopes.min() >= 0.1 and slopes.max() <= 0.4 and slopes.std() > 0.05
    assert len(np.unique(slopes)) == slopes.size  # one slope per element
    np.testing.assert_array_equal(a.detach().numpy()[xv > 0], xv[xv > 0])
    a.sum().backward()  # the gradient is the slope that was used
    np.testing.assert_allclose(x.grad.numpy()[xv < 0], slopes, rtol=1e-12)
    np.testing.assert_array_equal(x.grad.numpy()[xv > 0], 1.0)
    assert a.grad_fn.name() == torch.rrelu(torch.ones(1, requires_grad=True)).grad_fn.name()


def test_rrelu_layer_trains_randomly_and_evaluates_deterministically():
    layer = nn.RReLU()
    x = latte.tensor(-np.ones(1000))
    train = layer(x).numpy()
    assert train.std() > 0.01 and -1 / 3 <= train.min() and train.max() <= -1 / 8
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), -(1 / 8 + 1 / 3) / 2)
    assert repr(nn.RReLU()) == repr(torch.nn.RReLU())
    assert repr(nn.RReLU(0.1, 0.3, True)) == repr(torch.nn.RReLU(0.1, 0.3, True))


def test_rrelu_inplace_writes_into_the_input():
    x = latte.tensor([-2.0, 1.0])
    assert F.rrelu_(x, 0.2, 0.4) is x
    np.testing.assert_allclose(x.numpy(), [-0.6, 1.0])
    y = latte.tensor([-2.0, 1.0])
    latte.manual_seed(1)
    F.rrelu(y, training=True, inplace=True)
    assert -2 / 3 <= y.numpy()[0] <= -0.25 and y.numpy()[1] == 1.0


def test_rrelu_gradcheck():
    x = _f64(3, 4)
    assert gradcheck(lambda t: F.rrelu(t, 0.1, 0.3), [x])

    def seeded(t):  # the same slopes on every call of the finite differences
        latte.manual_seed(3)
        return F.rrelu(t, 0.1, 0.3, training=True)
    assert gradcheck(seeded, [x])


def test_rrelu_errors_match_pytorch():
    for lib, f in ((torch, TF), (latte, F)):
        with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
            f.rrelu(lib.ones(3), 0.5, 0.1)
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            f.rrelu(lib.tensor([1, 2]))


# --- FeatureAlphaDropout -------------------------------------------------------------------------
_ALPHA = 1.7580993408473766


def test_feature_alpha_dropout_is_identity_in_eval():
    x = latte.randn(4, 3, 5)
    assert F.feature_alpha_dropout(x, 0.5) is x  # training defaults to False
    layer = nn.FeatureAlphaDropout(0.5).eval()
    assert layer(x) is x
    assert F.feature_alpha_dropout(x, 0.0, training=True) is x


def test_feature_alpha_dropout_drops_whole_channels_with_the_alpha_formula():
    p = 0.3
    x = latte.tensor(RNG.standard_normal((40, 16, 3, 4)))
    out = F.feature_alpha_dropout(x, p, training=True).numpy()
    a = 1.0 / math.sqrt((_ALPHA ** 2 * p + 1.0) * (1.0 - p))
    kept = np.isclose(out, x.numpy() * a + _ALPHA * a * p).all(axis=(2, 3))
    dropped = np.isclose(out, -_ALPHA * a * (1.0 - p)).all(axis=(2, 3))
    assert (kept ^ dropped).all()  # every (n, c) plane is one or the other, as a whole
    assert 0.6 < kept.mean() < 0.8


def test_feature_alpha_dropout_constants_match_pytorch():
    # zeros in: each channel is either PyTorch's kept value or its dropped value
    for p in (0.2, 0.5):
        lo = F.feature_alpha_dropout(latte.zeros(200, 8, 2), p, training=True).numpy()
        to = TF.feature_alpha_dropout(torch.zeros(200, 8, 2, dtype=torch.float64), p, True)
        np.testing.assert_allclose(np.unique(lo.astype(np.float64)), np.unique(to.numpy()),
                                   rtol=1e-6)


def test_feature_alpha_dropout_keeps_selu_statistics():
    x = latte.randn(4000, 64, 2)
    out = nn.FeatureAlphaDropout(0.2)(x).numpy()
    assert abs(out.mean()) < 0.05 and abs(out.std() - 1.0) < 0.05


def test_feature_alpha_dropout_is_seeded_and_differentiable():
    x = latte.tensor(RNG.standard_normal((6, 5, 4)), requires_grad=True)
    latte.manual_seed(11)
    a = F.feature_alpha_dropout(x, 0.5, training=True)
    latte.manual_seed(11)
    b = nn.FeatureAlphaDropout(0.5)(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.array_equal(a.detach().numpy(),
                              F.feature_alpha_dropout(x, 0.5, training=True).detach().numpy())

    def seeded(t):
        latte.manual_seed(5)
        return F.feature_alpha_dropout(t, 0.4, training=True)
    assert gradcheck(seeded, [x])


def test_feature_alpha_dropout_edge_cases_match_pytorch():
    assert not F.feature_alpha_dropout(latte.ones(2, 3), 1.0, training=True).numpy().any()
    assert repr(nn.FeatureAlphaDropout()) == repr(torch.nn.FeatureAlphaDropout())
    for lib, f in ((torch, TF), (latte, F)):
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dim"):
            f.feature_alpha_dropout(lib.ones(3), 0.5, True)
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            f.feature_alpha_dropout(lib.ones(2, 3), 1.5, True)
    with pytest.raises(ValueError, match="dropout probability"):
        nn.FeatureAlphaDropout(-0.1)


# --- MultiLabelMarginLoss -------------------------------------------------------------------
_TARGET = np.array([[0, 2, -1, 1], [3, -1, 0, 0], [-1, 0, 1, 2], [1, 1, 3, -1],
                    [0, 1, 2, 3]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("batched", [True, False])
def test_multilabel_margin_loss_matches_pytorch(reduction, batched):
    x = RNG.standard_normal((5, 4))
    y = _TARGET
    if not batched:
        x, y = x[3], y[3]
    _parity(lambda lib, f, a, t: f.multilabel_margin_loss(a, t, reduction=reduction), x, y)
    _parity(lambda lib, f, a, t: lib.nn.MultiLabelMarginLoss(reduction=reduction)(a, t), x, y)


def test_multilabel_margin_loss_definition():
    # targets {3, 0}; non-targets {1, 2}: sum of max(0, 1 - (x_y - x_i)) over the 4 pairs / 4
    x = latte.tensor([[0.1, 0.2, 0.4, 0.8]])
    loss = F.multilabel_margin_loss(x, latte.tensor([[3, 0, -1, 1]]))
    expected = sum(max(0.0, 1 - (x[0, j].item() - x[0, i].item()))
                   for j in (3, 0) for i in (1, 2)) / 4
    assert loss.item() == pytest.approx(expected) == pytest.approx(0.85)
    # the legacy flags map to a reduction
    np.testing.assert_allclose(F.multilabel_margin_loss(
        latte.tensor(RNG.standard_normal((5, 4))), latte.tensor(_TARGET), reduce=False).shape,
        (5,))


def test_multilabel_margin_loss_gradcheck():
    y = latte.tensor(_TARGET)
    for reduction in ("mean", "none"):
        assert gradcheck(lambda a, r=reduction: F.multilabel_margin_loss(a, y, reduction=r),
                         [_f64(5, 4)])


@pytest.mark.parametrize("x_shape,target,match", [
    ((3, 4), np.zeros((2, 4), np.int64), r"inconsistent target size: \[2, 4\] for input of "
                                          r"size: \[3, 4\]"),
    ((3, 4), np.zeros((4,), np.int64), "inconsistent target size"),
    ((2, 2, 2), np.zeros((2, 2, 2), np.int64), "Expected non-empty vector or matrix"),
    ((3, 4), np.full((3, 4), 4, np.int64), "argument #2 'target' is out of range"),
    ((3, 4), np.full((3, 4), -2, np.int64), "argument #2 'target' is out of range"),
    ((3, 4), np.zeros((3, 4), np.int32), "expected scalar type Long but found Int"),
])
def test_multilabel_margin_loss_errors_match_pytorch(x_shape, target, match):
    x = RNG.standard_normal(x_shape)
    for lib, f in ((torch, TF), (latte, F)):
        with pytest.raises(RuntimeError, match=match):
            f.multilabel_margin_loss(lib.tensor(x), lib.tensor(target))
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.multilabel_margin_loss(latte.ones(2, 3), latte.zeros(2, 3, dtype=latte.int64),
                                 reduction="avg")


# --- TripletMarginWithDistanceLoss -----------------------------------------------------------
def _cosine(lib):
    return lambda a, b: 1.0 - lib.nn.functional.cosine_similarity(a, b)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("distance", [None, "cosine", "module"])
def test_triplet_margin_with_distance_loss_matches_pytorch(reduction, swap, distance):
    arrays = [RNG.standard_normal((6, 5)) for _ in range(3)]

    def run(lib, f, a, p, n):
        fn = {None: None, "cosine": _cosine(lib),
              "module": lib.nn.PairwiseDistance(p=1.0)}[distance]
        out = f.triplet_margin_with_distance_loss(a, p, n, distance_function=fn, margin=1.5,
                                                  swap=swap, reduction=reduction)
        layer = lib.nn.TripletMarginWithDistanceLoss(distance_function=fn, margin=1.5,
                                                     swap=swap, reduction=reduction)
        return out + layer(a, p, n)
    _parity(run, *arrays)


def test_triplet_margin_with_distance_loss_unbatched_and_names():
    arrays = [RNG.standard_normal(4) for _ in range(3)]
    _parity(lambda lib, f, a, p, n: f.triplet_margin_with_distance_loss(a, p, n, swap=True),
            *arrays)
    for reduction in ("mean", "sum", "none"):
        names = []
        for lib, f in ((latte, F), (torch, TF)):
            a, p, n = _pair(lib, [RNG.standard_normal((3, 2)) for _ in range(3)])
            names.append(f.triplet_margin_with_distance_loss(
                a, p, n, reduction=reduction).grad_fn.name())
        assert names[0] == names[1]


def test_triplet_margin_with_distance_loss_gradcheck():
    xs = [_f64(4, 3) for _ in range(3)]
    assert gradcheck(lambda a, p, n: F.triplet_margin_with_distance_loss(
        a, p, n, margin=3.0, swap=True, reduction="none"), xs)
    assert gradcheck(lambda a, p, n: F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=_cosine(latte), margin=1.5), xs)


def test_triplet_margin_with_distance_loss_layer_defaults_and_repr():
    layer = nn.TripletMarginWithDistanceLoss()
    assert isinstance(layer.distance_function, nn.PairwiseDistance)
    assert (layer.margin, layer.swap, layer.reduction) == (1.0, False, "mean")
    assert repr(layer) == repr(torch.nn.TripletMarginWithDistanceLoss())
    with pytest.raises(TypeError):
        nn.TripletMarginWithDistanceLoss(None)  # keyword-only, as PyTorch
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin to be "
                                         "greater than 0, got -1 instead"):
        nn.TripletMarginWithDistanceLoss(margin=-1)


def test_triplet_margin_with_distance_loss_errors_match_pytorch():
    a = RNG.standard_normal((3, 4))
    for lib, f in ((torch, TF), (latte, F)):
        x = lib.tensor(a)
        with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D"):
            f.triplet_margin_with_distance_loss(x, x[0], x)
        with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
            f.triplet_margin_with_distance_loss(x, x, x, margin=0)
        with pytest.raises(ValueError, match="x is not a valid value for reduction"):
            f.triplet_margin_with_distance_loss(x, x, x, reduction="x")
