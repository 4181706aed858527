"""Shared helpers for the nn tests: run a Latte module and its PyTorch twin on the same weights
and inputs, and compare outputs, input gradients and parameter gradients."""
from __future__ import annotations

import numpy as np

import latte


def load_from_torch(lmod, tmod) -> None:
    """Copy the PyTorch module's parameters and buffers into the Latte one."""
    lmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})


def close(got, expected, rtol=1e-5, atol=1e-5, what=""):
    got = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
    expected = expected.detach().numpy() if hasattr(expected, "detach") else np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs torch {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def run_pair(torch, lmod, tmod, *inputs, rtol=1e-5, atol=1e-5, seed=0, copy=True):
    """Forward both modules on the NumPy ``inputs`` (float ones require grad), backward a
    random upstream gradient, and compare everything. Returns the two outputs."""
    if copy:
        load_from_torch(lmod, tmod)
    lin = [latte.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    tin = [torch.tensor(x, requires_grad=x.dtype.kind == "f") for x in inputs]
    lout, tout = lmod(*lin), tmod(*tin)
    close(lout, tout, rtol, atol, "output")
    if not tout.requires_grad:
        return lout, tout
    upstream = np.random.default_rng(seed).standard_normal(tuple(tout.shape)).astype(
        np.asarray(inputs[0]).dtype if np.asarray(inputs[0]).dtype.kind == "f" else np.float32)
    lout.backward(latte.tensor(upstream))
    tout.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(lin, tin)):
        if b.grad is not None:
            close(a.grad, b.grad, rtol, atol, f"grad of input {i}")
    tparams = dict(tmod.named_parameters())
    for name, p in lmod.named_parameters():
        if tparams[name].grad is not None:
            close(p.grad, tparams[name].grad, rtol, atol, f"grad of {name}")
    return lout, tout


def f64(*shape, seed=0, scale=1.0):
    """A float64 leaf for gradcheck."""
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    return latte.tensor(x, dtype=latte.float64, requires_grad=True)
