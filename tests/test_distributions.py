"""latte.distributions against torch.distributions: log_prob/entropy/KL values and gradients,
shapes, seeded sampling, reparametrised samples, argument validation."""
import numpy as np
import pytest

import latte
import latte.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

rng = np.random.default_rng(0)
LOC, SCALE = rng.standard_normal((3, 4)), rng.uniform(0.5, 2.0, (3, 4))
PROBS = rng.uniform(0.1, 1.0, (3, 5))
LOGITS = rng.standard_normal((3, 5))
P01 = rng.uniform(0.05, 0.95, (3, 4))
LOW, HIGH = rng.uniform(-2, 0, (3, 4)), rng.uniform(1, 3, (3, 4))


def _pair(arrays):
    """The same float64 leaves in latte and torch."""
    ours = [latte.tensor(a, dtype=latte.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


# (name, arrays, value maker, builder taking the library's distributions module and tensors)
CASES = [
    ("Normal", [LOC, SCALE], lambda: rng.standard_normal((2, 3, 4)),
     lambda d, a: d.Normal(a[0], a[1])),
    ("Categorical-probs", [PROBS], lambda: rng.integers(0, 5, (2, 3)),
     lambda d, a: d.Categorical(probs=a[0])),
    ("Categorical-logits", [LOGITS], lambda: rng.integers(0, 5, (3,)),
     lambda d, a: d.Categorical(logits=a[0])),
    ("Bernoulli-probs", [P01], lambda: rng.integers(0, 2, (3, 4)).astype(float),
     lambda d, a: d.Bernoulli(probs=a[0])),
    ("Bernoulli-logits", [LOC], lambda: rng.integers(0, 2, (2, 3, 4)).astype(float),
     lambda d, a: d.Bernoulli(logits=a[0])),
    ("Uniform", [LOW, HIGH], lambda: rng.uniform(0, 1, (3, 4)),
     lambda d, a: d.Uniform(a[0], a[1])),
    ("OneHotCategorical", [PROBS], lambda: np.eye(5)[rng.integers(0, 5, (3,))],
     lambda d, a: d.OneHotCategorical(probs=a[0])),
    ("Independent-Normal", [LOC, SCALE], lambda: rng.standard_normal((3, 4)),
     lambda d, a: d.Independent(d.Normal(a[0], a[1]), 1)),
]


def _value(lib, v):
    if v.dtype.kind == "i":
        return lib.tensor(v, dtype=lib.int64)
    return lib.tensor(v, dtype=lib.float64)


def _check(ours_out, theirs_out, ours_in, theirs_in):
    np.testing.assert_allclose(ours_out.detach().numpy(), theirs_out.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    weights = rng.standard_normal(tuple(theirs_out.shape))
    (ours_out * latte.tensor(weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    for o, t in zip(ours_in, theirs_in):
        if t.grad is None:  # e.g. a Normal's entropy does not depend on loc
            assert o.grad is None or not o.grad.numpy().any()
            continue
        np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_log_prob_matches_torch(case):
    _, arrays, make_value, build = case
    value = make_value()
    ours_in, theirs_in = _pair(arrays)
    ours, theirs = build(D, ours_in), build(TD, theirs_in)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    _check(ours.log_prob(_value(latte, value)), theirs.log_prob(_value(torch, value)),
           ours_in, theirs_in)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_entropy_and_moments_match_torch(case):
    _, arrays, _, build = case
    ours_in, theirs_in = _pair(arrays)
    ours, theirs = build(D, ours_in), build(TD, theirs_in)
    for name in ("mean", "variance", "stddev"):
        got, want = getattr(ours, name), getattr(theirs, name)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    _check(ours.entropy(), theirs.entropy(), ours_in, theirs_in)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_sample_shapes_and_seeding(case):
    _, arrays, _, build = case
    ours = build(D, [latte.tensor(a, dtype=latte.float64) for a in arrays])
    theirs = build(TD, [torch.tensor(a, dtype=torch.float64) for a in arrays])
    latte.manual_seed(7)
    a = ours.sample((2,))
    latte.manual_seed(7)
    b = ours.sample((2,))
    assert tuple(a.shape) == tuple(theirs.sample((2,)).shape)
    assert a.dtype.is_floating_point == theirs.sample().dtype.is_floating_point
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not a.requires_grad
    # every draw is inside the support
    assert bool(ours.support.check(a).all()) if ours.support is not None else True


def test_sample_frequencies():
    latte.manual_seed(0)
    probs = latte.tensor([0.1, 0.0, 0.6, 0.3])
    draws = D.Categorical(probs).sample((20000,)).numpy()
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, probs.numpy(), atol=0.015)
    assert freq[1] == 0
    b = D.Bernoulli(latte.tensor([0.2, 0.9])).sample((20000,)).numpy()
    np.testing.assert_allclose(b.mean(0), [0.2, 0.9], atol=0.015)
    n = D.Normal(latte.tensor(1.5), latte.tensor(0.5)).sample((20000,)).numpy()
    assert abs(n.mean() - 1.5) < 0.02 and abs(n.std() - 0.5) < 0.02
    u = D.Uniform(-1.0, 3.0).sample((20000,)).numpy()
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.05


@pytest.mark.parametrize("name", ["Normal", "Uniform"])
def test_rsample_is_differentiable(name):
    a = latte.tensor([0.5, -1.0], dtype=latte.float64, requires_grad=True)
    b = latte.tensor([2.0, 3.0], dtype=latte.float64, requires_grad=True)
    dist = getattr(D, name)(a, b)
    latte.manual_seed(3)
    x = dist.rsample((4,))
    x.sum().backward()
    latte.manual_seed(3)
    if name == "Normal":  # x = loc + eps * scale
        eps = (dist.rsample((4,)).detach() - a.detach()) / b.detach()
        np.testing.assert_allclose(a.grad.numpy(), [4, 4])
        np.testing.assert_allclose(b.grad.numpy(), eps.sum(0).numpy())
    else:  # x = low + u (high - low)
        u = (dist.rsample((4,)).detach() - a.detach()) / (b - a).detach()
        np.testing.assert_allclose(b.grad.numpy(), u.sum(0).numpy())
        np.testing.assert_allclose(a.grad.numpy(), (1 - u).sum(0).numpy())
    assert not D.Categorical(latte.tensor([0.5, 0.5])).has_rsample


KL_CASES = [
    ("Normal", [LOC, SCALE, LOC[::-1].copy(), SCALE[::-1].copy()],
     lambda d, a: (d.Normal(a[0], a[1]), d.Normal(a[2], a[3]))),
    ("Categorical", [PROBS, PROBS[::-1].copy()],
     lambda d, a: (d.Categorical(a[0]), d.Categorical(logits=a[1]))),
    ("Bernoulli", [P01, P01[::-1].copy()],
     lambda d, a: (d.Bernoulli(a[0]), d.Bernoulli(a[1]))),
    ("Independent", [LOC, SCALE, LOC[::-1].copy(), SCALE[::-1].copy()],
     lambda d, a: (d.Independent(d.Normal(a[0], a[1]), 1),
                   d.Independent(d.Normal(a[2], a[3]), 1))),
]


@pytest.mark.parametrize("case", KL_CASES, ids=[c[0] for c in KL_CASES])
def test_kl_divergence_matches_torch(case):
    _, arrays, build = case
    ours_in, theirs_in = _pair(arrays)
    _check(D.kl_divergence(*build(D, ours_in)), TD.kl_divergence(*build(TD, theirs_in)),
           ours_in, theirs_in)


def test_kl_zero_probabilities_and_missing_pair():
    p = D.Categorical(latte.tensor([0.5, 0.5, 0.0]))
    q = D.Categorical(latte.tensor([0.5, 0.0, 0.5]))
    assert D.kl_divergence(p, p).item() == 0
    assert D.kl_divergence(p, q).item() == float("inf")
    with pytest.raises(NotImplementedError, match="Normal.*Categorical"):
        D.kl_divergence(D.Normal(0.0, 1.0), p)


def test_validation_errors_like_torch():
    cases = [
        (lambda d, t: d.Normal(t([0.0, 1.0]), t([1.0, -1.0])), None),
        (lambda d, t: d.Normal(0.0, 1.0), lambda t: t(float("nan"))),
        (lambda d, t: d.Categorical(probs=t([0.5, 0.5])), lambda t: t(3)),
        (lambda d, t: d.Bernoulli(probs=t([1.5])), None),
        (lambda d, t: d.Bernoulli(probs=t([0.5])), lambda t: t([0.5])),
        (lambda d, t: d.Categorical(probs=t([-0.5, 1.5])), None),
    ]
    for build, value in cases:
        msgs = []
        for d, t in ((D, latte.tensor), (TD, torch.tensor)):
            with pytest.raises(ValueError) as err:
                dist = build(d, t)
                dist.log_prob(value(t))
            msgs.append(str(err.value).replace("latte.Size", "torch.Size").split(":\n")[0])
        assert msgs[0] == msgs[1]
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Categorical()
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    # validate_args=False lets out-of-support values through, as in torch
    lp = D.Normal(0.0, 1.0, validate_args=False).log_prob(latte.tensor(float("nan")))
    assert np.isnan(lp.item())


def test_expand_and_enumerate_support():
    n = D.Normal(latte.tensor([0.0, 1.0]), 1.0).expand((3, 2))
    assert tuple(n.batch_shape) == (3, 2) and tuple(n.sample().shape) == (3, 2)
    c = D.Categorical(latte.tensor([0.2, 0.8])).expand((4,))
    tc = TD.Categorical(torch.tensor([0.2, 0.8])).expand((4,))
    assert tuple(c.batch_shape) == (4,)
    np.testing.assert_array_equal(c.enumerate_support().numpy(), tc.enumerate_support().numpy())
    b = D.Bernoulli(latte.tensor([0.3, 0.6]))
    np.testing.assert_array_equal(b.enumerate_support().numpy(),
                                  TD.Bernoulli(torch.tensor([0.3, 0.6])).enumerate_support())
    i = D.Independent(D.Normal(latte.zeros(2, 3), 1.0), 1).expand((4, 2))
    assert tuple(i.batch_shape) == (4, 2) and tuple(i.event_shape) == (3,)
    assert repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0))


def test_policy_gradient_recipe():
    """reinforcement_learning/reinforce.py: Categorical(probs), sample, log_prob, backward."""
    latte.manual_seed(0)
    policy = latte.nn.Linear(4, 2)
    state = latte.randn(1, 4)
    probs = latte.nn.functional.softmax(policy(state), dim=1)
    m = D.Categorical(probs)
    action = m.sample()
    assert action.shape == (1,) and action.dtype == latte.int64
    loss = -m.log_prob(action).sum() * 1.5
    loss.backward()
    assert policy.weight.grad is not None and np.isfinite(policy.weight.grad.numpy()).all()
