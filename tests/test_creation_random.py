"""Tensor factories (dtypes, values, memory sharing) and seeded randomness."""
from __future__ import annotations

import numpy as np
import pytest

import latte


def _torch():
    return pytest.importorskip("torch")


def _same(lt, tt) -> None:
    assert lt.dtype.name == str(tt.dtype).removeprefix("torch.")
    assert tuple(lt.shape) == tuple(tt.shape)
    np.testing.assert_allclose(lt.numpy(), tt.numpy(), rtol=1e-6, atol=1e-7)


# --- tensor, as_tensor, from_numpy ------------------------------------------------------------
@pytest.mark.parametrize("data", [
    [1, 2, 3], [1.0, 2, 3], [[True, False]], 3, 2.5, True, [], [[1, 2], [3, 4]],
    np.array([1, 2], dtype=np.int32), np.array([1.0], dtype=np.float64),
    np.array([1.0], dtype=np.float16), np.float64(2.0), np.int32(3), (1, 2.0),
])
def test_tensor_infers_dtype_like_pytorch(data):
    torch = _torch()
    _same(latte.tensor(data), torch.tensor(data))


def test_tensor_copies_and_accepts_dtype_and_tensors():
    a = np.arange(3.0)
    t = latte.tensor(a)
    a[0] = 7.0
    assert t[0].item() == 0.0 and t.dtype == latte.float64
    assert latte.tensor([1, 2], dtype=latte.float32).dtype == latte.float32
    assert latte.tensor([latte.tensor(1.0), latte.tensor(2.0)]).tolist() == [1.0, 2.0]
    src = latte.ones(2, requires_grad=True)
    copy = latte.tensor(src.detach())
    assert not copy.requires_grad and not np.shares_memory(copy.numpy(), src.detach().numpy())
    assert latte.tensor([1.0], requires_grad=True).requires_grad
    with pytest.raises(TypeError):
        latte.tensor("abc")


def test_as_tensor_and_from_numpy_share_memory():
    a = np.zeros(3, dtype=np.float32)
    for t in (latte.as_tensor(a), latte.from_numpy(a)):
        a[0] += 1.0
        assert t[0].item() == a[0]
    assert latte.as_tensor(a, dtype=latte.float64).dtype == latte.float64
    t = latte.ones(2)
    assert latte.as_tensor(t) is t
    assert latte.as_tensor([1, 2]).dtype == latte.int64
    with pytest.raises(TypeError, match="ndarray"):
        latte.from_numpy([1, 2])


# --- filled tensors ----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda lib: lib.zeros(2, 3), lambda lib: lib.zeros((2, 3), dtype=lib.int64),
    lambda lib: lib.ones([4]), lambda lib: lib.ones(2, 1, dtype=lib.bool),
    lambda lib: lib.full((2, 2), 7), lambda lib: lib.full((2,), 1.5),
    lambda lib: lib.full((3,), True), lambda lib: lib.full((2,), 2, dtype=lib.float64),
    lambda lib: lib.zeros(()), lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.int32)),
    lambda lib: lib.ones_like(lib.ones(2, 3), dtype=lib.float64),
    lambda lib: lib.full_like(lib.ones(3, dtype=lib.int64), 4),
    lambda lib: lib.full_like(lib.ones(3), 0.5),
    lambda lib: lib.arange(5), lambda lib: lib.arange(2, 9, 3), lambda lib: lib.arange(5, 0, -1),
    lambda lib: lib.arange(0.0, 1.0, 0.25), lambda lib: lib.arange(1.0, 0.0, -0.3),
    lambda lib: lib.arange(3, dtype=lib.float64), lambda lib: lib.arange(0, 1, 0.1),
    lambda lib: lib.arange(-2.5, 2.5), lambda lib: lib.arange(10, 0, -3),
    lambda lib: lib.linspace(0, 1, 5), lambda lib: lib.linspace(-2, 3, 1),
    lambda lib: lib.linspace(1, 0, 4, dtype=lib.float64),
    lambda lib: lib.eye(3), lambda lib: lib.eye(2, 4), lambda lib: lib.eye(2, dtype=lib.int64),
    lambda lib: lib.zeros(size=(2, 3)), lambda lib: lib.ones(size=[2]),
    lambda lib: lib.arange(end=4), lambda lib: lib.arange(start=1, end=5, step=2),
    lambda lib: lib.zeros(2, dtype=float), lambda lib: lib.zeros(2, dtype=int),
    lambda lib: lib.ones(2, dtype=bool), lambda lib: lib.tensor([1, 2], dtype=float),
    lambda lib: lib.zeros(0, 3), lambda lib: lib.arange(5, 5),
])
def test_factories_match_pytorch(make):
    torch = _torch()
    _same(make(latte), make(torch))


def test_empty_shapes_and_requires_grad():
    e = latte.empty(2, 3)
    assert e.shape == (2, 3) and e.dtype == latte.float32
    assert latte.empty_like(latte.ones(4, dtype=latte.int32)).dtype == latte.int32
    z = latte.zeros(2, requires_grad=True)
    assert z.requires_grad and z.is_leaf
    assert latte.zeros(latte.Size([2, 2])).shape == (2, 2)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        latte.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="inconsistent with step sign"):
        latte.arange(5, 0)
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        latte.zeros(2, -1)
    assert latte.rand(size=(2, 1)).shape == (2, 1) and latte.randn(size=(3,)).shape == (3,)
    assert latte.empty(size=(1, 2)).shape == (1, 2)
    with pytest.raises(TypeError):
        latte.zeros(2, sizes=(3,))


# --- random ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,dtype,shape", [
    (lambda g: latte.rand(2, 3, generator=g), latte.float32, (2, 3)),
    (lambda g: latte.rand((4,), dtype=latte.float64, generator=g), latte.float64, (4,)),
    (lambda g: latte.randn(3, 2, generator=g), latte.float32, (3, 2)),
    (lambda g: latte.randn(5, dtype=latte.float64, generator=g), latte.float64, (5,)),
    (lambda g: latte.randint(0, 5, (10,), generator=g), latte.int64, (10,)),
    (lambda g: latte.randint(7, (2, 2), generator=g), latte.int64, (2, 2)),
    (lambda g: latte.randint(3, 9, (4,), dtype=latte.int32, generator=g), latte.int32, (4,)),
    (lambda g: latte.randperm(6, generator=g), latte.int64, (6,)),
    (lambda g: latte.normal(2.0, 3.0, size=(2, 2), generator=g), latte.float32, (2, 2)),
    (lambda g: latte.normal(latte.zeros(3, dtype=latte.float64), 1.0, generator=g),
     latte.float64, (3,)),
    (lambda g: latte.normal(latte.zeros(2, 1), latte.ones(3), generator=g), latte.float32,
     (2, 3)),
    (lambda g: latte.bernoulli(latte.full((5,), 0.3), generator=g), latte.float32, (5,)),
    (lambda g: latte.multinomial(latte.tensor([0.2, 0.3, 0.5]), 2, generator=g), latte.int64,
     (2,)),
    (lambda g: latte.multinomial(latte.ones(2, 4), 3, replacement=True, generator=g),
     latte.int64, (2, 3)),
    (lambda g: latte.rand_like(latte.ones(2, dtype=latte.float64), generator=g),
     latte.float64, (2,)),
    (lambda g: latte.randn_like(latte.ones(3), generator=g), latte.float32, (3,)),
])
def test_random_shapes_dtypes_and_generators(make, dtype, shape):
    a = make(latte.Generator().manual_seed(5))
    assert a.dtype == dtype and a.shape == shape
    b = make(latte.Generator().manual_seed(5))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    latte.manual_seed(0)
    c = make(None)
    latte.manual_seed(0)
    d = make(None)
    np.testing.assert_array_equal(c.numpy(), d.numpy())


def test_value_ranges():
    latte.manual_seed(1)
    u = latte.rand(10000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0 and abs(u.mean() - 0.5) < 0.02
    n = latte.randn(20000).numpy()
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1.0) < 0.03
    m = latte.normal(5.0, 0.5, size=(20000,)).numpy()
    assert abs(m.mean() - 5.0) < 0.02 and abs(m.std() - 0.5) < 0.02
    r = latte.randint(-3, 4, (5000,)).numpy()
    assert set(np.unique(r)) == set(range(-3, 4))
    assert sorted(latte.randperm(20).tolist()) == list(range(20))
    b = latte.bernoulli(latte.full((20000,), 0.25)).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.02
    assert set(latte.bernoulli(latte.tensor([0.0, 1.0])).tolist()) == {0.0, 1.0}
    draws = latte.multinomial(latte.tensor([0.0, 1.0, 3.0]), 4000, replacement=True).numpy()
    assert 0 not in draws and abs((draws == 2).mean() - 0.75) < 0.03
    no_repeat = latte.multinomial(latte.tensor([1.0, 1.0, 1.0, 1.0]), 4).tolist()
    assert sorted(no_repeat) == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match="without replacement"):
        latte.multinomial(latte.tensor([1.0, 0.0]), 2)


def test_manual_seed_repeats_and_different_seeds_differ():
    latte.manual_seed(123)
    a = (latte.rand(4), latte.randn(4), latte.randint(0, 100, (4,)), latte.randperm(8))
    latte.manual_seed(123)
    b = (latte.rand(4), latte.randn(4), latte.randint(0, 100, (4,)), latte.randperm(8))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    latte.manual_seed(124)
    assert not np.array_equal(latte.rand(4).numpy(), a[0].numpy())
    assert latte.initial_seed() == 124


def test_generator_is_independent_of_the_global_stream():
    latte.manual_seed(0)
    expected = latte.rand(3).numpy()
    latte.manual_seed(0)
    g = latte.Generator().manual_seed(0)
    from_g = latte.rand(3, generator=g).numpy()
    latte.rand(5, generator=g)  # drawing from g does not advance the global stream
    np.testing.assert_array_equal(latte.rand(3).numpy(), expected)
    np.testing.assert_array_equal(from_g, expected)  # same seed, same stream
    assert g.initial_seed() == 0


def test_rng_state_restores_the_stream_exactly():
    latte.manual_seed(42)
    latte.rand(7)
    state = latte.get_rng_state()
    assert state.dtype == latte.uint8
    first = (latte.rand(3).numpy(), latte.randn(2).numpy(), latte.randint(0, 9, (4,)).numpy())
    latte.set_rng_state(state)
    again = (latte.rand(3).numpy(), latte.randn(2).numpy(), latte.randint(0, 9, (4,)).numpy())
    for x, y in zip(first, again):
        np.testing.assert_array_equal(x, y)
    g = latte.Generator().manual_seed(9)
    s = g.get_state()
    x = latte.randn(3, generator=g).numpy()
    g.set_state(s)
    np.testing.assert_array_equal(latte.randn(3, generator=g).numpy(), x)
    with pytest.raises(RuntimeError, match="invalid RNG state"):
        latte.set_rng_state(latte.zeros(4, dtype=latte.uint8))


def test_inplace_random_fills_follow_the_seed():
    latte.manual_seed(3)
    a = latte.empty(4).uniform_(-1, 1).numpy().copy()
    latte.manual_seed(3)
    b = latte.empty(4).uniform_(-1, 1).numpy()
    np.testing.assert_array_equal(a, b)
    assert a.min() >= -1 and a.max() < 1
    n = latte.empty(10000).normal_(2.0, 0.1).numpy()
    assert abs(n.mean() - 2.0) < 0.01
    with pytest.raises(RuntimeError, match="leaf Variable"):
        latte.zeros(2, requires_grad=True).normal_()


def test_tensor_with_dtype_does_not_round_through_the_default_dtype():
    # as torch.tensor([0.3], dtype=torch.float64): Python floats go straight to the dtype
    assert latte.tensor([0.3, 1e-50], dtype=latte.float64).tolist() == [0.3, 1e-50]
    assert latte.tensor([0.3]).dtype == latte.float32


def test_fork_rng_restores_the_default_generator():
    latte.manual_seed(0)
    expected = latte.rand(4)
    latte.manual_seed(0)
    with latte.random.fork_rng():
        latte.rand(7)
        latte.randn(3)
    assert latte.rand(4).equal(expected)
    latte.manual_seed(0)
    with latte.random.fork_rng(enabled=False):
        latte.rand(7)
    assert not latte.rand(4).equal(expected)
