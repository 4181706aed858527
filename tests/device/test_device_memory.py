"""Memory on the GPU: ``latte.cuda``'s counters over the library's pool, ``save_on_cpu`` moving
saved activations to the host and back, and checkpointing on the device (stand-in or CuPy)."""
from __future__ import annotations

import numpy as np

import latte
from latte.autograd.graph import save_on_cpu, saved_tensors_hooks
from latte.utils.checkpoint import checkpoint


def test_memory_counters_follow_allocations(gpu):
    latte.cuda.reset_peak_memory_stats()
    before = latte.cuda.memory_allocated()
    assert latte.cuda.max_memory_allocated() == before
    big = latte.zeros(256, 1024, device="cuda")  # 1 MiB of float32
    assert latte.cuda.memory_allocated() >= before + big.nbytes
    assert latte.cuda.memory_reserved() >= latte.cuda.memory_allocated()
    del big
    assert latte.cuda.memory_allocated() < before + 2**20
    assert latte.cuda.max_memory_allocated() >= before + 2**20
    latte.cuda.reset_peak_memory_stats()
    assert latte.cuda.max_memory_allocated() < before + 2**20
    summary = latte.cuda.memory_summary()
    assert "Allocated memory" in summary and "MiB" in summary
    stats = latte.cuda.memory_stats()
    assert stats["allocated_bytes.all.peak"] >= stats["allocated_bytes.all.current"]


def test_save_on_cpu_keeps_saved_tensors_on_the_host(gpu):
    x = latte.randn(8, 4, device="cuda", requires_grad=True)
    w = latte.randn(4, 3, device="cuda", requires_grad=True)
    where = []
    with save_on_cpu():
        loss = (x @ w).tanh().sum()
    loss.backward()
    gx, gw = x.grad.cpu().numpy().copy(), w.grad.cpu().numpy().copy()
    assert x.grad.device == x.device
    x.grad = w.grad = None
    with saved_tensors_hooks(lambda t: where.append(t.device.type) or t, lambda t: t):
        (x @ w).tanh().sum().backward()
    assert set(where) == {"cuda"}
    np.testing.assert_allclose(gx, x.grad.cpu().numpy(), rtol=1e-5)
    np.testing.assert_allclose(gw, w.grad.cpu().numpy(), rtol=1e-5)


def test_packed_tensors_of_save_on_cpu_are_host_tensors(gpu):
    x = latte.randn(5, device="cuda", requires_grad=True)
    hooks = save_on_cpu()
    packed = []
    pack = hooks.pack_hook
    with saved_tensors_hooks(lambda t: packed.append(pack(t)) or packed[-1], hooks.unpack_hook):
        y = x.exp()
    assert all(p[1].device.type == "cpu" for p in packed)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), y.detach().cpu().numpy(), rtol=1e-6)


def test_checkpoint_on_the_device(gpu):
    x = latte.randn(6, 4, device="cuda", requires_grad=True)
    checkpoint(lambda a: a.sin().exp(), x, use_reentrant=False).sum().backward()
    expected = (x.cos() * x.sin().exp()).detach().cpu().numpy()
    np.testing.assert_allclose(x.grad.cpu().numpy(), expected, rtol=1e-5)
