"""Recurrent layers on the stand-in GPU: the same values and gradients as on the CPU (float64),
with no array crossing to the host; packed sequences too (their ``batch_sizes`` live on the
CPU, as in PyTorch, so only the gather indices travel to the GPU)."""
from __future__ import annotations

import numpy as np
import pytest

import latte
from latte import nn
from latte.nn.utils import rnn as lrnn

CUDA0 = latte.device("cuda:0")


def _close(got, expected, what):
    assert got.device == CUDA0, f"{what} left the GPU"
    np.testing.assert_allclose(got.detach().cpu().numpy(), expected.detach().numpy(),
                               rtol=1e-10, atol=1e-12, err_msg=what)


def _run(gpu, make, packed):
    latte.manual_seed(0)
    cpu_mod = make().double()
    gpu_mod = make().double().to(CUDA0)
    gpu_mod.load_state_dict(cpu_mod.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 4))
    h = rng.standard_normal((4, 3, 5))
    cpu_in = [latte.tensor(x, requires_grad=True), latte.tensor(h, requires_grad=True)]
    gpu_in = [latte.tensor(x).to(CUDA0).requires_grad_(), latte.tensor(h).to(CUDA0)
              .requires_grad_()]
    lengths = [6, 4, 2]
    outs = {}
    for where, mod, (xi, hi) in (("gpu", gpu_mod, gpu_in), ("cpu", cpu_mod, cpu_in)):
        before = gpu.transfers["to_host"]
        inp = lrnn.pack_padded_sequence(xi, lengths) if packed else xi
        out, (h_n, c_n) = mod(inp, (hi, hi * 0.5))
        out = out.data if packed else out
        (out.sum() + (h_n * c_n).sum()).backward()
        if where == "gpu" and gpu.name == "stand-in":  # real CuPy counts no copies
            assert gpu.transfers["to_host"] == before, "hidden copy to the host"
        outs[where] = (out, h_n, c_n)
    for what, g, c in zip(("output", "h_n", "c_n"), outs["gpu"], outs["cpu"]):
        _close(g, c, what)
    for i, (g, c) in enumerate(zip(gpu_in, cpu_in)):
        _close(g.grad, c.grad, f"grad of input {i}")
    gpu_params = dict(gpu_mod.named_parameters())
    for name, p in cpu_mod.named_parameters():
        _close(gpu_params[name].grad, p.grad, f"grad of {name}")


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
def test_lstm_forward_backward_on_gpu(gpu, packed):
    _run(gpu, lambda: nn.LSTM(4, 5, num_layers=2, bidirectional=True), packed)


@pytest.mark.parametrize("cell", ["GRUCell", "RNNCell"])
def test_cells_on_gpu(gpu, cell):
    latte.manual_seed(0)
    mod = getattr(nn, cell)(3, 4).double().to(CUDA0)
    x = latte.randn(2, 3, dtype=latte.float64).to(CUDA0).requires_grad_()
    before = gpu.transfers["to_host"]
    h = mod(x)
    mod(x, h).sum().backward()
    if gpu.name == "stand-in":
        assert gpu.transfers["to_host"] == before
    assert h.device == CUDA0 and x.grad.device == CUDA0
    assert mod.weight_hh.grad.device == CUDA0
