"""nn.utils: gradient clipping and parameter/vector conversion."""
from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_helpers import close

import latte
import latte.nn as nn
from latte.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def _params_with_grads(lib, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for shape in [(3, 4), (4,), (2, 2)]:
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(shape).astype(np.float32)))
        p.grad = lib.tensor((rng.standard_normal(shape) * 3).astype(np.float32))
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    lp, tp = _params_with_grads(latte), _params_with_grads(torch)
    ltotal = clip_grad_norm_(lp, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    close(ltotal, ttotal, 1e-5, 1e-5, "total norm")
    for a, b in zip(lp, tp):
        close(a.grad, b.grad, 1e-5, 1e-6, "clipped grad")


def test_clip_grad_norm_nonfinite_and_single_tensor():
    p = nn.Parameter(latte.ones(2))
    p.grad = latte.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    q = nn.Parameter(latte.ones(2))
    q.grad = latte.tensor([3.0, 4.0])
    assert clip_grad_norm_(q, 1.0).item() == pytest.approx(5.0)
    assert np.linalg.norm(q.grad.numpy()) == pytest.approx(1.0, rel=1e-5)
    assert clip_grad_norm_([nn.Parameter(latte.ones(1))], 1.0).item() == 0.0


def test_clip_grad_value():
    lp = _params_with_grads(latte)
    clip_grad_value_(lp, 0.5)
    assert all(np.abs(p.grad.numpy()).max() <= 0.5 for p in lp)
    assert any(np.abs(p.grad.numpy()).max() == 0.5 for p in lp)


def test_parameters_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (11,)
    vector_to_parameters(vec * 0 + 2.0, model.parameters())
    assert all((p.detach().numpy() == 2.0).all() for p in model.parameters())
    with pytest.raises(RuntimeError, match="11"):
        vector_to_parameters(latte.zeros(5), model.parameters())
