"""PyTorch's long tail of nn layers against PyTorch: AdaptiveLogSoftmaxWithLoss (after loading
PyTorch's state_dict), CrossMapLRN2d, the deprecated NLLLoss2d and Container, the in-place
functional activations, top-level conv3d/conv_transpose3d/max_pool3d, Tensor.prelu and
Tensor.hardshrink."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import latte
from latte import nn

torch = pytest.importorskip("torch")


# --- AdaptiveLogSoftmaxWithLoss ----------------------------------------------------------------
def _asm_pair(*args, **kw) -> tuple:
    """The same module in both libraries: Latte's loads PyTorch's random initialisation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns on zero-feature cluster projections
        tm = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, **kw).double()
    lm = nn.AdaptiveLogSoftmaxWithLoss(*args, **kw).double()
    result = lm.load_state_dict({k: latte.tensor(v.detach().numpy())
                                 for k, v in tm.state_dict().items()})
    assert not result.missing_keys and not result.unexpected_keys
    assert list(lm.state_dict()) == list(tm.state_dict())
    assert [tuple(p.shape) for p in lm.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    return lm, tm


@pytest.mark.parametrize("args,kw", [
    ((16, 30, [5, 12, 20]), {"div_value": 2.0, "head_bias": True}),
    ((8, 10, [3]), {}),
    ((6, 12, (2, 9)), {"div_value": 1.5}),
])
def test_adaptive_log_softmax_matches_torch(args, kw):
    lm, tm = _asm_pair(*args, **kw)
    n_classes = args[1]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(11, args[0]))
    t = np.concatenate([np.arange(0, n_classes, 3), rng.integers(0, n_classes, 11)])[:11]
    results = []
    for lib, m in ((latte, lm), (torch, tm)):
        xt = lib.tensor(x, requires_grad=True)
        out = m(xt, lib.tensor(t))
        out.loss.backward()
        grads = [p.grad.numpy() for p in m.parameters()]
        results.append((out.output.detach().numpy(), out.loss.item(), xt.grad.numpy(), grads,
                        m.log_prob(xt).detach().numpy(), m.predict(xt).numpy(),
                        type(out).__name__, out._fields, repr(m)))
    a, b = results
    np.testing.assert_allclose(a[0], b[0])
    assert np.isclose(a[1], b[1])
    np.testing.assert_allclose(a[2], b[2])
    for ga, gb in zip(a[3], b[3]):
        np.testing.assert_allclose(ga, gb, atol=1e-12)
    np.testing.assert_allclose(a[4], b[4])
    np.testing.assert_array_equal(a[5], b[5])
    assert a[6:] == b[6:] == ("_ASMoutput", ("output", "loss"), b[8])


def test_adaptive_log_softmax_gradcheck_and_unbatched():
    lm, tm = _asm_pair(4, 9, [2, 5], div_value=2.0, head_bias=True)
    target = latte.tensor([0, 3, 8, 6])
    x = latte.randn(4, 4, dtype=latte.float64, requires_grad=True)
    assert latte.autograd.gradcheck(lambda x: lm(x, target).output, (x,))
    xs = np.random.default_rng(1).normal(size=4)
    la, lb = lm(latte.tensor(xs), latte.tensor(7)), tm(torch.tensor(xs), torch.tensor(7))
    assert la.output.shape == () and np.isclose(la.output.item(), lb.output.item())
    assert np.isclose(la.loss.item(), lb.loss.item())


def test_adaptive_log_softmax_predict_paths():
    # all rows predicted in the head, all in the tail, and a mix
    lm, tm = _asm_pair(3, 8, [3], head_bias=True)
    for bias in ([9.0, 0, 0, -9.0], [-9.0, -9.0, -9.0, 9.0], [0.0, 0.0, 0.0, 0.0]):
        with torch.no_grad():
            tm.head.bias.copy_(torch.tensor(bias, dtype=torch.float64))
        with latte.no_grad():
            lm.head.bias.copy_(latte.tensor(bias, dtype=latte.float64))
        x = np.random.default_rng(2).normal(size=(12, 3)) * 3
        np.testing.assert_array_equal(lm.predict(latte.tensor(x)).numpy(),
                                      tm.predict(torch.tensor(x)).numpy())


@pytest.mark.parametrize("cutoffs", [[], [5, 3], [0, 4], [4, 10], [3, 3], [2.5]])
def test_adaptive_log_softmax_cutoff_errors(cutoffs):
    messages = []
    for lib in (latte, torch):
        with pytest.raises(ValueError) as info:
            lib.nn.AdaptiveLogSoftmaxWithLoss(4, 10, cutoffs)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("x_shape,target", [
    ((3, 4), [1, 10, 2]), ((3, 4), [1, -1, 2]), ((3, 4), [1, 2]), ((3, 4, 1), [1, 2, 3]),
    ((3, 4), 1), ((3, 4), [[1, 2, 3]]),
])
def test_adaptive_log_softmax_forward_errors(x_shape, target):
    lm, tm = _asm_pair(4, 10, [3, 6])
    messages = []
    for lib, m in ((latte, lm), (torch, tm)):
        with pytest.raises(RuntimeError) as info:
            m(lib.zeros(*x_shape, dtype=lib.float64), lib.tensor(target))
        messages.append(str(info.value).replace("torch.Size", "latte.Size"))
    assert messages[0] == messages[1]


# --- CrossMapLRN2d ----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7])
@pytest.mark.parametrize("channels", [1, 3, 6, 9])
def test_cross_map_lrn2d_matches_torch(size, channels):
    x = np.random.default_rng(size * 10 + channels).normal(size=(2, channels, 3, 2))
    # values only: PyTorch's hand-written backward is not the derivative of its forward (it
    # fails gradcheck for every size); Latte's gradient is checked by gradcheck below
    out = []
    for lib in (latte, torch):
        m = lib.nn.CrossMapLRN2d(size, alpha=0.5, beta=0.6, k=1.3)
        out.append((m(lib.tensor(x)).numpy(), repr(m)))
    np.testing.assert_allclose(out[0][0], out[1][0])
    assert out[0][1] == out[1][1]


def test_cross_map_lrn2d_gradcheck_and_error():
    for size in (1, 2, 3, 6):
        m = nn.CrossMapLRN2d(size, alpha=0.3, beta=0.7, k=2.0)
        x = latte.randn(1, 5, 2, 2, dtype=latte.float64, requires_grad=True)
        assert latte.autograd.gradcheck(m, (x,))
    for lib in (latte, torch):
        with pytest.raises(ValueError, match="Expected input to be 4D, got 3D instead"):
            lib.nn.CrossMapLRN2d(3)(lib.zeros(2, 3, 4))


# --- deprecated classes ----------------------------------------------------------------------
def test_deprecated_nll_loss2d_and_container_warn():
    x = np.random.default_rng(3).normal(size=(2, 3, 4, 4))
    t = np.random.default_rng(4).integers(0, 3, (2, 4, 4))
    values = []
    for lib in (latte, torch):
        with pytest.warns(FutureWarning, match="NLLLoss2d` has been deprecated"):
            loss = lib.nn.NLLLoss2d(ignore_index=1, reduction="sum")
        assert isinstance(loss, lib.nn.NLLLoss) and repr(loss) == "NLLLoss2d()"
        values.append(loss(lib.tensor(x).log_softmax(1), lib.tensor(t)).item())
        with pytest.warns(FutureWarning, match="nn.Container` is deprecated"):
            box = lib.nn.Container(fc=lib.nn.Linear(2, 3))
        assert list(box.state_dict()) == ["fc.weight", "fc.bias"]
    assert np.isclose(*values)


# --- in-place functional activations, top-level functions, Tensor methods ---------------------
@pytest.mark.parametrize("name,args", [
    ("celu_", (0.7,)), ("selu_", ()), ("threshold_", (0.4, -3.0)), ("relu_", ()),
    ("elu_", (0.5,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
])
def test_inplace_functional_activations(name, args):
    x = np.array([[-1.5, -0.2, 0.0], [0.3, 0.5, 2.0]])
    out = []
    for lib in (latte, torch):
        leaf = lib.tensor(x, requires_grad=True)
        y = leaf * 1.0
        r = getattr(lib.nn.functional, name)(y, *args)
        assert r is y
        r.sum().backward()
        out.append((y.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(out[0][0], out[1][0])
    np.testing.assert_allclose(out[0][1], out[1][1])


def test_top_level_3d_functions_match_torch():
    rng = np.random.default_rng(5)
    x, w = rng.normal(size=(1, 2, 5, 4, 6)), rng.normal(size=(3, 2, 2, 3, 2))
    wt = rng.normal(size=(2, 3, 2, 2, 3))
    out = []
    for lib in (latte, torch):
        xt = lib.tensor(x)
        out.append([lib.conv3d(xt, lib.tensor(w), None, 1, 1).numpy(),
                    lib.conv_transpose3d(xt, lib.tensor(wt), None, 2).numpy(),
                    lib.max_pool3d(xt, 2).numpy(), lib.max_pool3d(xt, 3, 2, 1, 1, True).numpy(),
                    lib.max_pool3d(xt, (2, 1, 3), ()).numpy()])
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b)


def test_tensor_prelu_and_hardshrink():
    x = np.array([[-2.0, 0.3], [1.0, -0.4]])
    out = []
    for lib in (latte, torch):
        xt = lib.tensor(x, requires_grad=True)
        w = lib.tensor([0.25, 0.5], dtype=lib.float64, requires_grad=True)
        y = xt.prelu(w) + xt.hardshrink() + xt.hardshrink(lambd=0.35)
        y.sum().backward()
        out.append((y.detach().numpy(), xt.grad.numpy(), w.grad.numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b)


def test_hardtanh_and_relu6_gradient_is_zero_at_the_bounds():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 6.0, 7.0])
    grads = []
    for lib in (latte, torch):
        F = lib.nn.functional
        xt = lib.tensor(x, requires_grad=True)
        (F.hardtanh(xt, -0.5, 0.5) + F.relu6(xt) + F.hardtanh(xt)).sum().backward()
        grads.append(xt.grad.numpy())
    np.testing.assert_array_equal(*grads)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("index_dtype", ["int64", "int32"])
@pytest.mark.parametrize("mode", [0, 1, 2])
@pytest.mark.parametrize("padding_idx", [None, 1, -5])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_top_level_embedding_bag_matches_torch(dtype, index_dtype, mode, padding_idx,
                                               include_last_offset):
    rng = np.random.default_rng(mode)
    w, pw = rng.normal(size=(6, 3)), rng.uniform(size=6)
    indices = np.array([1, 2, 3, 4, 5, 1])
    offsets = np.array([0, 2, 2, 6]) if include_last_offset else np.array([0, 2, 2, 5])
    for per_sample in ((False, True) if mode == 0 else (False,)):
        res = []
        for lib in (latte, torch):
            dt, it = getattr(lib, dtype), getattr(lib, index_dtype)
            wt = lib.tensor(w, dtype=dt, requires_grad=True)
            out = lib.embedding_bag(wt, lib.tensor(indices, dtype=it),
                                    lib.tensor(offsets, dtype=it), False, mode, False,
                                    lib.tensor(pw, dtype=dt) if per_sample else None,
                                    include_last_offset, padding_idx)
            out[0].sum().backward()
            res.append([o.detach().numpy() for o in out] + [wt.grad.numpy()])
        for a, b in zip(*res):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=1e-6)
