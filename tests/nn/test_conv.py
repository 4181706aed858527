"""Convolutions: F.conv1d/conv2d/conv_transpose1d/conv_transpose2d/unfold/fold and the layers.

Values and gradients against PyTorch (float32), central-difference gradchecks in float64 (also of
the double backward), module reprs, default initialisation and error messages.
"""
import math

import numpy as np
import pytest

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck
from latte.ops import compiled

RNG = np.random.default_rng(0)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


def _randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _parity(latte_fn, torch_fn, arrays, atol=1e-4, rtol=1e-4):
    """Same inputs through Latte and PyTorch: outputs and every input's gradient agree."""
    torch = pytest.importorskip("torch")
    lt = [latte.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    lo, to = latte_fn(*lt), torch_fn(*tt)
    assert tuple(lo.shape) == tuple(to.shape)
    np.testing.assert_allclose(lo.detach().numpy(), to.detach().numpy(), atol=atol, rtol=rtol)
    g = _randn(*to.shape)
    lo.backward(latte.tensor(g))
    to.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(lt, tt)):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {i}")


CONV2D_CASES = [
    # (input shape, weight shape, bias, kwargs)
    ((2, 3, 7, 8), (4, 3, 3, 3), True, {}),
    ((2, 3, 7, 8), (4, 3, 3, 3), True, {"padding": 1}),
    ((1, 3, 9, 6), (5, 3, 2, 4), False, {"stride": 2, "padding": (1, 2)}),
    ((2, 4, 9, 8), (6, 2, 3, 2), True,
     {"stride": (2, 1), "padding": (1, 0), "dilation": (2, 1), "groups": 2}),
    ((2, 4, 8, 8), (4, 1, 3, 3), True, {"padding": 1, "groups": 4}),          # depthwise
    ((2, 4, 8, 8), (8, 1, 3, 3), False, {"padding": 1, "groups": 4}),         # multiplier 2
    ((2, 3, 9, 8), (9, 1, 2, 3), True,
     {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 3}),
    ((1, 4, 7, 6), (4, 1, 4, 4), True, {"padding": "same", "groups": 4}),
    ((2, 3, 9, 7), (4, 3, 3, 3), True, {"padding": "same"}),
    ((2, 3, 9, 7), (4, 3, 4, 2), True, {"padding": "same"}),                  # even: asymmetric
    ((2, 3, 9, 7), (4, 3, 4, 3), False, {"padding": "same", "dilation": (1, 2)}),
    ((2, 3, 9, 7), (4, 3, 3, 3), True, {"padding": "valid", "stride": 3}),
    ((3, 2, 5, 5), (3, 2, 5, 5), True, {}),                                    # 1x1 output
    ((2, 6, 6, 6), (6, 6, 1, 1), True, {"stride": 2}),                         # 1x1 kernel
    ((2, 32, 14, 14), (64, 32, 3, 3), True, {"padding": 1}),
]


@pytest.mark.parametrize("xs,ws,bias,kwargs", CONV2D_CASES)
def test_conv2d_matches_torch(kernel_path, xs, ws, bias, kwargs):
    torch = pytest.importorskip("torch")
    arrays = [_randn(*xs), _randn(*ws)] + ([_randn(ws[0])] if bias else [])
    _parity(lambda *t: F.conv2d(*t, **kwargs),
            lambda *t: torch.nn.functional.conv2d(*t, **kwargs), arrays)


def test_conv2d_non_contiguous_input_and_unbatched(kernel_path):
    torch = pytest.importorskip("torch")
    x, w = _randn(2, 7, 3, 6), _randn(4, 3, 3, 3)
    _parity(lambda a, b: F.conv2d(a.permute(0, 2, 1, 3), b, padding=1),
            lambda a, b: torch.nn.functional.conv2d(a.permute(0, 2, 1, 3), b, padding=1),
            [x, w])
    _parity(lambda a, b: F.conv2d(a, b, stride=2),
            lambda a, b: torch.nn.functional.conv2d(a, b, stride=2), [_randn(3, 7, 6), w])


def test_conv_output_feeds_further_ops_correctly():
    """The channels-last output (an NCHW view) behaves like any tensor downstream."""
    torch = pytest.importorskip("torch")

    def net(F_, x, w1, w2):
        h = F_.conv2d(x, w1, padding=1).relu()
        h = F_.max_pool2d(h, 2)
        h = F_.conv2d(h, w2, padding=1)
        return h.reshape(h.shape[0], -1)[:, :7] * 2

    _parity(lambda *t: net(F, *t), lambda *t: net(torch.nn.functional, *t),
            [_randn(2, 3, 8, 8), _randn(5, 3, 3, 3), _randn(4, 5, 3, 3)])


@pytest.mark.parametrize("xs,ws,kwargs", [
    ((2, 3, 11), (4, 3, 3), {"padding": 1}),
    ((1, 4, 10), (6, 2, 4), {"stride": 2, "dilation": 2, "groups": 2}),
    ((2, 3, 10), (4, 3, 4), {"padding": "same"}),
    ((3, 9), (4, 3, 3), {}),
])
def test_conv1d_matches_torch(xs, ws, kwargs):
    torch = pytest.importorskip("torch")
    _parity(lambda x, w, b: F.conv1d(x, w, b, **kwargs),
            lambda x, w, b: torch.nn.functional.conv1d(x, w, b, **kwargs),
            [_randn(*xs), _randn(*ws), _randn(ws[0])])


CONV_T_CASES = [
    ((2, 4, 5, 6), (4, 3, 3, 3), {}),
    ((2, 4, 5, 6), (4, 3, 3, 2), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 4, 5, 6), (4, 2, 3, 3), {"stride": (1, 2), "padding": (0, 1),
                                  "output_padding": (0, 1), "groups": 2}),
    ((2, 4, 4, 5), (4, 1, 2, 3), {"stride": 2, "dilation": (2, 1), "groups": 4}),
    ((2, 2, 3, 3), (2, 3, 3, 3), {"stride": 1, "dilation": 3, "output_padding": 2}),
    ((2, 3, 7, 7), (3, 2, 2, 2), {"stride": 2}),
]


@pytest.mark.parametrize("xs,ws,kwargs", CONV_T_CASES)
def test_conv_transpose2d_matches_torch(xs, ws, kwargs):
    torch = pytest.importorskip("torch")
    bias = _randn(ws[1] * kwargs.get("groups", 1))
    _parity(lambda *t: F.conv_transpose2d(*t, **kwargs),
            lambda *t: torch.nn.functional.conv_transpose2d(*t, **kwargs),
            [_randn(*xs), _randn(*ws), bias])


def test_conv_transpose1d_matches_torch():
    torch = pytest.importorskip("torch")
    kwargs = {"stride": 3, "padding": 1, "output_padding": 2}
    _parity(lambda *t: F.conv_transpose1d(*t, **kwargs),
            lambda *t: torch.nn.functional.conv_transpose1d(*t, **kwargs),
            [_randn(2, 4, 6), _randn(4, 3, 4), _randn(3)])


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1, "stride": (2, 1)},
])
def test_unfold_and_fold_match_torch(kwargs):
    torch = pytest.importorskip("torch")
    _parity(lambda x: F.unfold(x, **kwargs), lambda x: torch.nn.functional.unfold(x, **kwargs),
            [_randn(2, 3, 7, 6)])
    blocks = torch.nn.functional.unfold(torch.zeros(2, 3, 7, 6), **kwargs).shape
    _parity(lambda c: F.fold(c, (7, 6), **kwargs),
            lambda c: torch.nn.functional.fold(c, (7, 6), **kwargs), [_randn(*blocks)])


def _f64(*shape):
    return latte.tensor(_randn(*shape, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("fn,shapes", [
    (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
     [(2, 2, 5, 6), (3, 2, 2, 3), (3,)]),
    (lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2), [(1, 4, 4, 5), (2, 2, 2, 3),
                                                                   (2,)]),
    (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1,
                                        groups=2), [(2, 2, 3, 3), (2, 2, 3, 2), (4,)]),
    (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, groups=3),       # depthwise
     [(1, 3, 5, 5), (6, 1, 3, 2), (6,)]),
    (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, groups=2), [(1, 2, 3, 3), (2, 2, 2, 2),
                                                                      (4,)]),
    (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1), [(2, 2, 7), (3, 2, 3), (3,)]),
    (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2), [(1, 2, 4), (2, 3, 3), (3,)]),
])
def test_gradcheck_convolutions(kernel_path, fn, shapes):
    assert gradcheck(fn, [_f64(*s) for s in shapes])


def test_gradcheck_unfold_fold():
    assert gradcheck(lambda x: F.unfold(x, 2, dilation=(2, 1), padding=1, stride=(1, 2)),
                     [_f64(1, 2, 4, 5)])
    assert gradcheck(lambda c: F.fold(c, (4, 5), 2, padding=1, stride=2), [_f64(1, 8, 9)])


@pytest.mark.parametrize("transposed,groups", [(False, 2), (True, 2), (False, 4), (True, 4)])
def test_double_backward_gradcheck(transposed, groups):
    """conv's backward is made of conv ops, so gradients of gradients are exact too."""
    conv = F.conv_transpose2d if transposed else F.conv2d
    kwargs = {"stride": 2, "padding": 1, "groups": groups}

    def first_grads(x, w):
        with latte.enable_grad():  # gradcheck evaluates under no_grad for its differences
            y = conv(x, w, **kwargs)
            return latte.autograd.grad((y * y).sum(), [x, w], create_graph=True)

    x, w = _f64(1, 4, 4, 5), _f64(4, 4 // groups, 3, 2)
    assert gradcheck(first_grads, [x, w])


def test_double_backward_matches_torch():
    torch = pytest.importorskip("torch")

    def penalty(ag, conv, x, w, b):
        y = conv(x, w, b, stride=2, padding=1)
        gx, gw = ag.grad((y.tanh()).sum(), [x, w], create_graph=True)
        return (gx * gx).sum() + (gw * gw).sum() + y.sum()

    arrays = [_randn(2, 3, 6, 5), _randn(4, 3, 3, 3), _randn(4)]
    lt = [latte.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    penalty(latte.autograd, F.conv2d, *lt).backward()
    penalty(torch.autograd, torch.nn.functional.conv2d, *tt).backward()
    for a, b in zip(lt, tt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-4, rtol=1e-4)


# --- layers ---------------------------------------------------------------------------------------
MODULE_CASES = [
    ("Conv2d", (1, 32, 3), {"padding": 1}),
    ("Conv2d", (4, 8, (3, 2)), {"stride": 2, "dilation": 2, "groups": 2, "bias": False}),
    ("Conv2d", (3, 3, 4), {"padding": "same"}),
    ("Conv2d", (3, 6, 3), {"padding": 1, "padding_mode": "reflect"}),
    ("Conv2d", (3, 6, 3), {"padding": (2, 1), "padding_mode": "replicate"}),
    ("Conv2d", (3, 6, 4), {"padding": "same", "padding_mode": "circular"}),
    ("Conv1d", (16, 33, 3), {"stride": 2}),
    ("Conv1d", (4, 4, 3), {"padding": 2, "padding_mode": "reflect", "groups": 4}),
    ("ConvTranspose2d", (16, 8, 3), {"stride": 2, "output_padding": 1, "groups": 2}),
    ("ConvTranspose2d", (4, 2, (2, 3)), {"padding": 1, "dilation": 2, "bias": False}),
    ("ConvTranspose1d", (4, 6, 3), {"stride": 2}),
]


def _input_for(name, args):
    return _randn(2, args[0], 9, 10) if name.endswith("2d") else _randn(2, args[0], 11)


@pytest.mark.parametrize("name,args,kwargs", MODULE_CASES)
def test_module_repr_state_and_forward_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape)
    ours.load_state_dict({k: latte.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = _input_for(name, args)
    lx, tx = latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ly, ty = ours(lx), theirs(tx)
    np.testing.assert_allclose(ly.detach().numpy(), ty.detach().numpy(), atol=1e-4, rtol=1e-4)
    g = _randn(*ty.shape)
    ly.backward(latte.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-4,
                               rtol=1e-4)
    if theirs.bias is not None:
        np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), atol=1e-4,
                                   rtol=1e-4)


def test_conv_transpose2d_output_size_argument():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.ConvTranspose2d(3, 2, 3, stride=2), torch.nn.ConvTranspose2d(3, 2, 3, 2)
    ours.load_state_dict({k: latte.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = _randn(1, 3, 4, 4)
    y = ours(latte.tensor(x), output_size=(10, 9))
    np.testing.assert_allclose(y.detach().numpy(),
                               theirs(torch.tensor(x), output_size=(10, 9)).detach().numpy(),
                               atol=1e-5)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        ours(latte.tensor(x), output_size=(11, 9))


@pytest.mark.parametrize("layer,fan_in", [
    (lambda: nn.Conv2d(16, 32, 3), 16 * 9),
    (lambda: nn.Conv2d(16, 32, (5, 3), groups=4), 4 * 15),
    (lambda: nn.Conv1d(8, 4, 7), 8 * 7),
    (lambda: nn.ConvTranspose2d(16, 32, 3), 32 * 9),
])
def test_default_init_bounds(layer, fan_in):
    """kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the bias too."""
    latte.manual_seed(0)
    m = layer()
    bound = 1 / math.sqrt(fan_in)
    for p in (m.weight, m.bias):
        values = p.detach().numpy()
        assert np.abs(values).max() <= bound + 1e-7
    w = m.weight.detach().numpy()
    assert np.abs(w).max() > 0.9 * bound  # spread over the whole interval, not a narrower one
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound


def test_module_errors_name_the_layer_and_shapes():
    conv = nn.Conv2d(3, 16, 3)
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 16, kernel_size=\(3, 3\), stride=\(1, "
                                           r"1\)\): expected input with 3 channels, got input "
                                           r"of shape \(8, 1, 28, 28\)"):
        conv(latte.randn(8, 1, 28, 28))
    with pytest.raises(RuntimeError, match=r"expected a 3D \(unbatched\) or 4D \(batched\) "
                                           r"input, got input of shape \(28, 28\)"):
        conv(latte.randn(28, 28))
    with pytest.raises(RuntimeError, match="expected input with 2 channels"):
        nn.Conv1d(2, 3, 3)(latte.randn(4, 5, 9))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="not supported for strided convolutions"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")


def test_functional_errors():
    x = latte.randn(2, 3, 8, 8)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[4, 2, 3, 3\], "
                                           r"expected input\[2, 3, 8, 8\] to have 2 channels, "
                                           r"but got 3 channels instead"):
        F.conv2d(x, latte.randn(4, 2, 3, 3))
    with pytest.raises(RuntimeError, match="Expected 3D .unbatched. or 4D .batched. input to "
                                           "conv2d, but got input of size: .2, 3, 8, 8, 1."):
        F.conv2d(x.unsqueeze(-1), latte.randn(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input"):
        F.conv2d(x, latte.randn(4, 3, 9, 9))
    with pytest.raises(RuntimeError, match="not supported for strided convolutions"):
        F.conv2d(x, latte.randn(4, 3, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="bias to be 1-dimensional with 4 elements"):
        F.conv2d(x, latte.randn(4, 3, 3, 3), latte.randn(5))
    with pytest.raises(RuntimeError, match="input type .float64. and weight type .float32."):
        F.conv2d(x.double(), latte.randn(4, 3, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride"):
        F.conv_transpose2d(x, latte.randn(3, 2, 3, 3), output_padding=1)


def test_fold_unfold_modules_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [(nn.Unfold((2, 3), padding=1), torch.nn.Unfold((2, 3), padding=1), (2, 5, 3, 4)),
             (nn.Fold((4, 5), 2, stride=(1, 2)), torch.nn.Fold((4, 5), 2, stride=(1, 2)),
              (2, 12, 6))]
    for ours, theirs, shape in pairs:
        assert repr(ours) == repr(theirs)
        _parity(ours, theirs, [_randn(*shape)])


# --- the bounded workspace: patches built and multiplied in batch chunks ----------------------
CHUNK_CASES = [
    # (input shape, weight shape, kwargs): batches of 5 and 7 that no chunk size divides evenly
    ((7, 3, 9, 8), (4, 3, 3, 3), {"padding": 1}),
    ((5, 1, 10, 9), (6, 1, 3, 3), {"padding": 1}),                           # one channel
    ((7, 4, 9, 9), (6, 2, 3, 3), {"stride": 2, "padding": 1, "groups": 2}),  # grouped, strided
    ((5, 6, 9, 7), (6, 3, 2, 3), {"dilation": (2, 1), "groups": 2}),
    ((7, 3, 8, 8), (5, 3, 3, 3), {"stride": 2}),                             # col2im input grad
]


def _conv_and_grads(x, w, kwargs, g):
    lx, lw = latte.tensor(x, requires_grad=True), latte.tensor(w, requires_grad=True)
    out = F.conv2d(lx, lw, **kwargs)
    out.backward(latte.tensor(g))
    return out.detach().numpy(), lx.grad.numpy(), lw.grad.numpy()


@pytest.mark.parametrize("images", [1, 2, 3])
@pytest.mark.parametrize("xs,ws,kwargs", CHUNK_CASES)
def test_chunked_conv_matches_unchunked_and_torch(kernel_path, monkeypatch, xs, ws, kwargs,
                                                 images):
    """A workspace of ``images`` images' patches (so 2 to 7 chunks, the last one short) gives
    the one-chunk result, and PyTorch's, in forward and in both gradients."""
    torch = pytest.importorskip("torch")
    from latte.ops import conv as conv_ops
    x, w = _randn(*xs), _randn(*ws)
    g = _randn(*torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), **kwargs).shape)
    whole = _conv_and_grads(x, w, kwargs, g)
    kh, kw = ws[2:]
    pad = kwargs.get("padding", 0)
    # forward's workspace for one image: its patches and its padded copy (float32)
    per_image = (g.shape[2] * g.shape[3] * kh * kw + (xs[2] + 2 * pad) * (xs[3] + 2 * pad)) \
        * xs[1] * 4
    monkeypatch.setattr(conv_ops, "workspace_bytes", images * per_image)
    calls = []
    real = conv_ops._batch_chunks
    monkeypatch.setattr(conv_ops, "_batch_chunks",
                        lambda n, per_image: calls.append(real(n, per_image)) or calls[-1])
    chunked = _conv_and_grads(x, w, kwargs, g)
    assert any(len(c) > 1 and c[-1][1] - c[-1][0] < c[0][1] - c[0][0] for c in calls) \
        or images == 1, calls
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tout = torch.nn.functional.conv2d(tx, tw, **kwargs)
    tout.backward(torch.tensor(g))
    for name, a, b, t in zip(("output", "input grad", "weight grad"), chunked, whole,
                             (tout.detach(), tx.grad, tw.grad)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(a, t.numpy(), rtol=1e-4, atol=1e-4, err_msg=name)


def test_tiny_workspace_gives_one_image_chunks(monkeypatch):
    """A workspace smaller than one image's patches still works (one image a chunk), also for
    gradients of gradients, and never keeps more than one chunk's patches."""
    from latte.ops import conv as conv_ops
    monkeypatch.setattr(conv_ops, "workspace_bytes", 1)
    calls = []
    real = conv_ops._batch_chunks
    monkeypatch.setattr(conv_ops, "_batch_chunks",
                        lambda n, per_image: calls.append(real(n, per_image)) or calls[-1])
    x = latte.tensor(_randn(3, 2, 6, 5).astype(np.float64), requires_grad=True)
    w = latte.tensor(_randn(4, 2, 3, 3).astype(np.float64), requires_grad=True)
    assert gradcheck(lambda a, b: F.conv2d(a, b, padding=1), (x, w))
    assert calls and all(c == [(0, 1), (1, 2), (2, 3)] for c in calls)
    conv_ops._local.buffers = {}
    F.conv2d(x, w, padding=1)
    # one image: its (6*5, 3*3*2) patches, and its zero-padded (8, 7, 2) copy
    assert conv_ops._local.buffers[("patches", "<f8")].nbytes == 6 * 5 * 9 * 2 * 8
    assert conv_ops._local.buffers[("padded", "<f8")].nbytes == 8 * 7 * 2 * 8


PATCH_CASES = [
    ((4, 16, 28, 28), (16, 16, 3, 3), {"padding": 1}),
    ((3, 5, 9, 11), (7, 5, 3, 2), {"padding": (2, 1), "stride": (2, 3)}),
    ((2, 6, 13, 13), (4, 6, 3, 3), {"padding": 2, "dilation": 2}),
    ((2, 8, 10, 10), (8, 8, 5, 5), {"stride": 2}),
    ((2, 3, 7, 7), (4, 3, 3, 3), {"padding": 3}),  # windows wholly outside the image
]


@pytest.mark.skipif(not compiled.available, reason="numba is not installed")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("xs,ws,kwargs", PATCH_CASES)
def test_compiled_patches_of_channels_last_input_equal_numpy_patches(monkeypatch, xs, ws, kwargs,
                                                                     dtype):
    """The compiled im2col (``ops/compiled/patches.py``, for channels-last input) builds the
    same patch matrix as the padded NumPy copy: the same bits in the output and gradients."""
    x = _randn(xs[0], *xs[2:], xs[1], dtype=dtype).transpose(0, 3, 1, 2)
    w, g = _randn(*ws, dtype=dtype), None
    results = {}
    for path in ("numpy", "compiled"):
        monkeypatch.setattr(compiled, "enabled", path == "compiled")
        lx, lw = latte.from_numpy(x).requires_grad_(), latte.tensor(w, requires_grad=True)
        y = F.conv2d(lx, lw, **kwargs)
        g = _randn(*y.shape, dtype=dtype) if g is None else g
        y.backward(latte.tensor(g))
        results[path] = (y.detach().numpy(), lx.grad.numpy(), lw.grad.numpy())
    for a, b in zip(results["numpy"], results["compiled"]):
        np.testing.assert_array_equal(a, b)


def test_conv_saves_input_and_weight_not_patches():
    """Conv2d keeps only its input and weight for backward (the patch matrix is 9x the input
    for a 3x3 kernel), and frees them after backward."""
    x = latte.randn(4, 8, 10, 10, requires_grad=True)
    w = latte.randn(16, 8, 3, 3, requires_grad=True)
    out = F.conv2d(x, w, padding=1)
    saved = out.grad_fn.saved_tensors
    assert len(saved) == 2 and saved[0] is x and saved[1] is w
    out.sum().backward()
    with pytest.raises(RuntimeError):
        _ = out.grad_fn.saved_tensors


# --- stride 1: both gradients from the patches of the output gradient --------------------------
STRIDE1_CASES = [
    # (input shape, weight shape, kwargs)
    ((5, 16, 9, 8), (16, 16, 3, 3), {"padding": 1}),
    ((4, 6, 9, 9), (4, 3, 3, 3), {"padding": 2, "dilation": 2, "groups": 2}),
    ((3, 4, 8, 7), (6, 4, 4, 2), {"padding": "same"}),                       # asymmetric pads
    ((3, 4, 8, 8), (6, 4, 1, 1), {}),                                        # 1x1: no copy
    ((2, 3, 7, 7), (1, 3, 3, 3), {}),                                        # one output
    ((2, 1, 7, 6), (5, 1, 5, 5), {"padding": 1}),                            # one input
]


@pytest.mark.parametrize("workspace", [None, 1])
@pytest.mark.parametrize("xs,ws,kwargs", STRIDE1_CASES)
def test_stride1_backward_shares_the_patches_of_the_gradient(kernel_path, monkeypatch, xs, ws,
                                                             kwargs, workspace):
    """A stride-1 conv's backward takes both gradients from one patch matrix of ``gy`` (also in
    one-image chunks), and they equal the separate input- and weight-gradient ops' (which a
    graph of the backward still uses) and float64 results."""
    from latte.ops import conv as conv_ops
    if workspace is not None:
        monkeypatch.setattr(conv_ops, "workspace_bytes", workspace)
    shared = []
    real = conv_ops.stride1_gradients
    monkeypatch.setattr(conv_ops, "stride1_gradients",
                        lambda *a: shared.append(real(*a)) or shared[-1])
    x, w = _randn(*xs), _randn(*ws)
    g = _randn(*F.conv2d(latte.tensor(x), latte.tensor(w), **kwargs).shape)
    results = {}
    for dtype, create_graph in ((np.float32, False), (np.float32, True), (np.float64, False)):
        lx = latte.tensor(x.astype(dtype), requires_grad=True)
        lw = latte.tensor(w.astype(dtype), requires_grad=True)
        out = F.conv2d(lx, lw, **kwargs)
        gx, gw = latte.autograd.grad(out, (lx, lw), latte.tensor(g.astype(dtype)),
                                     create_graph=create_graph)
        results[dtype, create_graph] = gx.detach().numpy(), gw.detach().numpy()
    assert len(shared) == 2 and all(s is not None for s in shared)  # not with create_graph
    for name, fused, separate, exact in zip(("input grad", "weight grad"),
                                           results[np.float32, False],
                                           results[np.float32, True],
                                           results[np.float64, False]):
        np.testing.assert_allclose(fused, separate, rtol=1e-5, atol=1e-5, err_msg=name)
        np.testing.assert_allclose(fused, exact, rtol=1e-5, atol=1e-5, err_msg=name)


def test_stride1_backward_leaves_other_layers_to_their_own_paths():
    """Depthwise and Winograd layers, and pads past the kernel's reach, decline (strided
    layers never ask: ``Conv2d.backward`` calls it for stride 1 only)."""
    from latte.ops import conv as conv_ops
    x, gy = np.zeros((1, 4, 6, 6), np.float32), np.zeros((1, 4, 6, 6), np.float32)
    assert conv_ops.stride1_gradients(x, np.zeros((4, 1, 3, 3), np.float32), gy,
                                      (1, 1, 1, 1), (1, 1), 4) is None          # depthwise
    assert conv_ops.stride1_gradients(x, np.zeros((4, 4, 3, 3), np.float32),
                                      np.zeros((1, 4, 10, 10), np.float32),
                                      (3, 3, 3, 3), (1, 1), 1) is None          # pads > reach
    wide, wgy = np.zeros((1, 256, 8, 8), np.float32), np.zeros((1, 256, 8, 8), np.float32)
    assert conv_ops.stride1_gradients(wide, np.zeros((256, 256, 3, 3), np.float32), wgy,
                                      (1, 1, 1, 1), (1, 1), 1) is None          # Winograd
