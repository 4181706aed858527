"""``latte.func`` and ``latte.autograd.functional`` as PyTorch's tutorials use them: per-sample
gradients, model ensembling, Jacobians/Hessians/hvp, and neural tangent kernels.

Each test checks hard-coded or self-consistent expectations without PyTorch; the ``_torch``
tests also compare with PyTorch when it is installed.
"""
import copy

import numpy as np
import pytest

import latte
import latte.nn.functional as F
from latte import func, nn
from latte.autograd import functional as AF


def _arr(*shape, seed=0, dtype="float64"):
    return np.random.RandomState(seed).randn(*shape).astype(dtype)


def _t(*shape, seed=0, dtype="float64"):
    return latte.from_numpy(_arr(*shape, seed=seed, dtype=dtype))


# --- per-sample gradients -----------------------------------------------------------------

def _mlp(seed=0):
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
    model.load_state_dict({k: latte.from_numpy(_arr(*v.shape, seed=seed + i) * 0.5)
                           for i, (k, v) in enumerate(model.state_dict().items())})
    return model


def _per_sample_grads(model, data, targets):
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        out = func.functional_call(model, (params, buffers), (sample.unsqueeze(0),))
        return F.cross_entropy(out, target.unsqueeze(0))

    return func.vmap(func.grad(compute_loss), in_dims=(None, None, 0, 0))(
        params, buffers, data, targets)


def test_per_sample_grads_match_a_loop_of_autograd_grad():
    model = _mlp()
    data, targets = _t(4, 5, seed=9), latte.tensor([0, 2, 1, 2])
    grads = _per_sample_grads(model, data, targets)
    for i in range(4):
        loss = F.cross_entropy(model(data[i:i + 1]), targets[i:i + 1])
        expected = latte.autograd.grad(loss, list(model.parameters()))
        for (name, g), e in zip(grads.items(), expected):
            assert g.shape == (4, *e.shape), name
            np.testing.assert_allclose(g[i].numpy(), e.numpy(), rtol=1e-10, atol=1e-12)
    assert not any(g.requires_grad for g in grads.values())


def test_per_sample_grads_torch():
    torch = pytest.importorskip("torch")
    model = _mlp()
    t_model = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(),
                                  torch.nn.Linear(8, 3)).double()
    t_model.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in
                             model.state_dict().items()})
    data, targets = _arr(4, 5, seed=9), np.array([0, 2, 1, 2])
    ours = _per_sample_grads(model, latte.from_numpy(data), latte.from_numpy(targets))

    def t_loss(params, sample, target):
        out = torch.func.functional_call(t_model, params, (sample.unsqueeze(0),))
        return torch.nn.functional.cross_entropy(out, target.unsqueeze(0))

    t_params = {k: v.detach() for k, v in t_model.named_parameters()}
    theirs = torch.func.vmap(torch.func.grad(t_loss), in_dims=(None, 0, 0))(
        t_params, torch.from_numpy(data), torch.from_numpy(targets))
    for k in theirs:
        np.testing.assert_allclose(ours[k].numpy(), theirs[k].numpy(), rtol=1e-10, atol=1e-12)


# --- model ensembling ---------------------------------------------------------------------

def test_ensemble_vmap_over_stacked_state_matches_each_model():
    models = [_mlp(seed=10 * i) for i in range(3)]
    params, buffers = func.stack_module_state(models)
    assert all(p.is_leaf and p.requires_grad and p.shape[0] == 3 for p in params.values())
    base = copy.deepcopy(models[0])

    def fmodel(params, buffers, x):
        return func.functional_call(base, (params, buffers), (x,))

    x = _t(6, 5, seed=1)
    out = func.vmap(fmodel, in_dims=(0, 0, None), randomness="different")(params, buffers, x)
    assert out.shape == (3, 6, 3)
    for i, m in enumerate(models):
        np.testing.assert_allclose(out[i].detach().numpy(), m(x).detach().numpy(), rtol=1e-12)
    minibatches = _t(3, 6, 5, seed=2)
    out = func.vmap(fmodel)(params, buffers, minibatches)
    for i, m in enumerate(models):
        np.testing.assert_allclose(out[i].detach().numpy(), m(minibatches[i]).detach().numpy(),
                                   rtol=1e-12)
    out.pow(2).mean().backward()  # training the ensemble reaches the stacked leaves
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params.values())


# --- vmap's randomness='error' ------------------------------------------------------------

def test_vmap_randomness_error_raises_on_a_random_op():
    x = latte.ones(3, 4)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.vmap(lambda a: a + latte.rand(()))(x)
    drop = nn.Dropout(0.5)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.vmap(drop)(x)
    drop.eval()  # no draws: fine in error mode
    np.testing.assert_array_equal(func.vmap(drop)(x).numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="randomness error mode"):
        func.jacfwd(lambda a: a * latte.rand(()))(latte.ones(2))
    # jacrev has no randomness flag: random ops are fine, as in PyTorch
    np.testing.assert_array_equal(func.jacrev(lambda a: a + latte.rand(()))(latte.ones(2))
                                  .numpy(), np.eye(2))


def test_vmap_randomness_same_and_different():
    drop = nn.Dropout(0.5)
    latte.manual_seed(0)
    same = func.vmap(drop, randomness="same")(latte.ones(4, 200))
    assert all(latte.equal(same[0], same[i]) for i in range(1, 4))
    different = func.vmap(drop, randomness="different")(latte.ones(4, 200))
    assert not latte.equal(different[0], different[1])


def test_vmap_randomness_error_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="randomness error mode"):
        torch.vmap(lambda a: a + torch.rand(()))(torch.ones(3))


# --- Jacobians, Hessians, hvp and vhp -----------------------------------------------------

def _predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


def _predict_args(dtype="float64"):
    return _t(6, 4, seed=1, dtype=dtype), _t(6, seed=2, dtype=dtype), _t(4, seed=3, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_jacobian_tutorial_agreement(dtype):
    weight, bias, x = _predict_args(dtype)
    jac = func.jacrev(_predict, argnums=2)(weight, bias, x)
    assert jac.shape == (6, 4) and jac.dtype == getattr(latte, dtype)
    # d tanh(Wx + b) / dx = diag(1 - y^2) W
    y = np.tanh(weight.numpy() @ x.numpy() + bias.numpy())
    expected = (1 - y ** 2)[:, None] * weight.numpy()
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(jac.numpy(), expected, rtol=tol, atol=tol)
    _, vjp_fn = func.vjp(lambda x: _predict(weight, bias, x), x)
    (by_vjp,) = func.vmap(vjp_fn)(latte.eye(6, dtype=jac.dtype))
    for other in (by_vjp, func.jacfwd(_predict, argnums=2)(weight, bias, x),
                  func.jacrev(_predict, argnums=2, chunk_size=2)(weight, bias, x)):
        np.testing.assert_allclose(other.numpy(), expected, rtol=tol, atol=tol)
    jw, jb = func.jacrev(_predict, argnums=(0, 1))(weight, bias, x)
    assert jw.shape == (6, 6, 4) and jb.shape == (6, 6)
    np.testing.assert_allclose(jb.numpy(), np.diag(1 - y ** 2), rtol=tol, atol=tol)
    hess = func.hessian(_predict, argnums=2)(weight, bias, x)
    assert hess.shape == (6, 4, 4)
    batch = func.vmap(func.jacrev(_predict, argnums=2), in_dims=(None, None, 0))(
        weight, bias, _t(5, 4, seed=7, dtype=dtype))
    assert batch.shape == (5, 6, 4)


def test_hvp_by_jvp_of_grad_equals_vhp_by_vjp_of_grad():
    x, v = _t(7, seed=4), _t(7, seed=5)

    def f(x):
        return x.sin().sum()

    hvp = func.jvp(func.grad(f), (x,), (v,))[1]
    vhp = func.vjp(func.grad(f), x)[1](v)[0]
    expected = -np.sin(x.numpy()) * v.numpy()  # the Hessian of sum(sin x) is diag(-sin x)
    for got in (hvp, vhp, AF.hvp(f, x, v)[1], AF.vhp(f, x, v)[1]):
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12, atol=1e-14)


def test_autograd_functional_forward_mode_strategy():
    weight, bias, x = _predict_args()
    rev = AF.jacobian(_predict, (weight, bias, x))
    fwd = AF.jacobian(_predict, (weight, bias, x), vectorize=True, strategy="forward-mode")
    assert len(fwd) == 3
    for r, f in zip(rev, fwd):
        assert r.shape == f.shape and not f.requires_grad
        np.testing.assert_allclose(f.numpy(), r.numpy(), rtol=1e-12)
    hess = AF.hessian(lambda x: x.sin().sum(), x, vectorize=True,
                      outer_jacobian_strategy="forward-mode")
    np.testing.assert_allclose(hess.numpy(), np.diag(-np.sin(x.numpy())), atol=1e-14)
    with pytest.raises(NotImplementedError, match="vectorize=True"):
        AF.jacobian(latte.sin, x, strategy="forward-mode")
    with pytest.raises(NotImplementedError, match="create_graph=True"):
        AF.jacobian(latte.sin, x, create_graph=True, vectorize=True, strategy="forward-mode")
    with pytest.raises(RuntimeError, match="strict=True"):
        AF.jacobian(latte.sin, x, strict=True, vectorize=True, strategy="forward-mode")


def test_autograd_functional_forward_mode_strategy_torch():
    torch = pytest.importorskip("torch")
    arrays = [a.numpy() for a in _predict_args()]

    def t_predict(w, b, x):
        return torch.nn.functional.linear(x, w, b).tanh()

    theirs = torch.autograd.functional.jacobian(
        t_predict, tuple(torch.from_numpy(a) for a in arrays), vectorize=True,
        strategy="forward-mode")
    ours = AF.jacobian(_predict, tuple(latte.from_numpy(a) for a in arrays), vectorize=True,
                       strategy="forward-mode")
    for o, t in zip(ours, theirs):
        assert tuple(o.shape) == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError, match="vectorize=True"):
        torch.autograd.functional.jacobian(torch.sin, torch.ones(2), strategy="forward-mode")


def test_integer_outputs_are_refused_by_reverse_transforms():
    x = _t(3)
    for call in (lambda: func.vjp(lambda a: a.long(), x),
                 lambda: func.vjp(lambda a: (a, a.long()), x),
                 lambda: func.jacrev(lambda a: a.long())(x),
                 lambda: func.hessian(lambda a: a.long())(x)):
        with pytest.raises(RuntimeError, match="must be floating-point or complex"):
            call()
    # grad of a scalar that does not depend on x differentiably is zeros, as in PyTorch
    np.testing.assert_array_equal(func.grad(lambda a: a.sum().long())(x).numpy(), np.zeros(3))


def test_integer_outputs_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="must be floating-point or complex"):
        torch.func.jacrev(lambda a: a.long())(torch.ones(3))


# --- neural tangent kernels ---------------------------------------------------------------

def _ntk_pair():
    net = _mlp(seed=3)
    params = {k: v.detach() for k, v in net.named_parameters()}

    def fnet_single(params, x):
        return func.functional_call(net, params, (x.unsqueeze(0),)).squeeze(0)

    return fnet_single, params


def _ntk_by_jacobians(fnet_single, params, x1, x2):
    jac1 = [j.flatten(2) for j in func.vmap(func.jacrev(fnet_single), (None, 0))(params, x1)
            .values()]
    jac2 = [j.flatten(2) for j in func.vmap(func.jacrev(fnet_single), (None, 0))(params, x2)
            .values()]
    return latte.stack([latte.einsum("Naf,Mbf->NMab", a, b) for a, b in zip(jac1, jac2)]).sum(0)


def _ntk_by_products(fnet_single, params, x1, x2):
    def get_ntk(x1, x2):
        output, vjp_fn = func.vjp(lambda p: fnet_single(p, x1), params)

        def get_ntk_slice(vec):
            return func.jvp(lambda p: fnet_single(p, x2), (params,), vjp_fn(vec))[1]

        return func.vmap(get_ntk_slice)(latte.eye(output.numel(), dtype=output.dtype))

    return func.vmap(func.vmap(get_ntk, (None, 0)), (0, None))(x1, x2)


def test_ntk_two_ways_agree():
    fnet_single, params = _ntk_pair()
    x1, x2 = _t(3, 5, seed=11), _t(2, 5, seed=12)
    by_jac = _ntk_by_jacobians(fnet_single, params, x1, x2)
    by_vps = _ntk_by_products(fnet_single, params, x1, x2)
    assert by_jac.shape == by_vps.shape == (3, 2, 3, 3)
    np.testing.assert_allclose(by_vps.numpy(), by_jac.numpy(), rtol=1e-10, atol=1e-12)
    # the kernel of a point with itself is a Gram matrix: symmetric positive semi-definite
    k = _ntk_by_jacobians(fnet_single, params, x1[:1], x1[:1])[0, 0].numpy()
    np.testing.assert_allclose(k, k.T, rtol=1e-12)
    assert np.linalg.eigvalsh(k).min() > -1e-10


def test_jacfwd_of_an_integer_output_is_zeros_not_an_error():
    jac = func.jacfwd(lambda a: a.long())(_t(3))
    assert jac.shape == (3, 3)
    np.testing.assert_array_equal(jac.numpy(), np.zeros((3, 3)))
