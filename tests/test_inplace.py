"""In-place ops: values, version counters shared with views, autograd through writes, and the
errors PyTorch raises (leaf requiring grad, a saved value modified before backward)."""
from __future__ import annotations

import numpy as np
import pytest

import latte

try:
    import torch
except ImportError:  # PyTorch is only an oracle: behaviour checks still run on Latte alone
    torch = None

LIBS = (latte, torch) if torch is not None else (latte,)


def _both():
    """Latte and PyTorch, for tests that compare the two results."""
    pytest.importorskip("torch")
    return (latte, torch)


# --- values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,fn", [
    ("add_", lambda lib, t: t.add_(lib.tensor([1.0, 2.0, 3.0]))),
    ("add_alpha", lambda lib, t: t.add_(lib.ones(3), alpha=-2)),
    ("add_scalar", lambda lib, t: t.add_(1.5)),
    ("sub_", lambda lib, t: t.sub_(lib.ones(1))),
    ("mul_", lambda lib, t: t.mul_(lib.tensor([2.0, 0.5, -1.0]))),
    ("mul_scalar", lambda lib, t: t.mul_(3)),
    ("div_", lambda lib, t: t.div_(4.0)),
    ("zero_", lambda lib, t: t.zero_()),
    ("fill_", lambda lib, t: t.fill_(-7.5)),
    ("fill_tensor", lambda lib, t: t.fill_(lib.tensor(2.0))),
    ("copy_", lambda lib, t: t.copy_(lib.tensor([9.0, 8.0, 7.0]))),
    ("copy_broadcast", lambda lib, t: t.copy_(lib.tensor(4.0))),
    ("copy_cast", lambda lib, t: t.copy_(lib.tensor([1, 2, 3]))),
    ("clamp_", lambda lib, t: t.clamp_(-0.5, 1.0)),
    ("neg_exp_", lambda lib, t: t.neg_().exp_()),
    ("pow_", lambda lib, t: t.pow_(2)),
    ("addcmul_", lambda lib, t: t.addcmul_(lib.ones(3), lib.full((3,), 2.0), value=0.5)),
    ("masked_fill_", lambda lib, t: t.masked_fill_(lib.tensor([True, False, True]), 0.25)),
    ("scatter_", lambda lib, t: t.scatter_(0, lib.tensor([2, 0]), lib.tensor([5.0, 6.0]))),
    ("index_fill_", lambda lib, t: t.index_fill_(0, lib.tensor([1]), -1.0)),
])
def test_inplace_values_match_pytorch(name, fn):
    results = []
    for lib in _both():
        t = lib.tensor([0.5, -1.0, 2.0])
        out = fn(lib, t)
        assert out is t
        results.append(t.tolist())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_augmented_assignment_keeps_identity_and_memory():
    t = latte.ones(2, 3)
    ident, ptr = id(t), t.data_ptr()
    t += 1
    t *= latte.tensor([1.0, 2.0, 3.0])
    t -= 0.5
    t /= 2
    assert id(t) == ident and t.data_ptr() == ptr
    np.testing.assert_allclose(t.numpy(), [[0.75, 1.75, 2.75]] * 2)


@pytest.mark.parametrize("key,value", [
    ((0,), 5.0), ((slice(None), 1), -1.0), ((Ellipsis, 2), np.array([7.0, 8.0])),
    ((1, slice(0, 2)), np.array([3.0, 4.0])), ((np.array([True, False]),), 0.0),
    ((np.array([0, 1]), np.array([2, 0])), np.array([1.5, 2.5])),
])
def test_setitem_values_match_pytorch(key, value):
    results = []
    for lib in _both():
        t = lib.arange(6.0).reshape(2, 3)
        k = tuple(lib.tensor(i) if isinstance(i, np.ndarray) else i for i in key)
        t[k] = lib.tensor(value.tolist()) if isinstance(value, np.ndarray) else value
        results.append(t.tolist())
    assert results[0] == results[1]


def test_integer_view_index_writes_through():
    t = latte.zeros(3)
    t[0].add_(1)  # t[0] is a 0-d view, as in PyTorch
    t[2].fill_(5)
    assert t.tolist() == [1.0, 0.0, 5.0]
    m = latte.zeros(2, 3)
    m[1][2] = 4.0
    m[:, 0] += 1
    assert m.tolist() == [[1.0, 0.0, 0.0], [1.0, 0.0, 4.0]]


def test_inplace_shape_and_dtype_errors_match_pytorch():
    for lib in LIBS:
        with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the "
                                               r"broadcast shape \[2, 3\]"):
            t = lib.zeros(3)
            t += lib.ones(2, 3)
        with pytest.raises(RuntimeError, match="must match the size"):
            lib.zeros(3).add_(lib.ones(4))
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                               "output type Long"):
            t = lib.tensor([1, 2])
            t += 1.5


# --- version counter ---------------------------------------------------------------------------
def test_version_counter_increments_and_is_shared_with_views():
    for lib in LIBS:
        t = lib.zeros(2, 3)
        views = [t[1], t[:, 1:], t.reshape(6), t.view(3, 2), t.T, t.unsqueeze(0), t.expand(2, 2, 3),
                 t.detach()]
        versions = [t._version]
        t.add_(1)
        versions.append(t._version)
        views[0].mul_(2)
        versions.append(t._version)
        t[0, 0] = 3.0
        versions.append(t._version)
        t += 1
        t.zero_()
        t.fill_(2.0)
        t.copy_(lib.ones(2, 3))
        versions.append(t._version)
        assert versions == [0, 1, 2, 3, 7], lib.__name__
        assert all(v._version == 7 for v in views), lib.__name__
        assert views[1].tolist() == [[1.0, 1.0]] * 2


def test_advanced_index_result_is_a_copy_with_its_own_counter():
    t = latte.arange(4.0)
    c = t[[0, 2]]
    c.add_(10)
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0] and t._version == 0
    x = latte.arange(4.0).requires_grad_()
    a = x * 1
    y = a * a  # saves a
    a[[0, 1]].add_(1)  # a copy: a itself is untouched, backward is still valid
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.arange(4.0))


# --- autograd through in-place writes ----------------------------------------------------------
def _grads(lib, fn):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    out = fn(lib, x, w)
    (out * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    return out.tolist(), x.grad.tolist(), None if w.grad is None else w.grad.tolist()


@pytest.mark.parametrize("fn", [
    lambda lib, x, w: (x * 1).add_(w),
    lambda lib, x, w: (x * 2).mul_(w),
    lambda lib, x, w: (x.exp() + 1).div_(w),
    lambda lib, x, w: (x * 1).sub_(w, alpha=3),
    lambda lib, x, w: (x + 0).addcmul_(w, w, value=2),
    lambda lib, x, w: (x * 1).clamp_(1.5, 2.5),
    lambda lib, x, w: (x * 1).copy_(w),
    lambda lib, x, w: (x * 1).fill_(w[1]),
    lambda lib, x, w: (x * 1).zero_().add_(w),
    lambda lib, x, w: (x * 1).tanh_() * w,
    lambda lib, x, w: (x * 1).mul_(w).add_(x).sigmoid_(),
    lambda lib, x, w: (x * 1).masked_fill_(lib.tensor([True, False, False]), 0.0).mul_(w),
])
def test_autograd_through_inplace_ops_matches_pytorch(fn):
    latte_result, torch_result = (_grads(lib, fn) for lib in _both())
    for a, b in zip(latte_result, torch_result):
        if b is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda lib, x, w: _set(x * 1, (0,), w[1] * 3),
    lambda lib, x, w: _set(x * 2, (slice(1, None),), w[:2].exp()),
    lambda lib, x, w: _set(x * 1, (lib.tensor([True, False, True]),), w[0]),
    lambda lib, x, w: _set(x.exp() + 1, (lib.tensor([2, 0]),), w[:2]),
    lambda lib, x, w: _set(lib.zeros(3), (1,), w[2] * x[0]),  # base without grad gets history
    lambda lib, x, w: _set(_set(x * 1, (0,), w[0]), (0,), w[1]),  # overwritten twice
])
def test_autograd_through_setitem_matches_pytorch(fn):
    latte_result, torch_result = (_grads(lib, fn) for lib in _both())
    for a, b in zip(latte_result, torch_result):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _set(t, key, value):
    t[key] = value
    return t


def test_inplace_on_a_leaf_requiring_grad_raises_like_pytorch():
    for lib in LIBS:
        x = lib.ones(3, requires_grad=True)
        writes = (lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(),
                  lambda t: t.fill_(1.0), lambda t: t.copy_(t.detach() * 0),
                  lambda t: t.__setitem__(0, 2.0), lambda t: t.__iadd__(1))
        for write in writes:
            with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being "
                                                   "used in an in-place operation"):
                write(x)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
            x[0].mul_(2)
        with lib.no_grad():
            x.mul_(2)  # allowed without grad recording (optimizer updates)
        assert x.tolist() == [2.0, 2.0, 2.0] and x.requires_grad


def _views_grads(lib, fn):
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    out = fn(lib, x, w)
    g = lib.tensor(np.arange(out.numel(), dtype=np.float32).reshape(tuple(out.shape)) + 1)
    (out * g).sum().backward()
    return out.tolist(), x.grad.tolist(), None if w.grad is None else w.grad.tolist()


def _w(t, fn):
    fn(t)
    return t


@pytest.mark.parametrize("fn", [
    # a buffer without grad takes the history of what is copied into its rows
    lambda lib, x, w: _w(lib.zeros(2, 3), lambda b: (b[0].copy_(w * 2), b[1].copy_(x[1]))),
    lambda lib, x, w: _w(x * 1, lambda a: a.T[0].mul_(3)),
    lambda lib, x, w: _w(x * 1, lambda a: a[0][1:].__setitem__(slice(None), w[:2])),
    lambda lib, x, w: _w(x * 1, lambda a: a.reshape(6)[2:4].add_(w[0])),
    lambda lib, x, w: _w(x * 1, lambda a: a.unsqueeze(0)[0, 1].clamp_(min=4.5)),
    lambda lib, x, w: _w(x * 1, lambda a: (a[1].mul_(2), a[1].mul_(w))),
    lambda lib, x, w: _w(x.sum(0) * 1, lambda a: a.narrow(0, 1, 2).sub_(w[1:])),
    lambda lib, x, w: _w(lib.zeros(3, 2), lambda a: a.t().__setitem__(1, w)) * x.sum(),
    # views taken before a write see the new history (their values changed too)
    lambda lib, x, w: (lambda a, v: (a[:, 1].add_(w[:2]), a * v.sum())[1])(
        *(lambda a: (a, a[:, 1]))(x * 1)),
    lambda lib, x, w: (lambda a, b: (b[1].zero_(), a + b.sum())[1])(
        *(lambda a: (a, a.view(3, 2)))(x * 2)),
    lambda lib, x, w: (lambda a, v: (a.mul_(w), v * 1)[1])(*(lambda a: (a, a[0]))(x * 1)),
])
def test_inplace_through_views_matches_pytorch(fn):
    latte_result, torch_result = (_views_grads(lib, fn) for lib in _both())
    for a, b in zip(latte_result, torch_result):
        if b is None:
            assert a is None or not np.any(a)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-6)


def test_inplace_on_an_untracked_view_is_refused_not_silently_wrong():
    from latte.ops.shape import Reshape
    a = latte.ones(3, requires_grad=True) * 1
    v = Reshape.apply(a, (3, 1))  # a view made by a primitive directly: its base is unknown
    with pytest.raises(RuntimeError, match="in-place operation on a view"):
        v.mul_(2)


@pytest.mark.parametrize("snippet", ["exp_saved_output", "mul_saved_input", "view_of_saved",
                                     "sigmoid_output", "pow_input", "setitem_saved"])
def test_modifying_a_saved_value_raises_at_backward_like_pytorch(snippet):
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([2.0, 2.0, 2.0], requires_grad=True)
        if snippet == "exp_saved_output":
            y = x.exp()
            y.add_(1)
            loss = y.sum()
        elif snippet == "mul_saved_input":
            a = x * 1
            y = a * w
            a.mul_(2)
            loss = y.sum()
        elif snippet == "view_of_saved":
            a = x * 1
            y = a * w
            with lib.no_grad():
                a.view(3)[0] = 5.0  # a write through a view bumps the shared counter
            loss = y.sum()
        elif snippet == "sigmoid_output":
            y = x.sigmoid()
            loss = y.sum()
            y.detach().zero_()  # detach shares the counter as well
        elif snippet == "pow_input":
            a = x + 1
            y = a ** 2
            a += 1
            loss = y.sum()
        else:
            a = x * 1
            y = a.tanh()
            y[0] = 0.0
            loss = y.sum()
        with pytest.raises(RuntimeError, match="one of the variables needed for gradient "
                                               "computation has been modified by an inplace "
                                               "operation"):
            loss.backward()


def test_writes_that_backward_does_not_need_are_fine():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = lib.tensor([2.0, 2.0, 2.0], requires_grad=True)
        a = x * 1
        y = a + w  # add saves nothing
        a.mul_(2)
        y.sum().backward()
        assert x.grad.tolist() == [1.0, 1.0, 1.0] and a.tolist() == [2.0, 4.0, 6.0]


def test_writing_into_an_expanded_tensor_raises_like_pytorch():
    for lib in LIBS:
        for write in (lambda e: e.add_(1), lambda e: e.mul_(e.detach() * 0 + 1),
                      lambda e: e.copy_(e.detach() * 0)):
            with pytest.raises(RuntimeError, match="more than one element of the written-to "
                                                   "tensor refers to a single memory location"):
                write(lib.ones(3).expand(3, 3))


@pytest.mark.parametrize("lib", LIBS)
def test_reshape_that_copies_keeps_its_own_version_counter(lib):
    # x is a transpose (non-contiguous), so reshape(-1) copies: writing the copy is no write
    # into x, and x's saved values stay valid (PyTorch: x._version stays 0)
    leaf = lib.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], dtype=lib.float64, requires_grad=True)
    x = (leaf * 1.0).t()
    z = x.exp()  # saves its output
    w = x * x  # saves x
    y = x.reshape(-1)
    y.add_(1)
    assert x._version == 0
    assert y._version == 1
    (w.sum() + z.sum()).backward()
    expected = 2 * np.arange(6.0).reshape(2, 3) + np.exp(np.arange(6.0)).reshape(2, 3)
    np.testing.assert_allclose(leaf.grad.numpy(), expected)
    np.testing.assert_allclose(y.detach().numpy(), np.arange(6.0).reshape(2, 3).T.reshape(-1) + 1)


@pytest.mark.parametrize("lib", LIBS)
def test_reshape_copy_of_plain_tensor_does_not_bump_base(lib):
    x = lib.arange(6.0).reshape(2, 3).t()
    y = x.reshape(6)
    y.mul_(2)
    assert (x._version, y._version) == (0, 1)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0).reshape(2, 3).T)


@pytest.mark.parametrize("lib", LIBS)
def test_reshape_that_is_a_view_still_shares_the_counter(lib):
    x = lib.arange(6.0)
    y = x.reshape(2, 3)
    y.add_(1)
    assert (x._version, y._version) == (1, 1)
    np.testing.assert_array_equal(x.numpy(), np.arange(6.0) + 1)


# --- in place really in place: the graph records the op without a copy -----------------------
_REAL_INPLACE = {
    "relu_": lambda lib, t, o: t.relu_(),
    "add_": lambda lib, t, o: t.add_(o),
    "add_alpha": lambda lib, t, o: t.add_(o, alpha=-0.5),
    "iadd_scalar": lambda lib, t, o: t.__iadd__(2.0),
    "sub_": lambda lib, t, o: t.sub_(o),
    "mul_": lambda lib, t, o: t.mul_(o),
    "mul_scalar": lambda lib, t, o: t.mul_(3.0),
    "div_": lambda lib, t, o: t.div_(o + 3.0),
    "neg_exp_": lambda lib, t, o: t.neg_().exp_(),
    "tanh_": lambda lib, t, o: t.tanh_(),
    "sigmoid_": lambda lib, t, o: t.mul_(o).sigmoid_(),
    "add_then_relu_": lambda lib, t, o: t.add_(o.sin()).relu_(),
}


@pytest.mark.parametrize("name", sorted(_REAL_INPLACE))
def test_recorded_inplace_ops_keep_memory_and_match_pytorch_gradients(name):
    results = []
    for lib in _both():
        x = lib.tensor([[0.5, -1.0, 2.0], [1.5, -0.25, 0.75]], dtype=lib.float64,
                       requires_grad=True)
        o = lib.tensor([[0.3, 0.2, -0.7], [1.0, -2.0, 0.5]], dtype=lib.float64,
                       requires_grad=True)
        t = x * 1.0
        ptr = t.data_ptr()
        out = _REAL_INPLACE[name](lib, t, o)
        assert out is t and t.data_ptr() == ptr
        (t * t).sum().backward()
        results.append((t.tolist(), x.grad.tolist(), o.grad.tolist() if o.grad is not None
                        else None, t._version))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    if results[1][2] is not None:
        np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-12)
    assert results[0][3] == results[1][3]


def test_recorded_inplace_relu_saves_the_tensor_itself():
    """``relu_`` in a graph allocates no second activation: its node saves the tensor's own
    memory (a copy-and-write-back would hold two)."""
    x = latte.randn(256, 1024, requires_grad=True)
    y = x * 1.0
    saved = []
    with latte.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t.data_ptr()) or t,
                                                  lambda t: t):
        y.relu_()
    assert saved == [y.data_ptr()]
    import tracemalloc
    z = x * 1.0
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        z.relu_().add_(1.0).mul_(0.5)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak < z.nbytes // 4, peak


def test_inplace_relu_module_after_batchnorm_matches_pytorch():
    grads = []
    for lib in _both():
        lib.manual_seed(0)
        x = lib.tensor(np.linspace(-2, 2, 24).reshape(4, 6), dtype=lib.float32,
                       requires_grad=True)
        bn = lib.nn.BatchNorm1d(6)
        y = lib.nn.ReLU(inplace=True)(bn(x))
        (y * lib.arange(6.0)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("snippet", [
    "y = x.exp(); y.relu_()",
    "y = x.sigmoid(); y.mul_(2)",
    "y = x.tanh(); y += 1",
    "y = x.relu(); y.exp_()",
    "y = x * 1; y.mul_(y)",
    "y = x * 1; y.relu_().add_(1)",
])
def test_inplace_write_into_a_saved_output_raises_like_pytorch(snippet):
    for lib in _both():
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        scope = {"x": x}
        exec(snippet, scope)
        with pytest.raises(RuntimeError, match="one of the variables needed for gradient "
                                               "computation has been modified by an inplace "
                                               "operation"):
            scope["y"].sum().backward()
