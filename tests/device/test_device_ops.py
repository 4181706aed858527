"""Every op of the registry on the stand-in GPU: same values and gradients as on the CPU, results
and gradients on the GPU, and no array crossing to the host on the way."""
from __future__ import annotations

import numpy as np
import pytest
from op_db import as_list, call, cases, leaves

import latte
from latte import backend


def _on_device(xs: list, where: str) -> list:
    return [x.detach().to(where).requires_grad_(x.requires_grad) for x in xs]


def _loss(outs: list) -> latte.Tensor | None:
    outs = [o for o in outs if isinstance(o, latte.Tensor) and o.requires_grad]
    if not outs:
        return None
    return sum((o * (i + 1.0)).sum() for i, o in enumerate(outs))


# cuda:1 is not the current GPU: arrays an op creates must still land on its inputs' GPU
@pytest.mark.parametrize("where", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("op,sample", cases())
def test_op_on_gpu_matches_cpu(op, sample, where, gpu):
    cpu_in = leaves(latte, sample, latte.float64)
    expected = as_list(call(op, latte, sample, cpu_in))
    gpu_in = _on_device(cpu_in, where)
    gpu.strict_current = True  # work on cuda:1 must run under a guard making it current
    before = dict(gpu.transfers)
    backend.set_default_device(where)  # index tensors the op builds land on the GPU too
    got = as_list(call(op, latte, sample, gpu_in))
    loss = _loss(got)
    if loss is not None:
        loss.backward()
    backend.set_default_device(None)
    assert gpu.transfers["to_host"] == before["to_host"], "hidden copy to the host"
    for g, e in zip(got, expected):
        if isinstance(e, latte.Tensor):
            assert g.device == latte.device(where)
            np.testing.assert_allclose(g.detach().cpu().numpy(), e.detach().numpy(),
                                       rtol=1e-10, atol=1e-12)
    ref_loss = _loss(expected)
    if ref_loss is None:
        return
    ref_loss.backward()
    for c, d in zip(cpu_in, gpu_in):
        if c.grad is None:
            assert d.grad is None
            continue
        assert d.grad.device == latte.device(where)
        np.testing.assert_allclose(d.grad.cpu().numpy(), c.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
