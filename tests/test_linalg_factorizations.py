"""latte.linalg's LU, reflector and tensor-solve functions against PyTorch: the non-float parts
(pivots, info, permutations), errors, and the functions PyTorch gives no gradient."""
import warnings

import numpy as np
import pytest
import torch

import latte


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (3, 5), (5, 3), (2, 1, 4, 2), (0, 2, 2)])
def test_lu_factor_ex_matches_pytorch(shape):
    a = np.random.default_rng(len(shape)).standard_normal(shape)
    ours = latte.linalg.lu_factor_ex(latte.tensor(a))
    theirs = torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_allclose(_np(ours.LU), _np(theirs.LU), atol=1e-13)
    np.testing.assert_array_equal(_np(ours.pivots), _np(theirs.pivots))
    np.testing.assert_array_equal(_np(ours.info), _np(theirs.info))
    assert ours.pivots.dtype == latte.int32 and ours.info.dtype == latte.int32
    for x, y in zip(latte.linalg.lu(latte.tensor(a)), torch.linalg.lu(torch.tensor(a))):
        np.testing.assert_allclose(_np(x), _np(y), atol=1e-13)


def test_lu_factor_singular():
    a = np.array([[[1.0, 2, 3], [2, 4, 6], [1, 1, 1]], [[0.0, 0, 0], [0, 0, 0], [0, 0, 0]]])
    ours = latte.linalg.lu_factor_ex(latte.tensor(a))
    theirs = torch.linalg.lu_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(_np(ours.info), _np(theirs.info))
    np.testing.assert_array_equal(_np(ours.pivots), _np(theirs.pivots))
    with pytest.raises(RuntimeError, match=r"U\[3,3\] is zero"):
        latte.linalg.lu_factor(latte.tensor(a[0]))
    with pytest.raises(latte.linalg.LinAlgError):
        latte.linalg.lu_factor_ex(latte.tensor(a), check_errors=True)
    P, L, U = latte.linalg.lu(latte.tensor(a[0]))  # linalg.lu does not check
    np.testing.assert_allclose(_np(P @ L @ U), a[0], atol=1e-14)


def test_lu_errors():
    with pytest.raises(RuntimeError, match="2 or more dimensions"):
        latte.linalg.lu_factor(latte.randn(3))
    with pytest.raises(RuntimeError, match="floating point"):
        latte.linalg.lu_factor(latte.ones(3, 3, dtype=latte.int64))
    with pytest.raises(RuntimeError, match="without pivoting"):
        latte.linalg.lu_factor(latte.randn(3, 3), pivot=False)
    LU, piv = latte.linalg.lu_factor(latte.randn(3, 3) + 3 * latte.eye(3))
    with pytest.raises(RuntimeError, match=r"3x3 and 4x2"):
        latte.linalg.lu_solve(LU, piv, latte.randn(4, 2))
    with pytest.raises(RuntimeError, match="square"):
        latte.linalg.lu_solve(latte.randn(3, 4), piv, latte.randn(3, 2))


def test_lu_unpack_flags_and_legacy():
    a = np.random.default_rng(1).standard_normal((2, 4, 3))
    LU, piv = latte.linalg.lu_factor(latte.tensor(a))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    P, L, U = latte.lu_unpack(LU, piv, unpack_data=False)
    tP, _, _ = torch.lu_unpack(tLU, tpiv, unpack_data=False)
    np.testing.assert_array_equal(_np(P), _np(tP))
    assert L.numel() == 0 and U.numel() == 0
    assert latte.lu_unpack(LU, piv, unpack_pivots=False).P.numel() == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_out = torch.lu(torch.tensor(a), get_infos=True)
    ours = latte.lu(latte.tensor(a), get_infos=True)
    assert len(ours) == 3 and len(latte.lu(latte.tensor(a))) == 2
    np.testing.assert_array_equal(_np(ours[1]), _np(t_out[1]))
    np.testing.assert_array_equal(_np(ours[2]), _np(t_out[2]))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 2)])
def test_geqrf_matches_pytorch_and_householder_roundtrip(shape):
    a = np.random.default_rng(2).standard_normal(shape)
    ours, theirs = latte.geqrf(latte.tensor(a)), torch.geqrf(torch.tensor(a))
    np.testing.assert_allclose(_np(ours.a), _np(theirs.a), atol=1e-13)
    np.testing.assert_allclose(_np(ours.tau), _np(theirs.tau), atol=1e-13)
    Q = latte.linalg.householder_product(ours.a, ours.tau)
    np.testing.assert_allclose(_np(Q @ ours.a.triu()[..., :shape[-1], :]), a, atol=1e-13)
    assert latte.geqrf(latte.tensor(a, requires_grad=True)).a.requires_grad is False


def test_householder_product_errors():
    hp = latte.linalg.householder_product
    with pytest.raises(RuntimeError, match="greater than or equal to input.shape"):
        hp(latte.randn(3, 5), latte.rand(2))
    with pytest.raises(RuntimeError, match="tau.shape"):
        hp(latte.randn(5, 3), latte.rand(4))
    with pytest.raises(RuntimeError, match="batch dimensions of tau"):
        hp(latte.randn(2, 5, 3), latte.rand(3, 2))


def test_tensorinv_tensorsolve_errors():
    with pytest.raises(RuntimeError, match="prod"):
        latte.linalg.tensorinv(latte.randn(2, 3, 4), ind=1)
    with pytest.raises(RuntimeError, match="positive"):
        latte.linalg.tensorinv(latte.randn(2, 2), ind=0)
    with pytest.raises(RuntimeError, match="prod"):
        latte.linalg.tensorsolve(latte.randn(2, 3, 4), latte.randn(2, 3))


def test_eig_points_to_eigh():
    for fn, alt in ((latte.linalg.eig, "eigh"), (latte.linalg.eigvals, "eigvalsh")):
        with pytest.raises(NotImplementedError, match=f"complex.*{alt}"):
            fn(latte.randn(3, 3))


def _symmetric(rng, *shape, zero_diagonal=False):
    a = rng.standard_normal(shape)
    a = a + a.swapaxes(-1, -2)
    if zero_diagonal:  # forces 2x2 pivots
        a = a - np.diagonal(a, 0, -2, -1)[..., None] * np.eye(shape[-1])
    return a


@pytest.mark.parametrize("zero_diagonal", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (3, 6, 6), (70, 70)])
def test_ldl_factor_matches_pytorch_and_solves(shape, zero_diagonal):
    rng = np.random.default_rng(shape[-1])
    a = _symmetric(rng, *shape, zero_diagonal=zero_diagonal and shape[-1] > 1)
    ours = latte.linalg.ldl_factor_ex(latte.tensor(a))
    theirs = torch.linalg.ldl_factor_ex(torch.tensor(a))
    np.testing.assert_array_equal(_np(ours.pivots), _np(theirs.pivots))
    np.testing.assert_allclose(_np(ours.LD), _np(theirs.LD), atol=1e-10)
    np.testing.assert_array_equal(_np(ours.info), _np(theirs.info))
    b = rng.standard_normal(shape[:-1] + (2,))
    x = latte.linalg.ldl_solve(ours.LD, ours.pivots, latte.tensor(b))
    expected = torch.linalg.ldl_solve(theirs.LD, theirs.pivots, torch.tensor(b))
    np.testing.assert_allclose(_np(x), _np(expected), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a @ _np(x), b, atol=1e-8)


def test_ldl_errors_and_float32():
    with pytest.raises(RuntimeError, match="square"):
        latte.linalg.ldl_factor(latte.randn(3, 4))
    with pytest.raises(RuntimeError, match="singular"):
        latte.linalg.ldl_factor(latte.zeros(3, 3))
    assert int(latte.linalg.ldl_factor_ex(latte.zeros(3, 3)).info) == 1
    a = _symmetric(np.random.default_rng(3), 4, 4).astype(np.float32)
    LD, piv = latte.linalg.ldl_factor(latte.tensor(a))
    assert LD.dtype == latte.float32
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        latte.linalg.ldl_solve(LD, piv, latte.randn(3, 1))
    with pytest.raises(RuntimeError, match="same dtype"):
        latte.linalg.ldl_solve(LD, piv, latte.randn(4, 1, dtype=latte.float64))
    tLD, _ = torch.linalg.ldl_factor(torch.tensor(a))
    np.testing.assert_allclose(_np(LD), _np(tLD), rtol=1e-5, atol=1e-5)
