"""Normal.cdf / icdf and MultivariateNormal against torch.distributions: values, gradients in
every parameter, shapes, validation, sampling (reparametrised draws and moments)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import latte
from latte.autograd import gradcheck
from latte.distributions import MultivariateNormal, Normal, constraints

TD = torch.distributions
RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4, 4))
COV = A @ A.transpose(0, 2, 1) + np.eye(4)
LOC = RNG.standard_normal((2, 1, 4))
X = RNG.standard_normal((5, 2, 3, 4))
PARAMS = {"covariance_matrix": COV, "precision_matrix": np.linalg.inv(COV),
          "scale_tril": np.linalg.cholesky(COV)}


def _close(got, expected, tol=1e-10, what=""):
    got = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
    expected = expected.detach().numpy() if hasattr(expected, "detach") else expected
    assert got.shape == expected.shape, f"{what}: {got.shape} vs {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol, err_msg=what)


def test_normal_cdf_icdf_match_torch():
    loc, scale = RNG.standard_normal(5), RNG.uniform(0.5, 2, 5)
    value, prob = RNG.standard_normal((3, 5)) * 2, RNG.uniform(0.01, 0.99, (3, 5))
    lp = [latte.tensor(a, requires_grad=True) for a in (loc, scale, value, prob)]
    tp = [torch.tensor(a, requires_grad=True) for a in (loc, scale, value, prob)]
    ld, td = Normal(lp[0], lp[1]), TD.Normal(tp[0], tp[1])
    lout = ld.cdf(lp[2]).sum() + ld.icdf(lp[3]).pow(2).sum()
    tout = td.cdf(tp[2]).sum() + td.icdf(tp[3]).pow(2).sum()
    _close(ld.cdf(lp[2]), td.cdf(tp[2]), what="cdf")
    _close(ld.icdf(lp[3]), td.icdf(tp[3]), what="icdf")
    lout.backward()
    tout.backward()
    for i, (a, b) in enumerate(zip(lp, tp)):
        _close(a.grad, b.grad, 1e-8, f"grad {i}")
    # icdf inverts cdf
    _close(ld.icdf(ld.cdf(lp[2])), value, 1e-8, "round trip")


def test_normal_cdf_validates_and_gradchecks():
    d = Normal(latte.tensor([0.0, 1.0]), latte.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="Tensor"):
        d.cdf(0.5)
    loc = latte.tensor(RNG.standard_normal(3), requires_grad=True)
    scale = latte.tensor(RNG.uniform(0.5, 2, 3), requires_grad=True)
    p = latte.tensor(RNG.uniform(0.1, 0.9, 3), requires_grad=True)
    assert gradcheck(lambda m, s, q: Normal(m, s).icdf(q) + Normal(m, s).cdf(q), [loc, scale, p])


@pytest.mark.parametrize("kind", list(PARAMS))
def test_mvn_values_and_grads_match_torch(kind):
    lloc, tloc = latte.tensor(LOC, requires_grad=True), torch.tensor(LOC, requires_grad=True)
    lmat = latte.tensor(PARAMS[kind], requires_grad=True)
    tmat = torch.tensor(PARAMS[kind], requires_grad=True)
    ld = MultivariateNormal(lloc, **{kind: lmat})
    td = TD.MultivariateNormal(tloc, **{kind: tmat})
    assert tuple(ld.batch_shape) == tuple(td.batch_shape) == (2, 3)
    assert tuple(ld.event_shape) == tuple(td.event_shape) == (4,)
    assert repr(ld).replace("latte", "torch") == repr(td)
    for name in ("mean", "mode", "variance", "stddev", "covariance_matrix", "precision_matrix",
                 "scale_tril"):
        _close(getattr(ld, name), getattr(td, name), 1e-10, name)
    lx, tx = latte.tensor(X), torch.tensor(X)
    _close(ld.log_prob(lx), td.log_prob(tx), 1e-10, "log_prob")
    _close(ld.entropy(), td.entropy(), 1e-10, "entropy")
    up = RNG.standard_normal((5, 2, 3))
    ((ld.log_prob(lx) * latte.tensor(up)).sum() + ld.entropy().sum()).backward()
    ((td.log_prob(tx) * torch.tensor(up)).sum() + td.entropy().sum()).backward()
    _close(lloc.grad, tloc.grad, 1e-8, "loc grad")
    # torch symmetrises the gradient of a symmetric matrix parameter: compare the
    # symmetrised gradients (both describe the same first-order change on symmetric inputs)
    lg, tg = lmat.grad.numpy(), tmat.grad.numpy()
    if kind != "scale_tril":
        lg, tg = (lg + lg.transpose(0, 2, 1)) / 2, (tg + tg.transpose(0, 2, 1)) / 2
    _close(lg, tg, 1e-8, f"{kind} grad")


def test_mvn_rsample_is_reparametrised():
    loc = latte.tensor(LOC, requires_grad=True)
    low = latte.tensor(PARAMS["scale_tril"], requires_grad=True)
    d = MultivariateNormal(loc, scale_tril=low)
    latte.manual_seed(3)
    s = d.rsample((6,))
    latte.manual_seed(3)
    eps = latte.randn(6, 2, 3, 4, dtype=latte.float64).numpy()
    assert s.shape == (6, 2, 3, 4)
    _close(s, LOC + np.einsum("bij,sabj->sabi", PARAMS["scale_tril"], eps), 1e-12, "draw")
    s.sum().backward()
    _close(loc.grad, np.full(LOC.shape, 6 * 3.0), 1e-12, "loc grad")
    expected = np.broadcast_to(eps.sum((0, 1))[:, None, :], (3, 4, 4))  # L eps: full grad
    _close(low.grad, expected, 1e-10, "scale_tril grad")
    assert not d.sample().requires_grad and d.sample().shape == (2, 3, 4)


def test_mvn_sample_moments():
    latte.manual_seed(0)
    cov = latte.tensor([[2.0, 0.6], [0.6, 0.5]])
    d = MultivariateNormal(latte.tensor([1.0, -2.0]), covariance_matrix=cov)
    s = d.sample((20000,)).numpy()
    np.testing.assert_allclose(s.mean(0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(np.cov(s.T), cov.numpy(), atol=0.06)


def test_mvn_gradcheck_log_prob():
    loc = latte.tensor(RNG.standard_normal(3), requires_grad=True)
    low = latte.tensor(np.linalg.cholesky(COV[0, :3, :3]), requires_grad=True)
    x = latte.tensor(RNG.standard_normal((2, 3)))
    assert gradcheck(lambda m, L: MultivariateNormal(m, scale_tril=L.tril()).log_prob(x),
                     [loc, low])
    assert gradcheck(lambda m, L: MultivariateNormal(m, scale_tril=L.tril()).entropy(),
                     [loc, low])


def test_mvn_expand_and_errors():
    d = MultivariateNormal(latte.zeros(2), latte.eye(2))
    e = d.expand((3,))
    assert e.batch_shape == (3,) and e.sample().shape == (3, 2)
    assert e.covariance_matrix.shape == (3, 2, 2)
    _close(e.log_prob(latte.zeros(3, 2)), np.full(3, -np.log(2 * np.pi)), 1e-6)
    with pytest.raises(ValueError, match="Exactly one"):
        MultivariateNormal(latte.zeros(2), latte.eye(2), scale_tril=latte.eye(2))
    with pytest.raises(ValueError, match="Exactly one"):
        MultivariateNormal(latte.zeros(2))
    with pytest.raises(ValueError, match="one-dimensional"):
        MultivariateNormal(latte.tensor(0.0), latte.eye(1))
    with pytest.raises(ValueError, match=r"\[3, 3\].*\[2\]"):
        MultivariateNormal(latte.zeros(2), latte.eye(3))
    with pytest.raises(ValueError, match="covariance_matrix"):
        MultivariateNormal(latte.zeros(2), -latte.eye(2))
    with pytest.raises(ValueError, match="scale_tril"):
        MultivariateNormal(latte.zeros(2), scale_tril=latte.ones(2, 2))
    with pytest.raises(ValueError, match="event_shape"):
        d.log_prob(latte.zeros(3))
    assert constraints.lower_cholesky.check(latte.eye(2)).item()
    assert not constraints.positive_definite.check(latte.tensor([[1.0, 2.0], [2.0, 1.0]])).item()


CONC = RNG.uniform(0.3, 4.0, (2, 3))
RATE = RNG.uniform(0.5, 2.0, (2, 3))


@pytest.mark.parametrize("name", ["Gamma", "Beta"])
def test_gamma_beta_values_and_grads_match_torch(name):
    value = RNG.uniform(0.05, 0.95, (4, 2, 3))
    lp = [latte.tensor(a, requires_grad=True) for a in (CONC, RATE)]
    tp = [torch.tensor(a, requires_grad=True) for a in (CONC, RATE)]
    ld, td = getattr(latte.distributions, name)(*lp), getattr(TD, name)(*tp)
    assert ld.batch_shape == td.batch_shape == (2, 3)
    for attr in ("mean", "mode", "variance", "stddev"):
        _close(getattr(ld, attr), getattr(td, attr), 1e-10, attr)
    _close(ld.log_prob(latte.tensor(value)), td.log_prob(torch.tensor(value)), 1e-10, "log_prob")
    _close(ld.entropy(), td.entropy(), 1e-10, "entropy")
    (ld.log_prob(latte.tensor(value)).sum() + ld.entropy().sum()).backward()
    (td.log_prob(torch.tensor(value)).sum() + td.entropy().sum()).backward()
    for i, (a, b) in enumerate(zip(lp, tp)):
        _close(a.grad, b.grad, 1e-8, f"grad {i}")
    assert ld.expand((5, 2, 3)).sample().shape == (5, 2, 3)
    with pytest.raises(ValueError, match="concentration"):
        getattr(latte.distributions, name)(latte.tensor([-1.0]), latte.tensor([1.0]))


def test_gamma_rsample_gradient_matches_torch_implicit_gradient():
    conc = np.repeat(np.array([0.05, 0.3, 1.0, 2.5, 9.0, 150.0]), 300)
    rate = np.full_like(conc, 1.7)
    a, r = latte.tensor(conc, requires_grad=True), latte.tensor(rate, requires_grad=True)
    latte.manual_seed(0)
    x = latte.distributions.Gamma(a, r).rsample()
    x.sum().backward()
    draws = x.detach().numpy() * rate  # the standard-gamma draws
    ref = torch._standard_gamma_grad(torch.tensor(conc), torch.tensor(draws)).numpy() / rate
    np.testing.assert_allclose(a.grad.numpy(), ref, rtol=5e-3, atol=1e-12)
    _close(r.grad, -x.detach().numpy() / rate, 1e-12, "rate grad")


def test_gamma_beta_sample_moments_and_mean_gradient():
    latte.manual_seed(1)
    a = latte.tensor([0.7, 3.0], requires_grad=True)
    b = latte.tensor([2.0, 1.5], requires_grad=True)
    g = latte.distributions.Gamma(a, b).sample((40000,)).numpy()
    np.testing.assert_allclose(g.mean(0), [0.35, 2.0], rtol=0.03)
    np.testing.assert_allclose(g.var(0), [0.175, 4 / 3], rtol=0.06)
    x = latte.distributions.Beta(a, b).rsample((40000,))
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    x.mean(0).sum().backward()  # pathwise gradient of E[x] = a / (a + b)
    an, bn = a.detach().numpy(), b.detach().numpy()
    np.testing.assert_allclose(x.detach().numpy().mean(0), an / (an + bn), rtol=0.02)
    np.testing.assert_allclose(a.grad.numpy(), bn / (an + bn) ** 2, rtol=0.05)
    np.testing.assert_allclose(b.grad.numpy(), -an / (an + bn) ** 2, rtol=0.05)
