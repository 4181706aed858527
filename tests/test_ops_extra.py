"""PyTorch parity for the non-differentiable extras (searching, counting, integer outputs,
decomposition values, in-place forms); the differentiable ones are entries of op_db."""
from __future__ import annotations

import numpy as np
import pytest

import latte

torch = pytest.importorskip("torch")


def _same(got, expected) -> None:
    if isinstance(expected, (tuple, list)):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e)
        return
    e = expected.detach().numpy()
    g = got.detach().numpy()
    assert g.shape == e.shape, f"shape {g.shape} vs torch {e.shape}"
    assert g.dtype == e.dtype, f"dtype {g.dtype} vs torch {e.dtype}"
    np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


def _both(*arrays):
    return [latte.tensor(a) for a in arrays], [torch.tensor(a) for a in arrays]


RNG = np.random.default_rng(0)


@pytest.mark.parametrize("right", [False, True])
def test_searchsorted_and_bucketize(right):
    seq = np.array([1.0, 2.0, 2.0, 4.0, 7.0])
    vals = np.array([[0.0, 2.0, 5.0], [7.0, 8.0, 2.0]])
    rows = np.sort(RNG.uniform(size=(2, 5)), axis=1)
    (ls, lv, lr), (ts, tv, tr) = _both(seq, vals, rows)
    _same(latte.searchsorted(ls, lv, right=right), torch.searchsorted(ts, tv, right=right))
    _same(latte.searchsorted(lr, lv, right=right), torch.searchsorted(tr, tv, right=right))
    _same(latte.searchsorted(ls, lv, side="right" if right else "left", out_int32=True),
          torch.searchsorted(ts, tv, side="right" if right else "left", out_int32=True))
    _same(latte.bucketize(lv, ls, right=right), torch.bucketize(tv, ts, right=right))


def test_histc_bincount_isin():
    x = RNG.normal(size=50)
    (lx,), (tx,) = _both(x)
    _same(latte.histc(lx, bins=7), torch.histc(tx, bins=7))
    _same(lx.histc(5, min=-1, max=1), tx.histc(5, min=-1, max=1))
    _same(latte.histc(latte.ones(4), bins=3), torch.histc(torch.ones(4), bins=3))
    ints = np.array([0, 3, 3, 1, 5])
    w = RNG.uniform(size=5)
    (li, lw), (ti, tw) = _both(ints, w)
    _same(latte.bincount(li), torch.bincount(ti))
    _same(li.bincount(lw, minlength=8), ti.bincount(tw, minlength=8))
    _same(latte.bincount(li, lw.float()), torch.bincount(ti, tw.float()))
    (lt,), (tt,) = _both(np.array([3, 9]))
    _same(latte.isin(li, lt), torch.isin(ti, tt))
    _same(latte.isin(li, lt, invert=True), torch.isin(ti, tt, invert=True))
    _same(latte.isin(li, 3), torch.isin(ti, 3))


def test_cummax_cummin_indices():
    x = np.array([[1.0, 3.0, 2.0, 3.0, 5.0], [4.0, 1.0, 1.0, 0.0, 6.0]])
    (lx,), (tx,) = _both(x)
    for dim in (0, 1):
        _same(tuple(latte.cummax(lx, dim)), tuple(torch.cummax(tx, dim)))
        _same(tuple(lx.cummin(dim)), tuple(tx.cummin(dim)))
    y = np.array([1.0, np.nan, 3.0, 0.0])
    (ly,), (ty,) = _both(y)
    assert latte.cummax(ly, 0).indices.tolist() == torch.cummax(ty, 0).indices.tolist()


def test_frexp_count_nonzero_nansum():
    x = np.array([0.0, 1.0, -3.5, 1e-3, 1024.0])
    (lx,), (tx,) = _both(x)
    _same(tuple(latte.frexp(lx)), tuple(torch.frexp(tx)))
    _same(tuple(lx.frexp()), tuple(tx.frexp()))
    _same(latte.count_nonzero(lx), torch.count_nonzero(tx))
    (lm,), (tm,) = _both(np.array([[1.0, np.nan], [np.nan, np.nan]]))
    _same(latte.nansum(lm, 1), torch.nansum(tm, 1))
    _same(latte.nanmean(lm, 1), torch.nanmean(tm, 1))


def test_inplace_forms():
    x = np.array([[1.0, np.nan, np.inf], [-np.inf, 2.0, -3.0]])
    (lx,), (tx,) = _both(x)
    assert lx.nan_to_num_(posinf=9.0) is lx
    tx.nan_to_num_(posinf=9.0)
    _same(lx, tx)
    lx.clamp_min_(0.5).clamp_max_(5.0)
    tx.clamp_min_(0.5).clamp_max_(5.0)
    _same(lx, tx)
    src = RNG.uniform(size=(2, 3))
    (ls,), (ts,) = _both(src)
    index = np.array([1, 1])
    lx.index_add_(0, latte.tensor(index), ls, alpha=2.0)
    tx.index_add_(0, torch.tensor(index), ts, alpha=2.0)
    _same(lx, tx)
    lx.index_copy_(1, latte.tensor([2, 0]), ls[:, :2])
    tx.index_copy_(1, torch.tensor([2, 0]), ts[:, :2])
    _same(lx, tx)
    idx = np.array([[0, 0, 1], [1, 1, 1]])
    lx.scatter_reduce_(1, latte.tensor(idx), ls, "amax", include_self=False)
    tx.scatter_reduce_(1, torch.tensor(idx), ts, "amax", include_self=False)
    _same(lx, tx)
    mask = np.array([[True, False, True], [False, True, False]])
    lx.masked_scatter_(latte.tensor(mask), ls)
    tx.masked_scatter_(torch.tensor(mask), ts)
    _same(lx, tx)


def test_inplace_records_autograd():
    a = latte.tensor([1.0, -2.0, 3.0], requires_grad=True)
    b = a * 1.0
    b.clamp_min_(0.0)
    b.sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 1.0]


def test_scatter_reduce_integers():
    x = np.array([5, 1, 7, 2])
    src = np.array([3, 9, 4, 8, 6])
    idx = np.array([0, 0, 2, 3, 3])
    (lx, ls, li), (tx, ts, ti) = _both(x, src, idx)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            _same(lx.scatter_reduce(0, li, ls, reduce, include_self=include_self),
                  tx.scatter_reduce(0, ti, ts, reduce, include_self=include_self))


def test_combinations_and_cartesian_prod_ints():
    (lx, ly), (tx, ty) = _both(np.array([1, 2, 3, 4]), np.array([5, 6]))
    _same(latte.combinations(lx, 2), torch.combinations(tx, 2))
    _same(latte.combinations(lx, 5), torch.combinations(tx, 5))
    _same(latte.cartesian_prod(lx, ly), torch.cartesian_prod(tx, ty))
    _same(latte.vander(lx, 3), torch.vander(tx, 3))
    _same(latte.block_diag(lx.reshape(2, 2), ly), torch.block_diag(tx.reshape(2, 2), ty))


def test_clear_errors():
    with pytest.raises(RuntimeError, match=r"mat2 .* shape \(3,\)"):
        latte.addmm(latte.zeros(2), latte.zeros(2, 3), latte.zeros(3))
    with pytest.raises(RuntimeError, match="index_add"):
        latte.index_add(latte.zeros(3, 4), 0, latte.tensor([0]), latte.zeros(2, 4))
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        latte.linalg.inv(latte.zeros(2, 3))
    with pytest.raises(RuntimeError, match="Incompatible"):
        latte.linalg.solve(latte.eye(3), latte.zeros(2))


SPECIAL_GRID = np.concatenate([np.linspace(-6.0, 6.0, 97), [-30.0, 30.0, 1e-8, -1e-8, 0.0]])


@pytest.mark.parametrize("name", ["erf", "erfc", "lgamma", "digamma", "i0", "sinc"])
def test_special_values_on_a_wide_grid(name):
    (lx,), (tx,) = _both(SPECIAL_GRID)
    got = getattr(latte, name)(lx).numpy()
    expected = getattr(torch, name)(tx).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-14)


def test_erfinv_to_float64_precision_and_tails():
    y = np.concatenate([np.linspace(-1.0, 1.0, 201), [1 - 1e-12, 1 - 1e-15, -1 + 2 ** -53,
                                                      1e-300, 1.5, -2.0]])
    (ly,), (ty,) = _both(y)
    got, expected = latte.erfinv(ly).numpy(), torch.erfinv(ty).numpy()
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)


def test_special_tails_and_edges():
    x = np.array([0.0, 0.5, -1.5, 1e-3, 7.0])
    (lx,), (tx,) = _both(x)
    for name in ("entr", "ndtr", "i1", "log_ndtr", "expit", "i1"):
        _same(getattr(latte.special, name)(lx), getattr(torch.special, name)(tx))
    _same(latte.special.ndtri(latte.tensor([0.01, 0.5, 0.975], dtype=latte.float64)),
          torch.special.ndtri(torch.tensor([0.01, 0.5, 0.975], dtype=torch.float64)))
    big = np.array([10.0, 20.0, 26.0])
    (lb,), (tb,) = _both(big)
    np.testing.assert_allclose(latte.erfc(lb).numpy(), torch.erfc(tb).numpy(), rtol=1e-13)
    _same(latte.special.polygamma(1, lx.abs() + 0.5), torch.special.polygamma(1, tx.abs() + 0.5))


def test_digamma_gradient_is_trigamma():
    x = np.array([0.3, 1.2122845691382764, 4.0, 25.0, -0.7])
    (lx,), (tx,) = _both(x)
    lx.requires_grad_(True)
    tx.requires_grad_(True)
    latte.digamma(lx).sum().backward()
    torch.digamma(tx).sum().backward()
    # PyTorch's trigamma is good to ~5e-10 relative; ours matches a direct sum to 1e-15
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=2e-9)
    k = np.arange(10 ** 6)
    direct = np.sum(1.0 / (1.2122845691382764 + k) ** 2) + 1.0 / (1.2122845691382764 + 10 ** 6)
    np.testing.assert_allclose(lx.grad.numpy()[1], direct, rtol=1e-12)


def test_decomposition_values():
    a = RNG.normal(size=(2, 4, 3))
    (la,), (ta,) = _both(a)
    u, s, vh = latte.linalg.svd(la, full_matrices=False)
    tu, ts, tvh = torch.linalg.svd(ta, full_matrices=False)
    _same(s, ts)
    np.testing.assert_allclose((u * s.unsqueeze(-2) @ vh).numpy(), a, atol=1e-12)
    _same(latte.svd(la).S, torch.svd(ta).S)
    np.testing.assert_allclose(latte.svd(la).V.abs().numpy(), torch.svd(ta).V.abs().numpy(),
                               atol=1e-12)
    for mode in ("reduced", "complete"):
        q, r = latte.linalg.qr(la, mode=mode)
        tq, tr = torch.linalg.qr(ta, mode=mode)
        _same(r.abs(), tr.abs())
        np.testing.assert_allclose((q @ r).numpy(), a, atol=1e-12)
    _same(latte.linalg.matrix_rank(la), torch.linalg.matrix_rank(ta))
    low_rank = a[0] @ np.diag([1.0, 1.0, 0.0])
    _same(latte.linalg.matrix_rank(latte.tensor(low_rank)),
          torch.linalg.matrix_rank(torch.tensor(low_rank)))
    sym = a[0].T @ a[0]
    _same(latte.linalg.eigvalsh(latte.tensor(sym)), torch.linalg.eigvalsh(torch.tensor(sym)))
    b = RNG.normal(size=(4, 2))
    got = latte.linalg.lstsq(la[0], latte.tensor(b))
    expected = torch.linalg.lstsq(ta[0], torch.tensor(b))
    _same(got.solution, expected.solution)
    _same(got.rank, expected.rank)


def test_svd_full_matrices_gradient_ignores_the_extra_columns_as_torch():
    a = RNG.normal(size=(4, 2))
    weights = RNG.normal(size=(4, 4))
    (la, lw), (ta, tw) = _both(a, weights)
    la.requires_grad_(True)
    ta.requires_grad_(True)
    u, s, vh = latte.linalg.svd(la, full_matrices=True)
    (u * u * lw).sum().backward()
    tu, ts, tvh = torch.linalg.svd(ta, full_matrices=True)
    (tu * tu * tw).sum().backward()
    np.testing.assert_allclose(la.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-10)
