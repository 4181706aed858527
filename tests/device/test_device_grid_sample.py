"""F.affine_grid and F.grid_sample on the stand-in GPU: same values and gradients as on the CPU,
results on the input's GPU, and no copies to the host (forward and backward)."""
from __future__ import annotations

import numpy as np
import pytest

import latte
import latte.nn.functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 5, 6))
THETA = RNG.standard_normal((2, 2, 3))
GRID = RNG.uniform(-2, 2, (2, 4, 3, 2))


def _run(place, mode, padding_mode, align_corners):
    x = place(X).requires_grad_()
    theta = place(THETA).requires_grad_()
    grid = F.affine_grid(theta, (2, 3, 4, 3), align_corners=align_corners) + place(GRID)
    out = F.grid_sample(x, grid, mode=mode, padding_mode=padding_mode,
                        align_corners=align_corners)
    (out * out).sum().backward()
    return out, x.grad, theta.grad


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_on_gpu_matches_cpu(mode, padding_mode, align_corners, gpu):
    expected = _run(latte.tensor, mode, padding_mode, align_corners)
    gpu.strict_current = True
    before = dict(gpu.transfers)
    got = _run(lambda a: latte.tensor(a).to("cuda:1" if gpu.device_count() > 1 else "cuda"),
               mode, padding_mode, align_corners)
    if gpu.name == "stand-in":
        assert gpu.transfers["to_host"] == before["to_host"], "hidden copy to the host"
    for g, e in zip(got, expected):
        if e is None:
            assert g is None
            continue
        assert g.device.type == "cuda"
        np.testing.assert_allclose(g.detach().cpu().numpy(), e.detach().numpy(),
                                   rtol=1e-12, atol=1e-12)
