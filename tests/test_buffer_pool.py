"""The pool of large CPU arrays reused from step to step (latte/ops/buffer_pool.py)."""
import numpy as np
import pytest

import latte
from latte.ops import buffer_pool

BIG = (512, 1024)  # 2 MiB of float32: above the pool's threshold


@pytest.fixture(autouse=True)
def fresh_pool(monkeypatch):
    monkeypatch.setattr(buffer_pool, "_buffers", {})
    monkeypatch.setattr(buffer_pool, "limit_bytes", 64 * 2**20)


def address(a):
    return a.__array_interface__["data"][0]


def test_a_freed_array_is_handed_out_again():
    a = buffer_pool.empty(np, BIG, np.float32)
    first = address(a)
    del a
    b = buffer_pool.empty(np, BIG, np.float32)
    assert address(b) == first
    assert buffer_pool.pooled_bytes() == (2 * 2**20, 0)


def test_an_array_still_referred_to_is_never_handed_out():
    a = buffer_pool.empty(np, BIG, np.float32)
    view = a[1:, ::2]  # a view keeps the memory in use after the array itself is gone
    del a
    b = buffer_pool.empty(np, BIG, np.float32)
    assert not np.shares_memory(b, view)
    del view
    c = buffer_pool.empty(np, BIG, np.float32)
    assert not np.shares_memory(b, c)


def test_small_requests_are_not_pooled():
    a = buffer_pool.empty(np, (16, 16), np.float32)
    assert a.shape == (16, 16) and a.flags.owndata
    assert buffer_pool.pooled_bytes() == (0, 0)


def test_axes_lay_the_array_out_in_that_memory_order():
    a = buffer_pool.empty(np, (2, 64, 32, 128), np.float32, (0, 2, 3, 1))
    assert a.shape == (2, 64, 32, 128)
    assert a.transpose(0, 2, 3, 1).flags.c_contiguous
    like = buffer_pool.empty_like(a)
    assert like.shape == a.shape and like.strides == a.strides


def test_zeros_are_zero_in_reused_memory():
    a = buffer_pool.empty(np, BIG, np.float32)
    a.fill(7.0)
    del a
    z = buffer_pool.zeros(np, BIG, np.float32)
    assert not z.any()


def test_free_buffers_past_the_limit_are_released(monkeypatch):
    monkeypatch.setattr(buffer_pool, "limit_bytes", 5 * 2**20)
    a = buffer_pool.empty(np, BIG, np.float32)
    b = buffer_pool.empty(np, (2 * 512, 1024), np.float32)  # 4 MiB: 6 MiB held, over the limit
    del a, b
    c = buffer_pool.empty(np, (3 * 512, 1024), np.float32)  # 6 MiB more: both free ones go
    assert buffer_pool.pooled_bytes() == (c.nbytes, 0)


def test_a_zero_limit_turns_the_pool_off(monkeypatch):
    monkeypatch.setattr(buffer_pool, "limit_bytes", 0)
    a = buffer_pool.empty(np, BIG, np.float32)
    assert a.flags.owndata and buffer_pool.pooled_bytes() == (0, 0)


def pooled(a):
    return any(np.shares_memory(a, buf) for bufs in buffer_pool._buffers.values() for buf in bufs)


def test_gradients_of_two_steps_do_not_share_memory():
    # ReLU's input gradient is written into pooled memory: the first step's gradient, still
    # held, must not be overwritten by the second step's
    x = latte.randn(64, 16, 28, 28, requires_grad=True)
    latte.relu(x).sum().backward()
    held = x.grad
    assert pooled(held.numpy())
    first = held.clone()
    x.grad = None
    latte.relu(x - 1).sum().backward()
    assert latte.equal(held, first)
    assert not np.shares_memory(held.numpy(), x.grad.numpy())
