"""latte.func on the stand-in GPU: vmap, per-sample gradients, Jacobians and a vmapped ensemble
give the CPU's values, on 'cuda:0', with no copy to the host."""
from __future__ import annotations

import numpy as np

import latte
import latte.func as LF


def _loss(p, x, y):
    return ((latte.tanh(x @ p["w"] + p["b"]) - y) ** 2).mean()


def test_func_transforms_on_gpu_match_cpu(gpu):
    rng = np.random.default_rng(0)
    arrays = {"w": rng.standard_normal((3, 4)), "b": rng.standard_normal(4),
              "x": rng.standard_normal((5, 3)), "y": rng.standard_normal((5, 4))}

    def run(device):
        t = {k: latte.tensor(v).to(device) for k, v in arrays.items()}
        params = {"w": t["w"], "b": t["b"]}
        per_sample = LF.vmap(LF.grad(_loss), in_dims=(None, 0, 0))(params, t["x"], t["y"])
        jac = LF.vmap(LF.jacrev(lambda r: (r.sin() * r).exp()))(t["x"])
        hess = LF.hessian(lambda r: (r ** 3).sum())(t["b"])
        unbatched = LF.vmap(lambda r: (r.sum(), t["w"]), out_dims=(0, None))(t["x"])[1]
        return [per_sample["w"], per_sample["b"], jac, hess, unbatched]

    before = gpu.transfers["to_host"]
    on_gpu = run("cuda:0")
    assert gpu.transfers["to_host"] == before, "hidden copy to the host"
    for ours, cpu in zip(on_gpu, run("cpu")):
        assert ours.device == latte.device("cuda:0")
        np.testing.assert_allclose(ours.cpu().numpy(), cpu.numpy(), rtol=1e-10, atol=1e-12)


def test_vmapped_ensemble_on_gpu(gpu):
    models = [latte.nn.Linear(3, 2).double().to("cuda:0") for _ in range(3)]
    params, buffers = LF.stack_module_state(models)
    x = latte.randn(4, 3, dtype=latte.float64).to("cuda:0")
    before = gpu.transfers["to_host"]
    out = LF.vmap(lambda p, b, d: LF.functional_call(models[0], (p, b), (d,)),
                  in_dims=(0, 0, None))(params, buffers, x)
    out.sum().backward()
    assert gpu.transfers["to_host"] == before, "hidden copy to the host"
    expected = latte.stack([m(x) for m in models])
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().cpu().numpy(),
                               rtol=1e-12)
    assert params["weight"].grad.device == latte.device("cuda:0")
