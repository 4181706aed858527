"""The long tail of latte.distributions against torch.distributions on fixed parameters:
log_prob / entropy / moments / cdf / icdf values and their float64 gradients in every
parameter, shapes, expand, reprs and constraint names, validation errors, seeded sampling
(support, moments, reparametrised gradients), KL divergences, transforms and the
biject_to / transform_to registries."""
from __future__ import annotations

import numpy as np
import pytest

import latte
import latte.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(1)
POS = RNG.uniform(0.5, 3.0, (2, 3))
POS2 = RNG.uniform(0.5, 3.0, (2, 3))
BIG = RNG.uniform(2.5, 6.0, (2, 3))     # df > 2: finite variance
REAL = RNG.standard_normal((2, 3))
P01 = RNG.uniform(0.1, 0.9, (2, 3))
CONC = RNG.uniform(0.5, 3.0, (2, 4))
PROBS = RNG.dirichlet(np.ones(4), 2)
COUNT = np.full((2, 3), 7.0)
SIMPLEX4 = RNG.dirichlet(np.ones(4), (3, 2))
_A = RNG.standard_normal((2, 3, 3))
SCALE_TRIL = np.linalg.cholesky(_A @ _A.transpose(0, 2, 1) / 3 + np.eye(3))
_B = RNG.standard_normal((4, 2, 3, 5))
SPD = _B @ _B.transpose(0, 1, 3, 2) + 0.5 * np.eye(3)
_C = RNG.standard_normal((4, 2, 3, 3))
CORR_CHOL = np.linalg.cholesky(
    (lambda m: m / np.sqrt(np.diagonal(m, 0, -2, -1)[..., None]
                           * np.diagonal(m, 0, -2, -1)[..., None, :]))(
        _C @ _C.transpose(0, 1, 3, 2) + np.eye(3)))


def _tensors(lib, arrays, grad=True):
    return [lib.tensor(a, dtype=lib.float64, requires_grad=grad and a.dtype.kind == "f"
                       and name != "const")
            for name, a in arrays]


# (id, [(name, array)], value maker, builder(lib.distributions, tensors), draws to check
# moments from: 0 where the variance is infinite)
CASES = [
    ("Exponential", [("rate", POS)], lambda: RNG.uniform(0, 3, (4, 2, 3)),
     lambda d, a: d.Exponential(a[0]), 20000),
    ("Laplace", [("loc", REAL), ("scale", POS)], lambda: RNG.standard_normal((4, 2, 3)),
     lambda d, a: d.Laplace(a[0], a[1]), 20000),
    ("LogNormal", [("loc", REAL * 0.3), ("scale", POS * 0.2)],
     lambda: RNG.uniform(0.1, 3, (4, 2, 3)), lambda d, a: d.LogNormal(a[0], a[1]), 20000),
    ("Poisson", [("rate", POS)], lambda: RNG.integers(0, 6, (4, 2, 3)).astype(float),
     lambda d, a: d.Poisson(a[0]), 20000),
    ("Binomial-probs", [("const", COUNT), ("probs", P01)],
     lambda: RNG.integers(0, 8, (4, 2, 3)).astype(float),
     lambda d, a: d.Binomial(a[0], probs=a[1]), 20000),
    ("Binomial-logits", [("const", COUNT), ("logits", REAL)],
     lambda: RNG.integers(0, 8, (4, 2, 3)).astype(float),
     lambda d, a: d.Binomial(a[0], logits=a[1]), 20000),
    ("Geometric-probs", [("probs", P01)], lambda: RNG.integers(0, 6, (4, 2, 3)).astype(float),
     lambda d, a: d.Geometric(probs=a[0]), 20000),
    ("Geometric-logits", [("logits", REAL)],
     lambda: RNG.integers(0, 6, (4, 2, 3)).astype(float),
     lambda d, a: d.Geometric(logits=a[0]), 20000),
    ("Cauchy", [("loc", REAL), ("scale", POS)], lambda: RNG.standard_normal((4, 2, 3)) * 3,
     lambda d, a: d.Cauchy(a[0], a[1]), 0),
    ("HalfNormal", [("scale", POS)], lambda: RNG.uniform(0, 3, (4, 2, 3)),
     lambda d, a: d.HalfNormal(a[0]), 20000),
    ("HalfCauchy", [("scale", POS)], lambda: RNG.uniform(0, 3, (4, 2, 3)),
     lambda d, a: d.HalfCauchy(a[0]), 0),
    ("StudentT", [("df", BIG), ("loc", REAL), ("scale", POS)],
     lambda: RNG.standard_normal((4, 2, 3)) * 2, lambda d, a: d.StudentT(a[0], a[1], a[2]),
     40000),
    ("Chi2", [("df", BIG)], lambda: RNG.uniform(0.1, 8, (4, 2, 3)),
     lambda d, a: d.Chi2(a[0]), 20000),
    ("Dirichlet", [("concentration", CONC)], lambda: SIMPLEX4,
     lambda d, a: d.Dirichlet(a[0]), 20000),
    ("Gumbel", [("loc", REAL), ("scale", POS)], lambda: RNG.standard_normal((4, 2, 3)) * 2,
     lambda d, a: d.Gumbel(a[0], a[1]), 20000),
    ("Weibull", [("scale", POS), ("concentration", POS2 + 1)],
     lambda: RNG.uniform(0.1, 3, (4, 2, 3)), lambda d, a: d.Weibull(a[0], a[1]), 20000),
    ("Pareto", [("scale", POS), ("alpha", BIG)], lambda: POS + RNG.uniform(0, 3, (4, 2, 3)),
     lambda d, a: d.Pareto(a[0], a[1]), 0),
    ("Multinomial", [("probs", PROBS)], lambda: RNG.multinomial(6, [0.25] * 4, (3, 2))
     .astype(float), lambda d, a: d.Multinomial(6, a[0]), 20000),
    ("Multinomial-logits", [("logits", REAL)], lambda: RNG.multinomial(6, [0.3] * 3, (3, 2))
     .astype(float), lambda d, a: d.Multinomial(6, logits=a[0]), 20000),
    ("NegativeBinomial", [("total_count", POS), ("probs", P01)],
     lambda: RNG.integers(0, 6, (4, 2, 3)).astype(float),
     lambda d, a: d.NegativeBinomial(a[0], a[1]), 40000),
    ("NegativeBinomial-logits", [("total_count", POS), ("logits", REAL)],
     lambda: RNG.integers(0, 6, (4, 2, 3)).astype(float),
     lambda d, a: d.NegativeBinomial(a[0], logits=a[1]), 40000),
    ("ContinuousBernoulli", [("probs", np.array([0.1, 0.3, 0.4995, 0.5, 0.7, 0.95]))],
     lambda: RNG.uniform(0, 1, (4, 6)), lambda d, a: d.ContinuousBernoulli(a[0]), 20000),
    ("ContinuousBernoulli-logits", [("logits", REAL)], lambda: RNG.uniform(0, 1, (4, 2, 3)),
     lambda d, a: d.ContinuousBernoulli(logits=a[0]), 20000),
    ("VonMises", [("loc", REAL), ("concentration", np.array([[0.3, 2.0, 5.0],
                                                              [1.0, 4.0, 10.0]]))],
     lambda: RNG.uniform(-3, 3, (4, 2, 3)), lambda d, a: d.VonMises(a[0], a[1]), 0),
    ("FisherSnedecor", [("df1", BIG), ("df2", BIG + 4)], lambda: RNG.uniform(0.1, 4, (4, 2, 3)),
     lambda d, a: d.FisherSnedecor(a[0], a[1]), 40000),
    ("Kumaraswamy", [("concentration1", POS + 1), ("concentration0", POS2 + 1)],
     lambda: RNG.uniform(0.05, 0.95, (4, 2, 3)), lambda d, a: d.Kumaraswamy(a[0], a[1]),
     20000),
    ("InverseGamma", [("concentration", BIG + 2), ("rate", POS)],
     lambda: RNG.uniform(0.1, 3, (4, 2, 3)), lambda d, a: d.InverseGamma(a[0], a[1]), 40000),
    ("RelaxedBernoulli", [("const", np.array(0.7)), ("probs", P01)],
     lambda: RNG.uniform(0.05, 0.95, (4, 2, 3)),
     lambda d, a: d.RelaxedBernoulli(a[0], probs=a[1]), 0),
    ("RelaxedBernoulli-logits", [("temperature", np.array(0.7)), ("logits", REAL)],
     lambda: RNG.uniform(0.05, 0.95, (4, 2, 3)),
     lambda d, a: d.RelaxedBernoulli(a[0], logits=a[1]), 0),
    ("RelaxedOneHotCategorical", [("temperature", np.array(0.7)), ("probs", PROBS)],
     lambda: SIMPLEX4, lambda d, a: d.RelaxedOneHotCategorical(a[0], probs=a[1]), 0),
    ("LogisticNormal", [("loc", REAL), ("scale", POS)], lambda: SIMPLEX4[:, :1],
     lambda d, a: d.LogisticNormal(a[0], a[1]), 0),
    ("GeneralizedPareto", [("loc", REAL), ("scale", POS),
                           ("concentration", np.array([[0.0, 0.2, 0.3], [-0.2, 0.1, 0.0]]))],
     lambda: REAL + RNG.uniform(0.0, 2, (4, 2, 3)),
     lambda d, a: d.GeneralizedPareto(a[0], a[1], a[2]), 40000),
    ("LowRankMultivariateNormal", [("loc", REAL), ("cov_factor", RNG.standard_normal((2, 3, 2))),
                                   ("cov_diag", POS)],
     lambda: RNG.standard_normal((4, 2, 3)),
     lambda d, a: d.LowRankMultivariateNormal(a[0], a[1], a[2]), 20000),
    ("MixtureSameFamily", [("probs", P01), ("loc", REAL), ("scale", POS2)],
     lambda: RNG.standard_normal((4, 2)),
     lambda d, a: d.MixtureSameFamily(d.Categorical(a[0]), d.Normal(a[1], a[2])), 20000),
    ("MixtureSameFamily-MVN", [("probs", P01[0]), ("loc", REAL), ("cov_diag", POS)],
     lambda: RNG.standard_normal((4, 2)),
     lambda d, a: d.MixtureSameFamily(d.Categorical(a[0]), d.Independent(
         d.Normal(a[1].mT, a[2].mT), 1)), 20000),
    ("Wishart", [("df", np.array([3.5, 6.0])), ("scale_tril", SCALE_TRIL)], lambda: SPD,
     lambda d, a: d.Wishart(a[0], scale_tril=a[1]), 20000),
    ("Wishart-cov", [("df", np.array([3.5, 6.0])), ("const", SCALE_TRIL @ SCALE_TRIL.transpose(
        0, 2, 1))], lambda: SPD, lambda d, a: d.Wishart(a[0], covariance_matrix=a[1]), 0),
    ("LKJCholesky", [("concentration", np.array([0.5, 2.0]))], lambda: CORR_CHOL,
     lambda d, a: d.LKJCholesky(3, a[0]), 0),
]
IDS = [c[0] for c in CASES]
STATS = ("mean", "variance", "mode", "stddev")
NO_CDF: set = set()
# torch approximates log I0/I1 by polynomials (VonMises, about 1e-7) and computes
# Multinomial's lgamma(n + 1) in float32; latte's values are the exact ones
TOL = {"VonMises": 1e-6, "Multinomial": 1e-6, "Multinomial-logits": 1e-6}


@pytest.fixture(autouse=True)
def _torch_float64():
    # torch's GeneralizedPareto compares with a default-dtype tensor(0.0)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(got, want, what, tol=1e-9):
    got, want = _np(got), _np(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} vs {want.shape}"
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)


def _both(case):
    _, arrays, _, build, _ = case
    ours_in, theirs_in = _tensors(latte, arrays), _tensors(torch, arrays)
    return build(D, ours_in), build(TD, theirs_in), ours_in, theirs_in


def _torch_has(fn):
    try:
        return True, fn()
    except NotImplementedError:
        return False, None


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_shapes_and_names_match_torch(case):
    ours, theirs, _, _ = _both(case)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours).replace("latte", "torch") == repr(theirs)
    # the constraint names and numbers (a tensor bound is compared by its name only)
    assert repr(ours.support).split("tensor(")[0] == repr(theirs.support).split("tensor(")[0]
    assert {k: repr(v) for k, v in ours.arg_constraints.items()} == \
        {k: repr(v) for k, v in theirs.arg_constraints.items()}
    assert ours.has_rsample == theirs.has_rsample
    value = case[2]()
    lv, tv = latte.tensor(value, dtype=latte.float64), torch.tensor(value, dtype=torch.float64)
    tol = TOL.get(case[0], 1e-9)
    _close(ours.log_prob(lv), theirs.log_prob(tv), "log_prob", tol)
    for name in STATS:
        has, want = _torch_has(lambda name=name: getattr(theirs, name))
        if has:
            _close(getattr(ours, name), want, name, tol)
        else:
            with pytest.raises(NotImplementedError):
                getattr(ours, name)
    has, want = _torch_has(theirs.entropy)
    if has:
        _close(ours.entropy(), want, "entropy", tol)
    else:
        with pytest.raises(NotImplementedError):
            ours.entropy()
    has, want = _torch_has(lambda: theirs.cdf(tv))
    if has and case[0] not in NO_CDF:
        _close(ours.cdf(lv), want, "cdf", tol)
    p = RNG.uniform(0.05, 0.95, tuple(tv.shape))
    has, want = _torch_has(lambda: theirs.icdf(torch.tensor(p)))
    if has and case[0] not in NO_CDF:
        _close(ours.icdf(latte.tensor(p)), want, "icdf", 1e-8)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_log_prob_and_entropy_gradients_match_torch(case):
    ours, theirs, ours_in, theirs_in = _both(case)
    value = case[2]()
    lv, tv = latte.tensor(value, dtype=latte.float64), torch.tensor(value, dtype=torch.float64)
    lout, tout = ours.log_prob(lv), theirs.log_prob(tv)
    w = RNG.standard_normal(tuple(tout.shape))
    lsum, tsum = (lout * latte.tensor(w)).sum(), (tout * torch.tensor(w)).sum()
    has, tent = _torch_has(theirs.entropy)
    if has:
        lsum, tsum = lsum + ours.entropy().sum(), tsum + tent.sum()
    lsum.backward()
    tsum.backward()
    for (name, _), a, b in zip(case[1], ours_in, theirs_in):
        if b.grad is not None:
            got, want = _np(a.grad), _np(b.grad)
            if name == "scale_tril":  # only the lower triangle is a parameter
                got, want = np.tril(got), np.tril(want)
            _close(got, want, f"grad {name}", max(TOL.get(case[0], 0), 1e-8))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_expand_matches_torch(case):
    ours, theirs, _, _ = _both(case)
    shape = (5,) + tuple(ours.batch_shape)
    le, te = ours.expand(shape), theirs.expand(shape)
    assert type(le).__name__ == type(te).__name__
    assert tuple(le.batch_shape) == tuple(te.batch_shape) == shape
    assert tuple(le.event_shape) == tuple(te.event_shape)
    value = case[2]()[0]
    tol = TOL.get(case[0], 1e-9)
    _close(le.log_prob(latte.tensor(value)), te.log_prob(torch.tensor(value)), "expanded", tol)
    has, want = _torch_has(lambda: te.mean)
    if has:
        _close(le.mean, want, "expanded mean")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_samples_shapes_support_seeding_and_moments(case):
    ours, theirs, _, _ = _both(case)
    latte.manual_seed(11)
    a = ours.sample((3,))
    latte.manual_seed(11)
    b = ours.sample((3,))
    assert tuple(a.shape) == tuple(theirs.sample((3,)).shape)
    assert a.dtype == latte.float64 and not a.requires_grad
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    n = case[4]
    if not n:
        return
    latte.manual_seed(5)
    draws = ours.sample((n,))
    assert bool(ours.support.check(draws).all())
    mean, std = _np(ours.mean), _np(ours.stddev)
    # the sample mean lies within 5 standard errors; the sample std within 10%
    np.testing.assert_array_less(np.abs(_np(draws.mean(0)) - mean), 5 * std / np.sqrt(n) + 1e-9)
    np.testing.assert_allclose(_np(draws.std(0)), std, rtol=0.1)


@pytest.mark.parametrize("case", [c for c in CASES if getattr(TD, c[0].split("-")[0])
                                  .has_rsample is True], ids=lambda c: c[0])
def test_rsample_gradients_flow(case):
    ours, _, ours_in, _ = _both(case)
    assert ours.has_rsample
    latte.manual_seed(2)
    x = ours.rsample((4,))
    assert x.requires_grad
    x.sum().backward()
    for (name, _), t in zip(case[1], ours_in):
        if name != "const":
            g = _np(t.grad)
            assert np.isfinite(g).all() and np.abs(g).sum() > 0, name


def test_rsample_pathwise_gradients_are_the_reparametrisation():
    # Exponential: x = e / rate, so dx/drate = -x / rate
    rate = latte.tensor([0.5, 2.0], dtype=latte.float64, requires_grad=True)
    latte.manual_seed(0)
    x = D.Exponential(rate).rsample((3,))
    x.sum().backward()
    _close(rate.grad, (-x.detach() / rate.detach()).sum(0), "exponential")
    # Laplace and Cauchy: loc + scale * eps
    for cls in (D.Laplace, D.Cauchy, D.Gumbel):
        loc = latte.tensor([0.5, -1.0], dtype=latte.float64, requires_grad=True)
        scale = latte.tensor([2.0, 3.0], dtype=latte.float64, requires_grad=True)
        x = cls(loc, scale).rsample((4,))
        x.sum().backward()
        _close(loc.grad, [4.0, 4.0], cls.__name__)
        _close(scale.grad, ((x.detach() - loc.detach()) / scale.detach()).sum(0), cls.__name__)


def test_discrete_sample_frequencies():
    latte.manual_seed(3)
    p = D.Poisson(latte.tensor([0.5, 4.0])).sample((20000,)).numpy()
    np.testing.assert_allclose(p.mean(0), [0.5, 4.0], rtol=0.05)
    assert (p == np.round(p)).all() and (p >= 0).all()
    b = D.Binomial(10, latte.tensor([0.2, 0.7])).sample((20000,)).numpy()
    np.testing.assert_allclose(b.mean(0), [2.0, 7.0], rtol=0.03)
    assert b.min() >= 0 and b.max() <= 10
    g = D.Geometric(latte.tensor([0.3, 0.9])).sample((20000,)).numpy()
    np.testing.assert_allclose(g.mean(0), [1 / 0.3 - 1, 1 / 0.9 - 1], rtol=0.06)


def test_von_mises_and_cauchy_samples():
    latte.manual_seed(6)
    loc = latte.tensor([0.5, -2.0, 3.0], dtype=latte.float64)
    d = D.VonMises(loc, latte.tensor([0.5, 2.0, 10.0], dtype=latte.float64))
    a = d.sample((20000,)).numpy()
    assert a.min() >= -np.pi and a.max() < np.pi
    resultant = np.exp(1j * a).mean(0)
    np.testing.assert_allclose(np.angle(resultant), loc.numpy(), atol=0.05)
    np.testing.assert_allclose(1 - np.abs(resultant), d.variance.numpy(), atol=0.02)
    c = D.Cauchy(latte.tensor([1.0]), latte.tensor([2.0])).sample((20000,)).numpy()
    np.testing.assert_allclose(np.quantile(c, [0.25, 0.5, 0.75]), [-1.0, 1.0, 3.0], atol=0.1)


def test_gamma_cdf_incomplete_gamma():
    from latte.autograd import gradcheck
    from latte.distributions.incomplete_gamma import gammainc
    a = np.array([0.1, 0.5, 1.0, 2.5, 10.0, 50.0, 300.0])
    for x in (1e-5, 0.3, 1.0, 3.0, 12.0, 280.0):
        got = gammainc(latte.tensor(a), latte.tensor(np.full_like(a, x)))
        want = torch.special.gammainc(torch.tensor(a), torch.tensor(np.full_like(a, x)))
        _close(got, want, f"P(a, {x})", 1e-9)  # torch's own error near x ~ a is ~1e-10
    conc = latte.tensor(POS)
    rate = latte.tensor(POS2, requires_grad=True)
    value = latte.tensor(RNG.uniform(0.1, 4, (2, 3)), requires_grad=True)
    trate = torch.tensor(POS2, requires_grad=True)
    tvalue = torch.tensor(value.detach().numpy(), requires_grad=True)
    D.Gamma(conc, rate).cdf(value).sum().backward()
    TD.Gamma(torch.tensor(POS), trate).cdf(tvalue).sum().backward()
    _close(rate.grad, trate.grad, "d cdf / d rate", 1e-9)
    _close(value.grad, tvalue.grad, "d cdf / d value", 1e-9)
    x = latte.tensor(RNG.uniform(0.2, 5, 4), requires_grad=True)
    assert gradcheck(lambda v: gammainc(latte.tensor([0.7, 2.0, 5.0, 9.0]), v), [x])
    c = latte.tensor([2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="derivative"):
        D.Gamma(c, latte.tensor([1.0])).cdf(latte.tensor([1.0])).sum().backward()


def test_validation_errors():
    with pytest.raises(ValueError, match="rate"):
        D.Exponential(latte.tensor([-1.0]))
    with pytest.raises(ValueError, match="scale"):
        D.Laplace(latte.tensor([0.0]), latte.tensor([0.0]))
    with pytest.raises(ValueError, match="scale"):
        D.LogNormal(latte.tensor([0.0]), latte.tensor([-1.0]))
    with pytest.raises(ValueError, match="concentration"):
        D.Dirichlet(latte.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="one-dimensional"):
        D.Dirichlet(latte.tensor(1.0))
    with pytest.raises(ValueError, match="support"):
        D.Poisson(latte.tensor([1.0])).log_prob(latte.tensor([0.5]))
    with pytest.raises(ValueError, match="support"):
        D.Exponential(latte.tensor([1.0])).log_prob(latte.tensor([-0.5]))
    with pytest.raises(ValueError, match="support"):
        D.Binomial(3, latte.tensor([0.5])).log_prob(latte.tensor([4.0]))
    with pytest.raises(ValueError, match="not both"):
        D.Binomial(3, probs=latte.tensor([0.5]), logits=latte.tensor([0.0]))
    with pytest.raises(ValueError, match="probs"):
        D.Geometric(latte.tensor([0.0]))
    # validation off: no error
    D.Exponential(latte.tensor([-1.0]), validate_args=False)


def test_binomial_enumerate_support_and_entropy():
    ours = D.Binomial(4, latte.tensor([0.2, 0.6], dtype=latte.float64))
    theirs = TD.Binomial(4, torch.tensor([0.2, 0.6], dtype=torch.float64))
    _close(ours.enumerate_support(), theirs.enumerate_support(), "support")
    _close(ours.enumerate_support(False), theirs.enumerate_support(False), "support")
    _close(ours.entropy(), theirs.entropy(), "entropy")


def test_scalar_parameters_give_scalar_batch():
    for ours, theirs in [(D.Exponential(2.0), TD.Exponential(2.0)),
                         (D.Laplace(0.0, 1.0), TD.Laplace(0.0, 1.0)),
                         (D.Cauchy(0.0, 1.0), TD.Cauchy(0.0, 1.0)),
                         (D.Gumbel(0.0, 1.0), TD.Gumbel(0.0, 1.0)),
                         (D.StudentT(3.0), TD.StudentT(3.0)),
                         (D.Chi2(3.0), TD.Chi2(3.0)), (D.LogNormal(0.0, 1.0),
                                                       TD.LogNormal(0.0, 1.0))]:
        assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) == ()
        assert repr(ours) == repr(theirs)
        assert tuple(ours.sample((2,)).shape) == (2,)


def test_exponential_family_entropy_from_the_log_normalizer():
    # ExponentialFamily.entropy (Bregman) agrees with the closed forms
    rate = latte.tensor([0.5, 2.0], dtype=latte.float64)
    _close(D.ExponentialFamily.entropy(D.Exponential(rate)), D.Exponential(rate).entropy(),
           "exponential")


def test_matrix_and_mixture_samples():
    latte.manual_seed(4)
    conc = latte.tensor([0.5, 2.0, 10.0], dtype=latte.float64)
    lkj = D.LKJCholesky(4, conc).sample((500,))
    assert tuple(lkj.shape) == (500, 3, 4, 4)
    assert bool(D.constraints.corr_cholesky.check(lkj).all())
    # larger concentration: correlations closer to 0
    corr = (lkj @ lkj.mT).numpy()
    spread = np.abs(corr[..., 1, 0]).mean(0)
    assert spread[0] > spread[1] > spread[2]
    m = D.Multinomial(9, latte.tensor([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])).sample((4000,))
    assert tuple(m.shape) == (4000, 2, 3) and (m.sum(-1).numpy() == 9).all()
    np.testing.assert_allclose(m.numpy().mean(0), [[1.8, 2.7, 4.5], [5.4, 1.8, 1.8]], rtol=0.05)
    w = D.Wishart(latte.tensor(3.5), covariance_matrix=latte.eye(3, dtype=latte.float64))
    draws = w.rsample((200,))
    assert bool(D.constraints.positive_definite.check(draws).all())


def test_straight_through_and_relaxed_rsample_gradients():
    probs = latte.tensor([0.2, 0.3, 0.5], dtype=latte.float64, requires_grad=True)
    d = D.OneHotCategoricalStraightThrough(probs)
    assert d.has_rsample and not D.OneHotCategorical(probs).has_rsample
    latte.manual_seed(0)
    x = d.rsample((5,))
    assert bool(D.constraints.one_hot.check(x.detach()).all())
    w = latte.tensor([1.0, 2.0, 3.0], dtype=latte.float64)
    (x * w).sum().backward()
    # d(sample)/d(normalised probs) is the identity, as torch's
    tp = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64, requires_grad=True)
    (TD.OneHotCategoricalStraightThrough(tp).rsample((5,)) * torch.tensor(w.numpy())).sum() \
        .backward()
    _close(probs.grad, tp.grad, "straight through")
    t = latte.tensor(0.5, dtype=latte.float64)
    logits = latte.tensor([0.1, -0.4, 0.3], dtype=latte.float64, requires_grad=True)
    y = D.RelaxedOneHotCategorical(t, logits=logits).rsample((6,))
    _close(y.sum(-1), np.ones(6), "simplex")
    (y[:, 0]).sum().backward()
    assert np.abs(_np(logits.grad)).sum() > 0


def test_mixture_validation_and_repr():
    mix = D.Categorical(latte.ones(3))
    with pytest.raises(ValueError, match="does not equal"):
        D.MixtureSameFamily(mix, D.Normal(latte.zeros(4), latte.ones(4)))
    with pytest.raises(ValueError, match="Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(latte.zeros(3), latte.ones(3)))
    with pytest.raises(ValueError, match="df"):
        D.Wishart(latte.tensor(1.0), covariance_matrix=latte.eye(3))
    with pytest.raises(ValueError, match="Exactly one"):
        D.Wishart(latte.tensor(4.0))
    with pytest.raises(ValueError, match="dim"):
        D.LKJCholesky(1)
    with pytest.raises(ValueError, match="cov_factor"):
        D.LowRankMultivariateNormal(latte.zeros(3), latte.zeros(2, 1), latte.ones(3))


P1, P2 = RNG.uniform(0.5, 3.0, 3), RNG.uniform(0.5, 3.0, 3)
R1, R2 = RNG.standard_normal(3), RNG.standard_normal(3)
U1 = RNG.uniform(0.1, 0.9, 3)
_M = RNG.standard_normal((3, 3))
COV = _M @ _M.T + np.eye(3)
W1, W2 = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 1))
# (id, arrays, builder(lib.distributions, tensors) -> (p, q))
KL_CASES = [
    ("Exponential", [P1, P2], lambda d, a: (d.Exponential(a[0]), d.Exponential(a[1]))),
    ("Laplace", [R1, P1, R2, P2], lambda d, a: (d.Laplace(a[0], a[1]), d.Laplace(a[2], a[3]))),
    ("Poisson", [P1, P2], lambda d, a: (d.Poisson(a[0]), d.Poisson(a[1]))),
    ("Dirichlet", [P1, P2], lambda d, a: (d.Dirichlet(a[0]), d.Dirichlet(a[1]))),
    ("Gamma", [P1, P2, P2, P1], lambda d, a: (d.Gamma(a[0], a[1]), d.Gamma(a[2], a[3]))),
    ("Beta", [P1, P2, P2, P1], lambda d, a: (d.Beta(a[0], a[1]), d.Beta(a[2], a[3]))),
    ("Gumbel", [R1, P1, R2, P2], lambda d, a: (d.Gumbel(a[0], a[1]), d.Gumbel(a[2], a[3]))),
    ("Geometric", [U1, U1[::-1].copy()],
     lambda d, a: (d.Geometric(a[0]), d.Geometric(a[1]))),
    ("HalfNormal", [P1, P2], lambda d, a: (d.HalfNormal(a[0]), d.HalfNormal(a[1]))),
    ("Pareto", [P1, P2 + 1, P1 / 2, P2], lambda d, a: (d.Pareto(a[0], a[1]),
                                                       d.Pareto(a[2], a[3]))),
    ("Pareto-inf", [P1, P2, P1 * 2, P2], lambda d, a: (d.Pareto(a[0], a[1]),
                                                       d.Pareto(a[2], a[3]))),
    ("Cauchy", [R1, P1, R2, P2], lambda d, a: (d.Cauchy(a[0], a[1]), d.Cauchy(a[2], a[3]))),
    ("Binomial", [U1, U1[::-1].copy()], lambda d, a: (d.Binomial(5, a[0]),
                                                      d.Binomial(5, a[1]))),
    ("ContinuousBernoulli", [np.array([0.2, 0.4995, 0.8]), U1],
     lambda d, a: (d.ContinuousBernoulli(a[0]), d.ContinuousBernoulli(a[1]))),
    ("LogNormal", [R1, P1, R2, P2], lambda d, a: (d.LogNormal(a[0], a[1]),
                                                  d.LogNormal(a[2], a[3]))),
    ("Chi2", [P1, P2], lambda d, a: (d.Chi2(a[0]), d.Chi2(a[1]))),
    ("MVN", [R1, COV, R2, np.eye(3) * 2], lambda d, a: (
        d.MultivariateNormal(a[0], a[1]), d.MultivariateNormal(a[2], a[3]))),
    ("LowRank", [R1, W1, P1, R2, W2, P2], lambda d, a: (
        d.LowRankMultivariateNormal(a[0], a[1], a[2]),
        d.LowRankMultivariateNormal(a[3], a[4], a[5]))),
    ("MVN-LowRank", [R1, COV, R2, W2, P2], lambda d, a: (
        d.MultivariateNormal(a[0], a[1]), d.LowRankMultivariateNormal(a[2], a[3], a[4]))),
    ("LowRank-MVN", [R1, W1, P1, R2, COV], lambda d, a: (
        d.LowRankMultivariateNormal(a[0], a[1], a[2]), d.MultivariateNormal(a[3], a[4]))),
    ("Bernoulli-Poisson", [U1, P1], lambda d, a: (d.Bernoulli(a[0]), d.Poisson(a[1]))),
    ("Beta-Exponential", [P1, P2, P1], lambda d, a: (d.Beta(a[0], a[1]),
                                                     d.Exponential(a[2]))),
    ("Beta-Gamma", [P1, P2, P1, P2], lambda d, a: (d.Beta(a[0], a[1]), d.Gamma(a[2], a[3]))),
    ("Beta-Normal", [P1, P2, R1, P1], lambda d, a: (d.Beta(a[0], a[1]), d.Normal(a[2], a[3]))),
    ("Beta-Uniform", [P1, P2, np.array([-0.5, 0.1, 0.0]), np.array([1.0, 2.0, 0.9])],
     lambda d, a: (d.Beta(a[0], a[1]), d.Uniform(a[2], a[3]))),
    ("Exponential-Gamma", [P1, P2, P1], lambda d, a: (d.Exponential(a[0]),
                                                      d.Gamma(a[1], a[2]))),
    ("Exponential-Gumbel", [P1, R1, P2], lambda d, a: (d.Exponential(a[0]),
                                                       d.Gumbel(a[1], a[2]))),
    ("Exponential-Normal", [P1, R1, P2], lambda d, a: (d.Exponential(a[0]),
                                                       d.Normal(a[1], a[2]))),
    ("Gamma-Exponential", [P1, P2, P1], lambda d, a: (d.Gamma(a[0], a[1]),
                                                      d.Exponential(a[2]))),
    ("Gamma-Gumbel", [P1, P2, R1, P1], lambda d, a: (d.Gamma(a[0], a[1]),
                                                     d.Gumbel(a[2], a[3]))),
    ("Gamma-Normal", [P1, P2, R1, P1], lambda d, a: (d.Gamma(a[0], a[1]),
                                                     d.Normal(a[2], a[3]))),
    ("Gumbel-Normal", [R1, P1, R2, P2], lambda d, a: (d.Gumbel(a[0], a[1]),
                                                      d.Normal(a[2], a[3]))),
    ("Laplace-Normal", [R1, P1, R2, P2], lambda d, a: (d.Laplace(a[0], a[1]),
                                                       d.Normal(a[2], a[3]))),
    ("Normal-Gumbel", [R1, P1, R2, P2], lambda d, a: (d.Normal(a[0], a[1]),
                                                      d.Gumbel(a[2], a[3]))),
    ("Normal-Laplace", [R1, P1, R2, P2], lambda d, a: (d.Normal(a[0], a[1]),
                                                       d.Laplace(a[2], a[3]))),
    ("Pareto-Exponential", [P1, P2 + 0.5, P1], lambda d, a: (d.Pareto(a[0], a[1]),
                                                             d.Exponential(a[2]))),
    ("Pareto-Gamma", [P1, P2 + 0.5, P1, P2], lambda d, a: (d.Pareto(a[0], a[1]),
                                                           d.Gamma(a[2], a[3]))),
    ("Pareto-Normal", [P1, P2 + 1.5, R1, P2], lambda d, a: (d.Pareto(a[0], a[1]),
                                                            d.Normal(a[2], a[3]))),
    ("Uniform-Beta", [U1 / 2, U1 / 2 + 0.4, P1, P2], lambda d, a: (
        d.Uniform(a[0], a[1]), d.Beta(a[2], a[3]))),
    ("Uniform-Exponential", [U1, U1 + 1, P1], lambda d, a: (d.Uniform(a[0], a[1]),
                                                            d.Exponential(a[2]))),
    ("Uniform-Gamma", [U1, U1 + 1, P1, P2], lambda d, a: (d.Uniform(a[0], a[1]),
                                                          d.Gamma(a[2], a[3]))),
    ("Uniform-Gumbel", [R1, R1 + 1, R2, P2], lambda d, a: (d.Uniform(a[0], a[1]),
                                                           d.Gumbel(a[2], a[3]))),
    ("Uniform-Normal", [R1, R1 + 1, R2, P2], lambda d, a: (d.Uniform(a[0], a[1]),
                                                           d.Normal(a[2], a[3]))),
    ("Uniform-Pareto", [P1 + 1, P1 + 2, P1, P2], lambda d, a: (d.Uniform(a[0], a[1]),
                                                               d.Pareto(a[2], a[3]))),
    ("Normal-Exponential-inf", [R1, P1, P2], lambda d, a: (d.Normal(a[0], a[1]),
                                                           d.Exponential(a[2]))),
    ("Poisson-Binomial-inf", [P1, U1], lambda d, a: (d.Poisson(a[0]), d.Binomial(3, a[1]))),
    ("Beta-CB", [P1, P2, U1], lambda d, a: (d.Beta(a[0], a[1]), d.ContinuousBernoulli(a[2]))),
    ("CB-Exponential", [U1, P1], lambda d, a: (d.ContinuousBernoulli(a[0]),
                                               d.Exponential(a[1]))),
    ("CB-Normal", [U1, R1, P1], lambda d, a: (d.ContinuousBernoulli(a[0]),
                                              d.Normal(a[1], a[2]))),
    ("CB-Uniform", [U1, np.array([-1.0, 0.0, -0.5]), np.array([1.0, 2.0, 1.5])],
     lambda d, a: (d.ContinuousBernoulli(a[0]), d.Uniform(a[1], a[2]))),
    ("Uniform-CB", [np.array([0.1, 0.0, 0.2]), np.array([0.9, 0.5, 1.0]), U1],
     lambda d, a: (d.Uniform(a[0], a[1]), d.ContinuousBernoulli(a[2]))),
    ("Gamma-CB-inf", [P1, P2, U1], lambda d, a: (d.Gamma(a[0], a[1]),
                                                 d.ContinuousBernoulli(a[2]))),
]


@pytest.mark.parametrize("case", KL_CASES, ids=[c[0] for c in KL_CASES])
def test_kl_divergence_matches_torch(case):
    _, arrays, build = case
    ours_in = [latte.tensor(a, dtype=latte.float64, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    lkl = D.kl_divergence(*build(D, ours_in))
    tkl = TD.kl_divergence(*build(TD, theirs_in))
    _close(lkl, tkl, "kl", 1e-8)
    finite = np.isfinite(_np(tkl))
    if not finite.any():
        return
    w = RNG.standard_normal(tuple(tkl.shape)) * finite
    (latte.where(latte.tensor(finite), lkl, 0.0) * latte.tensor(w)).sum().backward()
    (torch.where(torch.tensor(finite), tkl, 0.0) * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if b.grad is not None:
            got, want = _np(a.grad), _np(b.grad)
            if want.ndim == 2 and want.shape[0] == want.shape[1]:  # torch symmetrises a covariance
                got, want = (got + got.T) / 2, (want + want.T) / 2
            _close(got, want, f"grad {i}", 1e-7)


def test_kl_errors_and_bregman():
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Poisson(latte.tensor([1.0])), D.Exponential(latte.tensor([1.0])))
    with pytest.raises(NotImplementedError):
        D.kl_divergence(D.Binomial(2, latte.tensor([0.5])), D.Binomial(3, latte.tensor([0.5])))
    # the Bregman form (ExponentialFamily) agrees with the closed forms
    p, q = D.Exponential(latte.tensor(P1)), D.Exponential(latte.tensor(P2))
    from latte.distributions.kl import _kl_expfamily_expfamily
    _close(_kl_expfamily_expfamily(p, q), D.kl_divergence(p, q), "bregman")
    t = latte.tensor
    for p, q in [(D.Dirichlet(t(P1)), D.Dirichlet(t(P2))),
                 (D.Normal(t(R1), t(P1)), D.Normal(t(R2), t(P2))),
                 (D.Gamma(t(P1), t(P2)), D.Gamma(t(P2), t(P1))),
                 (D.Beta(t(P1), t(P2)), D.Beta(t(P2), t(P1))),
                 (D.Bernoulli(t(U1)), D.Bernoulli(t(U1[::-1].copy()))),
                 (D.Poisson(t(P1)), D.Poisson(t(P2)))]:
        assert isinstance(p, D.ExponentialFamily)
        _close(_kl_expfamily_expfamily(p, q), D.kl_divergence(p, q), type(p).__name__, 1e-7)
        if type(p) not in (D.Poisson, D.Beta, D.Dirichlet):  # no carrier measure, as torch
            _close(D.ExponentialFamily.entropy(p), p.entropy(), type(p).__name__, 1e-7)
