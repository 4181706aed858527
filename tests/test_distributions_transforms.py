"""latte.distributions.transforms, TransformedDistribution and the biject_to / transform_to
registries against torch.distributions: forward, inverse, log-Jacobians and their float64
gradients, shapes, domains/codomains, caching, and the constraints they map onto."""
from __future__ import annotations

import numpy as np
import pytest

import latte
import latte.distributions as D
from latte.autograd import gradcheck
from latte.distributions import constraints as C
from latte.distributions import transforms as T

torch = pytest.importorskip("torch")
TD = torch.distributions
TT = torch.distributions.transforms
TC = torch.distributions.constraints

RNG = np.random.default_rng(2)
X = RNG.standard_normal((4, 3))
POS = RNG.uniform(0.3, 2.0, (4, 3))
SQUARE = RNG.standard_normal((2, 3, 3))
LOC, SCALE = RNG.standard_normal(3), RNG.uniform(0.5, 2, 3) * np.array([1, -1, 1])

# (id, builder(transforms module, tensor library), input)
CASES = [
    ("Exp", lambda t, lib: t.ExpTransform(), X),
    ("Affine", lambda t, lib: t.AffineTransform(lib.tensor(LOC), lib.tensor(SCALE)), X),
    ("Affine-scalar", lambda t, lib: t.AffineTransform(1.5, -2.0), X),
    ("Affine-event", lambda t, lib: t.AffineTransform(lib.tensor(LOC), lib.tensor(SCALE),
                                                      event_dim=1), X),
    ("Sigmoid", lambda t, lib: t.SigmoidTransform(), X),
    ("Tanh", lambda t, lib: t.TanhTransform(), X),
    ("Softplus", lambda t, lib: t.SoftplusTransform(), X),
    ("Power", lambda t, lib: t.PowerTransform(lib.tensor(2.5)), POS),
    ("StickBreaking", lambda t, lib: t.StickBreakingTransform(), X),
    ("LowerCholesky", lambda t, lib: t.LowerCholeskyTransform(), SQUARE),
    ("CorrCholesky", lambda t, lib: t.CorrCholeskyTransform(), X),
    ("Reshape", lambda t, lib: t.ReshapeTransform((3,), (3, 1)), X),
    ("Independent", lambda t, lib: t.IndependentTransform(t.ExpTransform(), 1), X),
    ("Compose", lambda t, lib: t.ComposeTransform(
        [t.ExpTransform(), t.AffineTransform(1.0, lib.tensor(SCALE)),
         t.StickBreakingTransform()]), X),
    ("Inverse-Exp", lambda t, lib: t.ExpTransform().inv, POS),
    ("Cat", lambda t, lib: t.CatTransform([t.ExpTransform(), t.AffineTransform(0.0, 3.0)],
                                          dim=1, lengths=[2, 1]), X),
    ("Stack", lambda t, lib: t.StackTransform([t.ExpTransform(), t.SigmoidTransform(),
                                               t.TanhTransform()], dim=1), X),
    ("CDF", lambda t, lib: t.CumulativeDistributionTransform(
        (D if lib is latte else TD).Normal(lib.tensor(LOC), lib.tensor(np.abs(SCALE)))), X),
]
IDS = [c[0] for c in CASES]


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(got, want, what, tol=1e-9):
    got, want = _np(got), _np(want)
    assert got.shape == want.shape, f"{what}: {got.shape} vs {want.shape}"
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)


def _name(c):
    return repr(c).split("(")[0].replace("torch", "latte")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_transform_matches_torch(case):
    _, build, x = case
    ours, theirs = build(T, latte), build(TT, torch)
    lx = latte.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    ly, ty = ours(lx), theirs(tx)
    _close(ly, ty, "forward")
    if theirs.bijective:
        _close(ours.inv(ly), x, "inverse", 1e-8)
    _close(ours.inv(latte.tensor(_np(ty))), theirs.inv(ty.detach()), "inverse", 1e-8)
    assert _name(ours.domain) == _name(theirs.domain)
    assert _name(ours.codomain) == _name(theirs.codomain)
    assert ours.domain.event_dim == theirs.domain.event_dim
    assert ours.codomain.event_dim == theirs.codomain.event_dim
    assert ours.bijective == theirs.bijective
    assert tuple(ours.forward_shape(x.shape)) == tuple(theirs.forward_shape(x.shape))
    assert tuple(ours.inverse_shape(ly.shape)) == tuple(theirs.inverse_shape(ty.shape))
    assert repr(ours).replace("latte", "torch") == repr(theirs)
    if case[0] in ("Cat", "Stack"):
        return  # torch's Cat/Stack log-Jacobians are checked separately
    try:
        tj = theirs.log_abs_det_jacobian(tx, ty)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.log_abs_det_jacobian(lx, ly)
        return
    lj = ours.log_abs_det_jacobian(lx, ly)
    _close(lj, tj, "log_abs_det_jacobian", 1e-8)
    w = RNG.standard_normal(tuple(tj.shape))
    ((lj * latte.tensor(w)).sum() + ly.sum()).backward()
    ((tj * torch.tensor(w)).sum() + ty.sum()).backward()
    _close(lx.grad, tx.grad, "gradient", 1e-7)


def test_cat_and_stack_log_jacobians():
    x = latte.tensor(X)
    cat = T.CatTransform([T.ExpTransform(), T.AffineTransform(0.0, 3.0)], dim=1,
                         lengths=[2, 1])
    expected = np.concatenate([X[:, :2], np.full((4, 1), np.log(3.0))], 1)
    _close(cat.log_abs_det_jacobian(x, cat(x)), expected, "cat")
    stack = T.StackTransform([T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform()], 1)
    parts = [T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform()]
    expected = np.stack([_np(p.log_abs_det_jacobian(x[:, i], p(x[:, i])))
                         for i, p in enumerate(parts)], 1)
    _close(stack.log_abs_det_jacobian(x, stack(x)), expected, "stack")


@pytest.mark.parametrize("name", ["Exp", "Sigmoid", "Tanh", "Softplus", "StickBreaking",
                                  "CorrCholesky"])
def test_log_jacobian_gradcheck(name):
    t = dict((c[0], c[1]) for c in CASES)[name](T, latte)
    x = latte.tensor(X[:2] * 0.5, requires_grad=True)
    assert gradcheck(lambda v: t.log_abs_det_jacobian(v, t(v)), [x])
    assert gradcheck(lambda v: t(v), [x])


def test_atan_gradcheck():
    atan = latte.atan  # the Cauchy CDF's arctangent
    x = latte.tensor(X, requires_grad=True)
    assert gradcheck(atan, [x])
    _close(atan(x), np.arctan(X), "atan")


def test_caching_returns_the_exact_input():
    t = T.ExpTransform(cache_size=1)
    x = latte.tensor(X, requires_grad=True)
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    assert T.ExpTransform()(x) is not T.ExpTransform()(x)
    with pytest.raises(ValueError, match="cache_size"):
        T.ExpTransform(cache_size=2)
    assert T.ExpTransform().inv.inv == T.ExpTransform()
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.SigmoidTransform()
    assert T.AffineTransform(0.0, 2.0) == T.AffineTransform(0.0, 2.0)
    assert T.AffineTransform(0.0, 2.0) != T.AffineTransform(1.0, 2.0)
    assert T.identity_transform(x) is x
    assert T.SigmoidTransform().sign == 1 and T.AffineTransform(0.0, -2.0).sign == -1


def test_positive_definite_and_softmax_transforms():
    pd = T.PositiveDefiniteTransform()
    y = pd(latte.tensor(SQUARE))
    _close(y, TT.PositiveDefiniteTransform()(torch.tensor(SQUARE)), "pd")
    assert bool(C.positive_definite.check(y).all())
    _close(pd.inv(y), TT.PositiveDefiniteTransform().inv(torch.tensor(_np(y))), "pd inverse")
    sm = T.SoftmaxTransform()
    _close(sm(latte.tensor(X)), TT.SoftmaxTransform()(torch.tensor(X)), "softmax")
    _close(sm.inv(sm(latte.tensor(X))), TT.SoftmaxTransform().inv(
        TT.SoftmaxTransform()(torch.tensor(X))), "softmax inverse")
    a = T.AbsTransform()
    _close(a(latte.tensor(X)), np.abs(X), "abs")


REGISTRY = [
    ("positive", C.positive, TC.positive), ("nonnegative", C.nonnegative, TC.nonnegative),
    ("greater_than", C.greater_than(1.5), TC.greater_than(1.5)),
    ("greater_than_eq", C.greater_than_eq(-1.0), TC.greater_than_eq(-1.0)),
    ("less_than", C.less_than(2.0), TC.less_than(2.0)),
    ("unit_interval", C.unit_interval, TC.unit_interval),
    ("interval", C.interval(-1.0, 3.0), TC.interval(-1.0, 3.0)),
    ("half_open_interval", C.half_open_interval(0.0, 2.0), TC.half_open_interval(0.0, 2.0)),
    ("real", C.real, TC.real), ("simplex", C.simplex, TC.simplex),
    ("real_vector", C.real_vector, TC.real_vector),
    ("independent", C.independent(C.positive, 1), TC.independent(TC.positive, 1)),
    ("corr_cholesky", C.corr_cholesky, TC.corr_cholesky),
    ("cat", C.cat([C.positive, C.real], 1, [1, 2]), TC.cat([TC.positive, TC.real], 1, [1, 2])),
    ("stack", C.stack([C.positive, C.unit_interval, C.real], 1),
     TC.stack([TC.positive, TC.unit_interval, TC.real], 1)),
]


@pytest.mark.parametrize("kind", ["biject_to", "transform_to"])
@pytest.mark.parametrize("case", REGISTRY, ids=[c[0] for c in REGISTRY])
def test_registries_match_torch(kind, case):
    _, ours_c, theirs_c = case
    ours, theirs = getattr(D, kind)(ours_c), getattr(TD, kind)(theirs_c)
    assert repr(ours).replace("latte", "torch") == repr(theirs)
    y = ours(latte.tensor(X))
    _close(y, theirs(torch.tensor(X)), "values")
    assert bool(ours_c.check(y).all())
    _close(ours.inv(y), theirs.inv(torch.tensor(_np(y))), "inverse", 1e-8)


def test_registry_matrix_constraints_and_errors():
    assert isinstance(D.transform_to(C.lower_cholesky), T.LowerCholeskyTransform)
    assert isinstance(D.transform_to(C.positive_definite), T.PositiveDefiniteTransform)
    with pytest.raises(NotImplementedError, match="Cannot transform"):
        D.biject_to(C.lower_cholesky)
    with pytest.raises(TypeError, match="Constraint"):
        D.biject_to.register(3, lambda c: None)


CONSTRAINTS = [
    ("lower_triangular", C.lower_triangular, TC.lower_triangular, SQUARE),
    ("square", C.square, TC.square, SQUARE),
    ("symmetric", C.symmetric, TC.symmetric, SQUARE + SQUARE.transpose(0, 2, 1)),
    ("positive_semidefinite", C.positive_semidefinite, TC.positive_semidefinite,
     SQUARE @ SQUARE.transpose(0, 2, 1)),
    ("positive_integer", C.positive_integer, TC.positive_integer,
     np.array([0.0, 1.0, 2.0, 2.5])),
    ("multinomial", C.multinomial(4), TC.multinomial(4),
     np.array([[1.0, 2.0], [3.0, 2.0], [-1.0, 1.0]])),
    ("less_than", C.less_than(0.5), TC.less_than(0.5), X),
    ("greater_than_eq", C.greater_than_eq(0.0), TC.greater_than_eq(0.0),
     np.array([-1.0, 0.0, 1.0])),
    ("corr_cholesky", C.corr_cholesky, TC.corr_cholesky,
     np.stack([np.linalg.cholesky(np.array([[1.0, 0.3], [0.3, 1.0]])), np.eye(2),
               2 * np.eye(2)])),
]


@pytest.mark.parametrize("case", CONSTRAINTS, ids=[c[0] for c in CONSTRAINTS])
def test_constraints_match_torch(case):
    _, ours, theirs, value = case
    np.testing.assert_array_equal(_np(ours.check(latte.tensor(value))),
                                  theirs.check(torch.tensor(value)).numpy())
    assert repr(ours) == repr(theirs)
    assert ours.event_dim == theirs.event_dim and ours.is_discrete == theirs.is_discrete
    assert C.is_dependent(C.dependent) and not C.is_dependent(C.real)
    # lower_triangular does not require square; symmetric needs square
    assert not bool(C.symmetric.check(latte.tensor(SQUARE)).all())


def test_transformed_distribution_matches_torch():
    loc = latte.tensor(LOC, requires_grad=True)
    tloc = torch.tensor(LOC, requires_grad=True)
    scale = np.abs(SCALE)
    ours = D.TransformedDistribution(D.Normal(loc, latte.tensor(scale)),
                                     [T.ExpTransform(), T.AffineTransform(1.0, -2.0)])
    theirs = TD.TransformedDistribution(TD.Normal(tloc, torch.tensor(scale)),
                                        [TT.ExpTransform(), TT.AffineTransform(1.0, -2.0)])
    value = -RNG.uniform(0.5, 4, (5, 3))
    _close(ours.log_prob(latte.tensor(value)), theirs.log_prob(torch.tensor(value)), "lp")
    _close(ours.cdf(latte.tensor(value)), theirs.cdf(torch.tensor(value)), "cdf")
    p = RNG.uniform(0.1, 0.9, (5, 3))
    _close(ours.icdf(latte.tensor(p)), theirs.icdf(torch.tensor(p)), "icdf")
    assert repr(ours.support) == repr(theirs.support).replace("torch", "latte")
    ours.log_prob(latte.tensor(value)).sum().backward()
    theirs.log_prob(torch.tensor(value)).sum().backward()
    _close(loc.grad, tloc.grad, "grad")
    e = ours.expand((2, 3))
    assert tuple(e.batch_shape) == (2, 3) and tuple(e.base_dist.batch_shape) == (2, 3)
    assert tuple(ours.sample((7,)).shape) == (7, 3)
    # a vector transform turns batch dims into event dims
    sb = D.TransformedDistribution(D.Normal(latte.zeros(3), latte.ones(3)),
                                   T.StickBreakingTransform())
    tsb = TD.TransformedDistribution(TD.Normal(torch.zeros(3), torch.ones(3)),
                                     TT.StickBreakingTransform())
    assert tuple(sb.batch_shape) == tuple(tsb.batch_shape) == ()
    assert tuple(sb.event_shape) == tuple(tsb.event_shape) == (4,)
    v = RNG.dirichlet(np.ones(4), 2).astype(np.float32)
    _close(sb.log_prob(latte.tensor(v)), tsb.log_prob(torch.tensor(v)), "stick", 1e-5)
    with pytest.raises(ValueError, match="Transform"):
        D.TransformedDistribution(D.Normal(0.0, 1.0), "exp")
