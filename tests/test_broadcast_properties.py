"""Property tests: broadcasting binary ops give gradients of the inputs' shapes equal to a NumPy
reference (and to PyTorch when installed); reshape/permute round trips are exact."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import latte

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``."""
    lead = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


# op: (latte/torch function, NumPy forward, NumPy partials d/da and d/db, value domain of b)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b ** 2)),
    "pow": (lambda a, b: a.abs() ** b, lambda a, b: np.abs(a) ** b,
            lambda a, b: (np.sign(a) * b * np.abs(a) ** (b - 1),
                          np.abs(a) ** b * np.log(np.abs(a)))),
    "maximum": (lambda a, b: a.maximum(b), np.maximum,
                lambda a, b: ((a > b) * 1.0, (a < b) * 1.0)),
    "minimum": (lambda a, b: a.minimum(b), np.minimum,
                lambda a, b: ((a < b) * 1.0, (a > b) * 1.0)),
}


def _values(seed: int, shape: tuple) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # away from 0 (div, pow's log) and distinct (max/min have no ties)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


@pytest.mark.parametrize("op", list(BINARY))
@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_binary_gradients_have_input_shapes_and_match_numpy(op, shapes, seed):
    fn, forward, partials = BINARY[op]
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    a_np, b_np = _values(seed, sa), _values(seed + 1, sb)
    g_np = np.random.default_rng(seed + 2).standard_normal(out_shape)
    a = latte.tensor(a_np, requires_grad=True)
    b = latte.tensor(b_np, requires_grad=True)
    out = fn(a, b)
    assert tuple(out.shape) == out_shape
    np.testing.assert_allclose(out.detach().numpy(), forward(a_np, b_np), rtol=1e-12)
    out.backward(latte.tensor(g_np))
    assert a.grad.shape == sa and b.grad.shape == sb
    da, db = (np.broadcast_to(p, out_shape) for p in partials(a_np, b_np))
    np.testing.assert_allclose(a.grad.numpy(), unbroadcast(g_np * da, sa), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), unbroadcast(g_np * db, sb), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("op", list(BINARY))
@settings(max_examples=15, deadline=None, derandomize=True)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_binary_gradients_match_pytorch(op, shapes, seed):
    torch = pytest.importorskip("torch")
    fn = BINARY[op][0]
    (sa, sb), out_shape = shapes.input_shapes, shapes.result_shape
    arrays = _values(seed, sa), _values(seed + 1, sb)
    g = np.random.default_rng(seed + 2).standard_normal(out_shape)
    grads = []
    for lib in (latte, torch):
        a, b = (lib.tensor(x, requires_grad=True) for x in arrays)
        fn(a, b).backward(lib.tensor(g))
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for mine, theirs in zip(*grads):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_where_broadcasts_condition_and_both_branches(shapes, seed):
    sc, sa, sb = shapes.input_shapes
    rng = np.random.default_rng(seed)
    cond = rng.uniform(size=sc) > 0.5
    a = latte.tensor(rng.standard_normal(sa), requires_grad=True)
    b = latte.tensor(rng.standard_normal(sb), requires_grad=True)
    out = latte.where(latte.tensor(cond), a, b)
    assert tuple(out.shape) == shapes.result_shape
    out.sum().backward()
    full = np.broadcast_to(cond, shapes.result_shape)
    np.testing.assert_array_equal(a.grad.numpy(), unbroadcast(full * 1.0, sa))
    np.testing.assert_array_equal(b.grad.numpy(), unbroadcast(~full * 1.0, sb))


@st.composite
def shape_and_permutation(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=5)))
    perm = tuple(draw(st.permutations(range(len(shape)))))
    return shape, perm


@SETTINGS
@given(sp=shape_and_permutation(), seed=st.integers(0, 2 ** 16))
def test_permute_round_trip_and_gradient(sp, seed):
    shape, perm = sp
    x_np = np.random.default_rng(seed).standard_normal(shape)
    x = latte.tensor(x_np, requires_grad=True)
    y = x.permute(*perm)
    np.testing.assert_array_equal(y.detach().numpy(), np.transpose(x_np, perm))
    inverse = tuple(np.argsort(perm))
    np.testing.assert_array_equal(y.permute(*inverse).detach().numpy(), x_np)
    g = np.random.default_rng(seed + 1).standard_normal(y.shape)
    y.backward(latte.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), np.transpose(g, inverse))


@st.composite
def shape_and_reshape(draw):
    dims = draw(st.lists(st.integers(1, 4), min_size=0, max_size=4))
    shape = tuple(dims)
    size = int(np.prod(shape, dtype=np.int64))
    factors = [f for f in range(1, size + 1) if size % f == 0]
    first = draw(st.sampled_from(factors))
    second = size // first
    target = draw(st.sampled_from([(first, second), (first, -1), (-1,), (second, 1, first)]))
    return shape, target


@SETTINGS
@given(sr=shape_and_reshape(), seed=st.integers(0, 2 ** 16))
def test_reshape_round_trip_and_gradient(sr, seed):
    shape, target = sr
    x_np = np.random.default_rng(seed).standard_normal(shape)
    x = latte.tensor(x_np, requires_grad=True)
    y = x.reshape(target)
    np.testing.assert_array_equal(y.detach().numpy(), x_np.reshape(target))
    np.testing.assert_array_equal(y.reshape(shape).detach().numpy(), x_np)
    np.testing.assert_array_equal(x.T.reshape(-1).detach().numpy(), x_np.T.reshape(-1))
    g = np.random.default_rng(seed + 1).standard_normal(y.shape)
    y.backward(latte.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), g.reshape(shape))


@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=1, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_expand_gradient_sums_over_broadcast_axes(shapes, seed):
    (shape,), _ = shapes.input_shapes, None
    target = tuple(3 if s == 1 else s for s in shape)
    target = (2,) + target
    x = latte.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)
    g = np.random.default_rng(seed + 1).standard_normal(target)
    x.expand(*target).backward(latte.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), unbroadcast(g, shape), rtol=1e-12)
