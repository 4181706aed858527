"""latte.distributions on the stand-in GPU: parameters on the device give samples, rsamples,
log_prob, entropy and moments on that device, equal to the CPU's where no randomness is
involved, with no hidden copy to the host (argument validation off: it reads values)."""
from __future__ import annotations

import numpy as np
import pytest

import latte
import latte.distributions as D

RNG = np.random.default_rng(0)
POS = RNG.uniform(0.5, 3.0, (2, 3))
REAL = RNG.standard_normal((2, 3))
P01 = RNG.uniform(0.1, 0.9, (2, 3))
X = RNG.uniform(0.1, 0.9, (4, 2, 3))
COUNTS = RNG.integers(0, 5, (4, 2, 3)).astype(float)
SIMPLEX = RNG.dirichlet(np.ones(3), (4, 2))
FACTOR = RNG.standard_normal((2, 3, 2))

# (name, builder(tensor maker), value)
CASES = [
    ("Exponential", lambda t: D.Exponential(t(POS), validate_args=False), X),
    ("Laplace", lambda t: D.Laplace(t(REAL), t(POS), validate_args=False), X),
    ("LogNormal", lambda t: D.LogNormal(t(REAL), t(POS), validate_args=False), X),
    ("Poisson", lambda t: D.Poisson(t(POS), validate_args=False), COUNTS),
    ("Binomial", lambda t: D.Binomial(t(np.full((2, 3), 5.0)), t(P01), validate_args=False),
     COUNTS),
    ("Geometric", lambda t: D.Geometric(t(P01), validate_args=False), COUNTS),
    ("Cauchy", lambda t: D.Cauchy(t(REAL), t(POS), validate_args=False), X),
    ("HalfNormal", lambda t: D.HalfNormal(t(POS), validate_args=False), X),
    ("StudentT", lambda t: D.StudentT(t(POS), t(REAL), t(POS), validate_args=False), X),
    ("Chi2", lambda t: D.Chi2(t(POS), validate_args=False), X),
    ("Dirichlet", lambda t: D.Dirichlet(t(POS), validate_args=False), SIMPLEX),
    ("Gumbel", lambda t: D.Gumbel(t(REAL), t(POS), validate_args=False), X),
    ("Weibull", lambda t: D.Weibull(t(POS), t(POS), validate_args=False), X),
    ("Pareto", lambda t: D.Pareto(t(P01), t(POS), validate_args=False), X + 1),
    ("NegativeBinomial", lambda t: D.NegativeBinomial(t(POS), t(P01), validate_args=False),
     COUNTS),
    ("ContinuousBernoulli", lambda t: D.ContinuousBernoulli(t(P01), validate_args=False), X),
    ("VonMises", lambda t: D.VonMises(t(REAL), t(POS), validate_args=False), X),
    ("FisherSnedecor", lambda t: D.FisherSnedecor(t(POS), t(POS), validate_args=False), X),
    ("Kumaraswamy", lambda t: D.Kumaraswamy(t(POS), t(POS), validate_args=False), X),
    ("InverseGamma", lambda t: D.InverseGamma(t(POS), t(POS), validate_args=False), X),
    ("RelaxedBernoulli", lambda t: D.RelaxedBernoulli(t(np.array(0.5)), t(P01),
                                                      validate_args=False), X),
    ("RelaxedOneHotCategorical", lambda t: D.RelaxedOneHotCategorical(
        t(np.array(0.5)), t(POS), validate_args=False), SIMPLEX),
    ("LogisticNormal", lambda t: D.LogisticNormal(t(REAL[:, :2]), t(POS[:, :2]),
                                                  validate_args=False), SIMPLEX),
    ("GeneralizedPareto", lambda t: D.GeneralizedPareto(t(REAL * 0), t(POS), t(P01 - 0.5),
                                                        validate_args=False), X),
    ("LowRankMultivariateNormal", lambda t: D.LowRankMultivariateNormal(
        t(REAL), t(FACTOR), t(POS), validate_args=False), X),
    ("MixtureSameFamily", lambda t: D.MixtureSameFamily(
        D.Categorical(t(P01), validate_args=False),
        D.Normal(t(REAL), t(POS), validate_args=False), validate_args=False), X[:, :, 0]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_distribution_on_gpu(case, gpu):
    _, build, value = case
    cpu = build(latte.tensor)
    gpu.strict_current = True
    before = dict(gpu.transfers)
    dev = build(lambda a: latte.tensor(a).to("cuda:0"))
    lp = dev.log_prob(latte.tensor(value).to("cuda:0"))
    draws = dev.rsample((5,)) if dev.has_rsample else dev.sample((5,))
    outputs = {"log_prob": (lp, cpu.log_prob(latte.tensor(value)))}
    for name in ("mean", "variance"):
        try:
            outputs[name] = (getattr(dev, name), getattr(cpu, name))
        except NotImplementedError:
            pass
    assert gpu.transfers["to_host"] == before["to_host"], "hidden copy to the host"
    try:  # Binomial's entropy reads total_count to size its support, as PyTorch's
        outputs["entropy"] = (dev.entropy(), cpu.entropy())
    except NotImplementedError:
        pass
    if case[0] != "Binomial":
        assert gpu.transfers["to_host"] == before["to_host"], "hidden copy to the host"
    assert draws.device == latte.device("cuda:0")
    assert tuple(draws.shape) == tuple(cpu.sample((5,)).shape)
    for name, (got, want) in outputs.items():
        assert got.device == latte.device("cuda:0"), name
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)
    assert bool(cpu.support.check(draws.cpu()).all()) if not isinstance(
        cpu, D.MixtureSameFamily) else True
