"""Parametrized layers and autograd.functional on the stand-in GPU: the same values and
gradients as on the CPU, results on 'cuda:0', and no copy to the host in forward and backward."""
from __future__ import annotations

import numpy as np
import pytest

import latte
import latte.autograd.functional as AF
from latte.nn.utils import parametrizations as P


def _layers():
    return {
        "weight_norm": lambda: P.weight_norm(latte.nn.Linear(5, 4).double()),
        "spectral_norm": lambda: P.spectral_norm(latte.nn.Linear(5, 4).double()),
        "orthogonal_matrix_exp": lambda: P.orthogonal(latte.nn.Linear(4, 4).double()),
        "orthogonal_cayley": lambda: P.orthogonal(latte.nn.Linear(4, 4).double(),
                                                  orthogonal_map="cayley"),
        "orthogonal_householder": lambda: P.orthogonal(latte.nn.Linear(5, 3).double(),
                                                       orthogonal_map="householder"),
    }


@pytest.mark.parametrize("name", sorted(_layers()))
def test_parametrized_layer_on_gpu_matches_cpu(gpu, name):
    latte.manual_seed(0)
    cpu = _layers()[name]()
    dev = _layers()[name]()
    dev.load_state_dict(cpu.state_dict())
    dev.to("cuda:0")
    x = np.random.default_rng(1).standard_normal((2, cpu.in_features))
    x_dev = latte.tensor(x).to("cuda:0")
    before = gpu.transfers["to_host"]
    y = dev(x_dev)
    (y ** 2).sum().backward()
    assert gpu.transfers["to_host"] == before, "hidden copy to the host"
    assert y.device == latte.device("cuda:0")
    y_cpu = cpu(latte.tensor(x))
    (y_cpu ** 2).sum().backward()
    np.testing.assert_allclose(y.cpu().detach().numpy(), y_cpu.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    for (k, p), q in zip(dev.named_parameters(), cpu.parameters()):
        np.testing.assert_allclose(p.grad.cpu().numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=k)
    for b, c in zip(dev.buffers(), cpu.buffers()):  # spectral_norm's power iteration
        np.testing.assert_allclose(b.cpu().numpy(), c.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("api", ["jacobian", "hessian", "hvp", "jvp"])
def test_autograd_functional_on_gpu_matches_cpu(gpu, api):
    a = np.random.default_rng(2).standard_normal(4)

    def f(x):
        y = (x.sin() * x).exp()
        return y.sum() if api in ("hessian", "hvp") else y

    def run(device):
        x = latte.tensor(a).to(device)
        if api in ("jacobian", "hessian"):
            return getattr(AF, api)(f, x)
        return getattr(AF, api)(f, x, latte.ones(4, dtype=latte.float64).to(device))[1]

    before = gpu.transfers["to_host"]
    ours = run("cuda:0")
    assert gpu.transfers["to_host"] == before, "hidden copy to the host"
    assert ours.device == latte.device("cuda:0")
    np.testing.assert_allclose(ours.cpu().numpy(), run("cpu").numpy(), rtol=1e-10, atol=1e-12)
