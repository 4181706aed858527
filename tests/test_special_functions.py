"""latte.special's Bessel, Airy, incomplete-gamma, zeta and polynomial functions against
mpmath (accuracy) and PyTorch (semantics: special values, dtypes, gradients that exist or not).

PyTorch's own float64 Bessel and Airy kernels are off by up to ~1e-6 (absolute) for x in about
[2.5, 18] (checked against mpmath here): the PyTorch comparisons use a tolerance that allows
for that, the mpmath ones a float64 one."""
import numpy as np
import pytest
import torch

import latte

mpmath = pytest.importorskip("mpmath")

INF, NAN = float("inf"), float("nan")
SPECIAL = np.array([0.0, -0.0, INF, -INF, NAN, 1e-310, 1e-20, 2.0, 5.0, 25.0, 30.0, 1e300])


def _grid(rng, lo=0.0, hi=40.0):
    return np.concatenate([rng.uniform(lo, hi, 300), 10 ** rng.uniform(-8, 6, 150)])


BESSEL = [
    ("bessel_j0", lambda v: mpmath.besselj(0, v), True),
    ("bessel_j1", lambda v: mpmath.besselj(1, v), True),
    ("bessel_y0", lambda v: mpmath.bessely(0, v), False),
    ("bessel_y1", lambda v: mpmath.bessely(1, v), False),
    ("modified_bessel_k0", lambda v: mpmath.besselk(0, v), False),
    ("modified_bessel_k1", lambda v: mpmath.besselk(1, v), False),
    ("scaled_modified_bessel_k0", lambda v: mpmath.exp(v) * mpmath.besselk(0, v), False),
    ("scaled_modified_bessel_k1", lambda v: mpmath.exp(v) * mpmath.besselk(1, v), False),
    ("spherical_bessel_j0", lambda v: mpmath.sin(v) / v, True),
]


@pytest.mark.parametrize("name,ref,negative", BESSEL, ids=[b[0] for b in BESSEL])
def test_bessel_accuracy_against_mpmath(name, ref, negative):
    x = _grid(np.random.default_rng(len(name)))
    if negative:
        x = np.concatenate([x, -x[:100]])
    ours = getattr(latte.special, name)(latte.tensor(x)).numpy()
    expected = np.array([float(ref(mpmath.mpf(v))) for v in x])
    scale = np.maximum(np.abs(expected), 1.0) if name.startswith(("bessel", "spherical")) \
        else np.abs(expected)  # J, Y oscillate: absolute near their zeros; K is relative
    # large arguments: the phase x - pi/4 carries x's own rounding (ulp(x) ~ 1e-10 at 1e6)
    tol = np.where(np.abs(x) > 1e3, 1e-11, 2e-14)
    assert np.all(np.abs(ours - expected) <= tol * scale + 1e-300), name


@pytest.mark.parametrize("name", [b[0] for b in BESSEL] + ["airy_ai"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bessel_matches_pytorch(name, dtype):
    rng = np.random.default_rng(3)
    x = np.concatenate([_grid(rng, -40.0, 40.0), -_grid(rng)[:50], SPECIAL]).astype(dtype)
    ours = getattr(latte.special, name)(latte.tensor(x))
    theirs = getattr(torch.special, name)(torch.tensor(x))
    assert ours.dtype == getattr(latte, str(theirs.dtype).removeprefix("torch."))
    o, t = ours.numpy(), theirs.numpy()
    np.testing.assert_array_equal(np.isnan(o), np.isnan(t))
    np.testing.assert_array_equal(np.isposinf(o), np.isposinf(t))
    np.testing.assert_array_equal(np.isneginf(o), np.isneginf(t))
    finite = np.isfinite(t)
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    # PyTorch's float64 error (module docstring); in float32 it also rounds the phase of large
    # arguments (ours runs in float64 and rounds once)
    atol = 1e-5 + 1e-7 * np.sqrt(np.abs(x[finite])) if dtype == np.float32 else 5e-6
    assert np.all(np.abs(o[finite] - t[finite]) <= atol + rtol * np.abs(t[finite])), name


def test_airy_accuracy_against_mpmath():
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-30.0, 10.0, 400), -(10 ** rng.uniform(-5, 3, 100)),
                        10 ** rng.uniform(-5, 2.2, 100), [-10.0, -9.99, 2.0, 2.01]])
    ours = latte.special.airy_ai(latte.tensor(x)).numpy()
    expected = np.array([float(mpmath.airyai(v)) for v in x])
    negative = x < 0  # oscillating: absolute accuracy (the phase 2/3 |x|^1.5 rounds at large |x|)
    np.testing.assert_allclose(ours[negative], expected[negative], rtol=0,
                               atol=1e-13 * 1000 ** 1.5)
    np.testing.assert_allclose(ours[negative & (x > -30)], expected[negative & (x > -30)],
                               rtol=0, atol=1e-14)
    np.testing.assert_allclose(ours[~negative], expected[~negative], rtol=1e-13, atol=0)


def test_bessel_functions_have_no_gradient_int_inputs_float():
    x = latte.tensor([0.5, 1.5], requires_grad=True)
    for name in [b[0] for b in BESSEL] + ["airy_ai"]:
        out = getattr(latte.special, name)(x)
        assert not out.requires_grad and out.grad_fn is None, name
    assert latte.special.bessel_j0(latte.tensor([1, 2])).dtype == latte.float32


# --- erfcx, gammainc, gammaincc, zeta ------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_erfcx_matches_pytorch(dtype):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-27, 27, 2000), 10 ** rng.uniform(-10, 10, 500),
                        -(10 ** rng.uniform(-10, 1.4, 500)), SPECIAL]).astype(dtype)
    o = latte.special.erfcx(latte.tensor(x)).numpy()
    t = torch.special.erfcx(torch.tensor(x)).numpy()
    assert o.dtype == t.dtype
    np.testing.assert_allclose(o, t, rtol=1e-13 if dtype == np.float64 else 1e-5, atol=0)


def test_incomplete_gamma_matches_pytorch_and_mpmath():
    rng = np.random.default_rng(1)
    a = np.concatenate([10 ** rng.uniform(-3, 3.5, 600), [0, 0, -1, 1, 1, INF, INF, 2, NAN, 1]])
    x = np.concatenate([a[:300] * np.exp(rng.normal(0, 0.5, 300)), 10 ** rng.uniform(-3, 3, 300),
                        [0, 1, 1, -1, 0, 1, INF, INF, 1, NAN]])
    for name in ("gammainc", "gammaincc"):
        o = getattr(latte.special, name)(latte.tensor(a), latte.tensor(x)).numpy()
        t = getattr(torch.special, name)(torch.tensor(a), torch.tensor(x)).numpy()
        np.testing.assert_array_equal(np.isnan(o), np.isnan(t))
        # PyTorch's uniform expansion for large a is good to ~1e-10 (ours to ~1e-13, below)
        np.testing.assert_allclose(o, t, rtol=1e-8, atol=1e-12)
    picks = rng.choice(600, 60, replace=False)
    for i in picks:
        expected = float(mpmath.gammainc(a[i], 0, x[i], regularized=True))
        got = float(latte.special.gammainc(latte.tensor(a[i]), latte.tensor(x[i])))
        assert abs(got - expected) <= 1e-12 * max(abs(expected), 1e-3) + 1e-300, (a[i], x[i])


def test_zeta_matches_pytorch():
    rng = np.random.default_rng(2)
    s = np.concatenate([1 + 10 ** rng.uniform(-5, 2, 500), [1, 0.5, -1, 2, 2, 2, 2.5, INF, 2,
                                                           NAN, 1e10, 2, 3, INF, INF]])
    q = np.concatenate([10 ** rng.uniform(-5, 5, 500), [1, 1, 1, 0, -1, -1.5, -1.5, 0.5, INF,
                                                       1, 2, 1e-300, -10.5, 1, 2]])
    o = latte.special.zeta(latte.tensor(s), latte.tensor(q)).numpy()
    t = torch.special.zeta(torch.tensor(s), torch.tensor(q)).numpy()
    np.testing.assert_array_equal(np.isnan(o), np.isnan(t))
    np.testing.assert_allclose(o, t, rtol=1e-13)
    riemann = latte.special.zeta(2.0, latte.tensor(1.0, dtype=latte.float64))
    assert float(riemann) == pytest.approx(np.pi ** 2 / 6, rel=1e-15)
    assert latte.special.zeta(latte.tensor(3.0), 1.0).dtype == latte.float32


@pytest.mark.parametrize("name,message", [("gammainc", "igamma: input"),
                                          ("gammaincc", "igammac: input"), ("zeta", "zeta")])
def test_no_gradient_for_the_first_argument(name, message):
    a = latte.tensor([1.5], dtype=latte.float64, requires_grad=True)
    x = latte.tensor([0.7], dtype=latte.float64, requires_grad=True)
    out = getattr(latte.special, name)(a, x)
    with pytest.raises(RuntimeError, match=f"derivative for '{message}' is not implemented"):
        latte.autograd.grad(out.sum(), a)
    (g,) = latte.autograd.grad(getattr(latte.special, name)(a.detach(), x).sum(), x)
    ta = torch.tensor([1.5], dtype=torch.float64)
    tx = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(getattr(torch.special, name)(ta, tx).sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


# --- orthogonal polynomials ----------------------------------------------------------------------
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_pytorch(name):
    rng = np.random.default_rng(len(name))
    x = np.concatenate([rng.uniform(-3, 3, 200), [0, 1, -1, 0.5, -0.5, 2, 1e3, -1e3, INF]])
    ours_fn, torch_fn = getattr(latte.special, name), getattr(torch.special, name)
    for n in [0, 1, 2, 3, 5, 7, 8, 9, 12, 20, 50, -1, 2.5]:
        o = ours_fn(latte.tensor(x), n).numpy()
        t = torch_fn(torch.tensor(x), n).numpy()
        np.testing.assert_array_equal(np.isinf(o), np.isinf(t))
        fin = np.isfinite(t)
        np.testing.assert_allclose(o[fin], t[fin], rtol=1e-12, atol=1e-12)
    degrees = rng.integers(-1, 12, x.shape)  # n as a tensor, broadcast element by element
    o = ours_fn(latte.tensor(x), latte.tensor(degrees)).numpy()
    t = torch_fn(torch.tensor(x), torch.tensor(degrees)).numpy()
    fin = np.isfinite(t)
    np.testing.assert_allclose(o[fin], t[fin], rtol=1e-12, atol=1e-12)
    x32 = latte.tensor(x[:10].astype(np.float32), requires_grad=True)
    out = ours_fn(x32, 3)
    assert out.dtype == latte.float32 and not out.requires_grad
    assert ours_fn(latte.tensor([1, 2]), latte.tensor([2, 3])).dtype == latte.float32


def test_torch_special_names_all_exist():
    ours = set(dir(latte.special))
    missing = {n for n in dir(torch.special) if not n.startswith("_")} - ours
    assert missing <= {"Tensor", "common_args", "multi_dim_common", "torch"}, missing


def test_gammainc_of_two_integer_tensors_raises_as_pytorch():
    with pytest.raises(NotImplementedError, match="igamma"):
        latte.special.gammainc(latte.tensor([1, 2]), latte.tensor([1, 2]))
    assert latte.special.gammaincc(latte.tensor([1, 2]), latte.tensor([1.0, 2.0])).dtype == \
        latte.float32
