"""The non-differentiable extras (latte/_functional/, latte.linalg values, in-place forms) on the
stand-in GPU: same results as on the CPU, results on the inputs' GPU, no hidden host copies.
The differentiable extras are op_db entries, run by test_device_ops.py."""
from __future__ import annotations

import numpy as np
import pytest
from standin import cpu_and_device_results

import latte

RNG = np.random.default_rng(0)
SORTED = np.sort(RNG.uniform(size=(2, 6)), axis=1)
VALUES = RNG.uniform(size=(2, 3))
INTS = np.array([0, 3, 3, 1, 5])
SQUARE = RNG.uniform(size=(3, 3)) + 3 * np.eye(3)

CASES = {
    "searchsorted_1d": lambda t: latte.searchsorted(t(SORTED[0]), t(VALUES), right=True),
    "searchsorted_rows": lambda t: latte.searchsorted(t(SORTED), t(VALUES)),
    "bucketize": lambda t: latte.bucketize(t(VALUES), t(SORTED[0])),
    "histc": lambda t: latte.histc(t(VALUES), bins=4),
    "histc_range": lambda t: t(VALUES).histc(3, min=0.2, max=0.8),
    "bincount": lambda t: latte.bincount(t(INTS), t(INTS * 0.5), minlength=7),
    "isin": lambda t: latte.isin(t(INTS), t(np.array([3, 5]))),
    "cummax": lambda t: tuple(latte.cummax(t(VALUES), 1)),
    "cummin_nan": lambda t: tuple(t(np.array([2.0, np.nan, 1.0])).cummin(0)),
    "frexp": lambda t: tuple(latte.frexp(t(VALUES * 100))),
    "combinations": lambda t: latte.combinations(t(INTS), 2),
    "matrix_rank": lambda t: latte.linalg.matrix_rank(t(SQUARE)),
    "qr": lambda t: tuple(latte.linalg.qr(t(SQUARE))),
    "svd": lambda t: tuple(latte.linalg.svd(t(SQUARE)).S.abs()),
    "scatter_reduce_prod": lambda t: t(np.array([1.0, -2.0, 3.0])).scatter_reduce(
        0, t(np.array([0, 0, 2, 1])), t(np.array([2.0, 0.5, -4.0, 0.0])), "prod"),
    "scatter_reduce_int": lambda t: t(np.array([5, 1, 7])).scatter_reduce(
        0, t(np.array([0, 0, 2])), t(np.array([3, -9, 4])), "prod", include_self=False),
    "special_polygamma": lambda t: latte.special.polygamma(1, t(VALUES)),
    "inplace": lambda t: t(VALUES.copy()).clamp_min_(0.4).index_add_(
        0, t(np.array([1])), t(VALUES[:1])),
}

# the shape and statistics long tail (tests/test_shape_statistics_long_tail.py on the CPU)
RUNS = np.array([1, 1, 2, 2, 3, 1, 1])
CASES.update({
    "histogram": lambda t: tuple(latte.histogram(t(VALUES), 4)),
    "histogram_edges": lambda t: tuple(t(VALUES).histogram(t(SORTED[0]), density=True)),
    "histogram_range": lambda t: tuple(latte.histogram(t(VALUES), 3, range=(0.2, 0.8),
                                                       weight=t(VALUES))),
    "unique_consecutive": lambda t: latte.unique_consecutive(
        t(RUNS), return_inverse=True, return_counts=True),
    "unique_consecutive_dim": lambda t: latte.unique_consecutive(
        t(RUNS.reshape(-1, 1).repeat(2, 1)), return_counts=True, dim=0),
    "unravel_index": lambda t: latte.unravel_index(t(INTS), (2, 3)),
    "mode_int": lambda t: tuple(latte.mode(t(RUNS))),
    "aminmax_int": lambda t: tuple(latte.aminmax(t(INTS))),
    "diff_bool": lambda t: latte.diff(t(RUNS > 1)),
    "in_place_shapes": lambda t: t(VALUES.copy()).t_().unsqueeze_(0).squeeze_(0)
    .transpose_(0, 1).tril_().fill_diagonal_(5.0),
})


# latte.special's functions without a gradient, and linalg's integer outputs (latte/ops/bessel.py,
# orthogonal_polynomials.py, lu.py); a tensor degree n and ldl_* read values on the host
WIDE = np.array([-30.0, -7.3, -0.5, 0.0, 0.3, 2.5, 4.9, 5.1, 17.0, 26.0, 40.0])


def _special(name: str, *args: object) -> object:
    fn = getattr(latte.special, name)
    return lambda t: fn(t(WIDE / 20 if args else WIDE), *args)


CASES.update({f"special_{name}": _special(name) for name in (
    "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
    "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
    "spherical_bessel_j0", "airy_ai")})
CASES.update({f"special_{name}": _special(name, 7) for name in (
    "chebyshev_polynomial_t", "chebyshev_polynomial_u", "hermite_polynomial_h",
    "laguerre_polynomial_l", "legendre_polynomial_p")})
CASES.update({
    "lu_factor_ex": lambda t: tuple(latte.linalg.lu_factor_ex(t(SQUARE))),
    "lu_unpack": lambda t: tuple(latte.lu_unpack(*latte.linalg.lu_factor(t(SQUARE)))),
    "geqrf": lambda t: tuple(latte.geqrf(t(SQUARE))),
})


@pytest.mark.parametrize("where", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("name", list(CASES))
def test_extra_on_gpu_matches_cpu(name, where, gpu):
    expected, got = cpu_and_device_results(CASES[name], where, gpu)
    for g, e in zip(got, expected):
        assert g.device == latte.device(where)
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g.cpu().numpy(), e.numpy(), rtol=1e-12, atol=1e-12)
