"""Gaps a PyTorch-docs-driven probe of the tensor-op surface found: repeat_interleave with
tensor repeats, einsum's sublist form, polygamma of any order, nonzero of a scalar, unique along a
dim, and PyTorch's error types for misuse (chunk 0, narrow past the end, negative slice steps...).

Each test holds hard-coded expectations (run without PyTorch); the ``*_matches_torch`` tests
compare with PyTorch when it is installed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import latte


def _eq(got, expected, dtype=None):
    """Same values (exact), and the given latte dtype."""
    np.testing.assert_array_equal(got.numpy(), np.asarray(expected))
    if dtype is not None:
        assert got.dtype == dtype


# --- repeat_interleave -------------------------------------------------------------------------
def test_repeat_interleave_tensor_repeats_along_dim():
    x = latte.tensor([[1, 2], [3, 4]])
    _eq(x.repeat_interleave(latte.tensor([1, 2]), dim=0), [[1, 2], [3, 4], [3, 4]], latte.int64)
    _eq(latte.repeat_interleave(x, latte.tensor([0, 3]), dim=1, output_size=3),
        [[2, 2, 2], [4, 4, 4]])
    _eq(latte.repeat_interleave(x, latte.tensor(2)), [1, 1, 2, 2, 3, 3, 4, 4])


def test_repeat_interleave_counts_only_form():
    _eq(latte.repeat_interleave(latte.tensor([2, 0, 3])), [0, 0, 2, 2, 2], latte.int64)


def test_repeat_interleave_tensor_repeats_errors():
    x = latte.tensor([[1, 2], [3, 4]])
    with pytest.raises(RuntimeError):
        x.repeat_interleave(latte.tensor([1, 2, 3]), dim=0)
    with pytest.raises(RuntimeError):
        x.repeat_interleave(latte.tensor([1, 2]), dim=0, output_size=5)
    with pytest.raises(RuntimeError):
        x.repeat_interleave(latte.tensor([1, -1]), dim=0)


def test_repeat_interleave_tensor_repeats_gradient():
    x = latte.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x.repeat_interleave(latte.tensor([2, 0, 1])) * latte.tensor([1.0, 10.0, 100.0])).sum() \
        .backward()
    _eq(x.grad, [11.0, 0.0, 100.0])


# --- einsum ------------------------------------------------------------------------------------
def test_einsum_sublist_form():
    a = latte.arange(6.0).reshape(2, 3)
    b = latte.arange(12.0).reshape(3, 4)
    _eq(latte.einsum(a, [0, 1], b, [1, 2], [0, 2]), (a @ b).numpy())
    _eq(latte.einsum(a, [0, 1], b, [1, 2]), (a @ b).numpy())  # implicit output: sorted
    _eq(latte.einsum(a, [0, 1], [1]), [3.0, 5.0, 7.0])
    _eq(latte.einsum(a, [Ellipsis, 1], [Ellipsis]), [3.0, 12.0])
    with pytest.raises(ValueError):
        latte.einsum(a, [0, 60])


# --- polygamma ---------------------------------------------------------------------------------
def test_polygamma_higher_orders_known_values():
    one = latte.tensor([1.0], dtype=latte.float64)
    zeta3, zeta5 = 1.2020569031595942, 1.0369277551433699
    np.testing.assert_allclose(latte.polygamma(1, one).numpy(), [math.pi ** 2 / 6], rtol=1e-12)
    np.testing.assert_allclose(latte.polygamma(2, one).numpy(), [-2 * zeta3], rtol=1e-12)
    np.testing.assert_allclose(latte.polygamma(4, one).numpy(), [-24 * zeta5], rtol=1e-12)
    # psi^(3)(1) = pi^4 / 15
    np.testing.assert_allclose(one.polygamma(3).numpy(), [math.pi ** 4 / 15], rtol=1e-12)
    # the recurrence psi^(n)(x + 1) = psi^(n)(x) + (-1)^n n! / x^(n+1), negative x included
    x = latte.tensor([-2.5, -0.3, 0.7, 4.0], dtype=latte.float64)
    for n in (1, 2, 3):
        lhs = latte.polygamma(n, x + 1).numpy()
        rhs = latte.polygamma(n, x).numpy() + (-1) ** n * math.factorial(n) / x.numpy() ** (n + 1)
        np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_polygamma_poles_dtype_and_errors():
    out = latte.polygamma(2, latte.tensor([0.0, -1.0]))
    assert out.dtype == latte.float32
    assert np.isneginf(out.numpy()).all()
    assert latte.polygamma(1, latte.tensor([1, 2])).dtype == latte.float32
    with pytest.raises(RuntimeError):
        latte.polygamma(-1, latte.tensor([1.0]))


def test_polygamma_and_digamma_gradients_are_differentiable():
    x = latte.tensor([0.5, 2.0], dtype=latte.float64, requires_grad=True)
    (g,) = latte.autograd.grad(latte.polygamma(2, x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), latte.polygamma(3, x).detach().numpy())
    (gg,) = latte.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), latte.polygamma(4, x).detach().numpy())
    (d2,) = latte.autograd.grad(latte.autograd.grad(x.digamma().sum(), x, create_graph=True)[0]
                                .sum(), x)
    np.testing.assert_allclose(d2.numpy(), latte.polygamma(2, x).detach().numpy())


# --- indexing and selection --------------------------------------------------------------------
def test_nonzero_of_a_scalar():
    assert tuple(latte.nonzero(latte.tensor(5)).shape) == (1, 0)
    assert tuple(latte.nonzero(latte.tensor(0)).shape) == (0, 0)
    (only,) = latte.tensor(5.0).nonzero(as_tuple=True)
    _eq(only, [0], latte.int64)
    assert latte.argwhere(latte.tensor(1.0)).shape == (1, 0)


def test_unique_along_a_dim_with_inverse_and_counts():
    x = latte.tensor([[1, 2], [1, 2], [0, 5]])
    values, inverse, counts = latte.unique(x, dim=0, return_inverse=True, return_counts=True)
    _eq(values, [[0, 5], [1, 2]])
    _eq(inverse, [1, 1, 0], latte.int64)
    _eq(counts, [1, 2], latte.int64)


def test_negative_slice_step_and_empty_list_index():
    with pytest.raises(ValueError, match="step must be greater than zero"):
        latte.arange(6)[::-1]
    t = latte.zeros(3)
    with pytest.raises(ValueError):
        t[::-2] = 1.0
    empty = latte.arange(6).reshape(2, 3)[[]]
    assert tuple(empty.shape) == (0, 3) and empty.dtype == latte.int64


def test_setitem_shape_mismatch_is_a_runtime_error():
    t = latte.zeros(2, 3, 4)
    with pytest.raises(RuntimeError):
        t[0] = latte.ones(2, 4)
    t = latte.zeros(2, 3, requires_grad=True) * 1
    with pytest.raises(RuntimeError):
        t[0] = latte.ones(2)


def test_index_select_rejects_float_index():
    with pytest.raises(RuntimeError, match="index_select"):
        latte.arange(5).index_select(0, latte.tensor([1.0]))


def test_where_rejects_non_bool_condition_tensor():
    with pytest.raises(RuntimeError, match="boolean"):
        latte.where(latte.tensor([1, 0]), latte.tensor([1, 2]), latte.tensor([3, 4]))
    _eq(latte.where(latte.tensor([True, False]), latte.tensor([1, 2]), latte.tensor([3, 4])),
        [1, 4])


def test_scatter_multiply_and_dtype_check():
    out = latte.ones(3, 4).scatter(0, latte.tensor([[0, 1, 2, 0], [2, 0, 0, 1]]),
                                   latte.full((2, 4), 2.0), reduce="multiply")
    _eq(out, [[2, 2, 2, 2], [1, 2, 1, 2], [2, 1, 2, 1]])
    out = latte.ones(3).scatter(0, latte.tensor([0, 0]), 3.0, reduce="multiply")
    _eq(out, [9.0, 1.0, 1.0])
    with pytest.raises(RuntimeError, match="dtype"):
        latte.zeros(3).scatter_(0, latte.tensor([1]), latte.tensor([4.0], dtype=latte.float64))
    with pytest.raises(RuntimeError):
        latte.zeros(3).scatter(0, latte.tensor([1]), 1.0, reduce="max")


def test_masked_fill_needs_a_0d_value_tensor():
    x = latte.zeros(2, 2)
    with pytest.raises(RuntimeError, match="0-dimensional"):
        x.masked_fill(x == 0, latte.tensor([1.0]))
    _eq(x.masked_fill(x == 0, latte.tensor(2.0)), [[2.0, 2.0], [2.0, 2.0]])


# --- shape functions ---------------------------------------------------------------------------
def test_chunk_tensor_split_narrow_checks():
    with pytest.raises(RuntimeError):
        latte.arange(5).chunk(0)
    with pytest.raises(RuntimeError):
        latte.tensor_split(latte.arange(5), 0)
    with pytest.raises(RuntimeError, match="exceeds dimension size"):
        latte.zeros(3, 4).narrow(1, 3, 2)
    with pytest.raises(IndexError):
        latte.zeros(3, 4).narrow(1, 5, 0)
    assert [len(p) for p in latte.tensor_split(latte.arange(7), latte.tensor(3))] == [3, 2, 2]
    assert [len(p) for p in latte.tensor_split(latte.arange(7), latte.tensor([1, 5]))] == [1, 4, 2]


def test_sizes_must_be_ints_and_broadcast_shapes_error():
    with pytest.raises(TypeError):
        latte.zeros(2.0)
    assert latte.zeros(np.int64(2), latte.tensor(3)).shape == (2, 3)
    with pytest.raises(RuntimeError):
        latte.broadcast_shapes((2,), (3,))
    assert latte.broadcast_shapes(2, (3, 1)) == (3, 2)


# --- reductions and products -------------------------------------------------------------------
def test_inner_of_matrices():
    a = latte.tensor([[1.0, 2.0], [3.0, 4.0]])
    _eq(latte.inner(a, a), [[5.0, 11.0], [11.0, 25.0]])
    _eq(latte.inner(a, latte.tensor([1.0, 1.0])), [3.0, 7.0])
    _eq(latte.inner(a, latte.tensor(2.0)), [[2.0, 4.0], [6.0, 8.0]])
    with pytest.raises(RuntimeError):
        latte.inner(a, latte.ones(3))


def test_norm_nuc_sum_of_singular_values():
    x = latte.tensor([[3.0, 0.0], [0.0, -4.0]], dtype=latte.float64)
    assert latte.norm(x, p="nuc").item() == pytest.approx(7.0)
    assert x.norm("nuc").item() == pytest.approx(7.0)


def test_integer_reductions_keep_their_dtypes():
    _eq(latte.nansum(latte.tensor([1, 2])), 3, latte.int64)
    _eq(latte.tensor([1, 2], dtype=latte.uint8).all(), 1, latte.uint8)
    _eq(latte.tensor([0, 2], dtype=latte.uint8).any(dim=0), 1, latte.uint8)
    _eq(latte.tensor([1, 2], dtype=latte.int32).all(), True, latte.bool)
    with pytest.raises(RuntimeError):
        latte.nanmean(latte.tensor([1, 2]))


def test_sign_of_bool_and_searchsorted_of_a_number():
    _eq(latte.sign(latte.tensor([True, False])), [True, False], latte.bool)
    _eq(latte.searchsorted(latte.tensor([1, 3, 5]), 4), 2, latte.int64)
    _eq(latte.bucketize(3, latte.tensor([1, 3, 5]), right=True), 2, latte.int64)


def test_pointwise_errors_pytorch_raises():
    with pytest.raises(RuntimeError, match="negative integer powers"):
        latte.tensor([2]) ** -1
    with pytest.raises(RuntimeError, match="Integer division"):
        latte.addcdiv(latte.tensor([1]), latte.tensor([1]), latte.tensor([2]))
    with pytest.raises(RuntimeError):
        latte.bincount(latte.tensor([-1, 2]))


def test_type_string_and_poisson():
    _eq(latte.tensor([1.5]).type("torch.IntTensor"), [1], latte.int32)
    assert latte.tensor([1.5]).type("latte.DoubleTensor").dtype == latte.float64
    with pytest.raises(ValueError):
        latte.tensor([1.5]).type("latte.NoSuchTensor")
    latte.manual_seed(0)
    first = latte.poisson(latte.full((4,), 3.0))
    latte.manual_seed(0)
    _eq(latte.poisson(latte.full((4,), 3.0)), first.numpy(), latte.float32)
    _eq(latte.poisson(latte.zeros(3, dtype=latte.float64)), [0.0, 0.0, 0.0], latte.float64)
    with pytest.raises(RuntimeError):
        latte.poisson(latte.tensor([-1.0]))


def test_inplace_write_through_a_view_names_copy_slices():
    a = latte.ones(2, 2, requires_grad=True)
    b = a * 1
    b[0].mul_(3)
    assert type(b.grad_fn).__name__ == "CopySlices"
    b.sum().backward()
    _eq(a.grad, [[3.0, 3.0], [1.0, 1.0]])


# --- parity with PyTorch -----------------------------------------------------------------------
def _to_np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


CASES = {
    "repeat_interleave_tensor": lambda T: T.repeat_interleave(
        T.tensor([[1, 2], [3, 4]]), T.tensor([2, 1]), dim=0),
    "repeat_interleave_counts": lambda T: T.repeat_interleave(T.tensor([1, 0, 2])),
    "einsum_sublist": lambda T: T.einsum(T.arange(6.0).reshape(2, 3), [0, 1],
                                         T.arange(3.0), [1], [0]),
    "polygamma_3": lambda T: T.polygamma(3, T.tensor([-1.5, 0.25, 2.0, 15.0],
                                                     dtype=T.float64)),
    "unique_dim_inverse": lambda T: T.unique(T.tensor([[1, 2], [0, 5], [1, 2]]), dim=0,
                                             return_inverse=True)[1],
    "inner_nd": lambda T: T.inner(T.arange(6.0).reshape(2, 3), T.arange(12.0).reshape(2, 2, 3)),
    "norm_nuc": lambda T: T.norm(T.tensor([[1.0, 2.0], [3.0, 4.0]]), p="nuc"),
    "nansum_int": lambda T: T.nansum(T.tensor([1, 2, 3])),
    "all_uint8": lambda T: T.tensor([1, 0], dtype=T.uint8).all(),
    "nonzero_0d": lambda T: T.nonzero(T.tensor(3)),
    "searchsorted_scalar": lambda T: T.searchsorted(T.tensor([1.0, 2.0]), 1.5),
    "scatter_multiply": lambda T: T.full((3,), 2.0).scatter(
        0, T.tensor([0, 0, 2]), T.tensor([3.0, 4.0, 5.0]), reduce="multiply"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_dtypes_match_torch(name):
    torch = pytest.importorskip("torch")
    got, expected = CASES[name](latte), CASES[name](torch)
    assert str(got.dtype).split(".")[-1] == str(expected.dtype).split(".")[-1]
    assert tuple(got.shape) == tuple(expected.shape)
    rtol = 1e-10 if got.dtype != latte.float32 else 1e-6
    np.testing.assert_allclose(_to_np(got), _to_np(expected), rtol=rtol)


ERRORS = {
    "chunk_0": lambda T: T.arange(5).chunk(0),
    "narrow_past_end": lambda T: T.zeros(3, 4).narrow(1, 3, 2),
    "negative_step": lambda T: T.arange(5)[::-1],
    "setitem_shape": lambda T: T.zeros(2, 3).__setitem__(0, T.ones(2)),
    "where_int_condition": lambda T: T.where(T.tensor([1, 0]), T.tensor([1, 2]), T.tensor([3, 4])),
    "int_negative_power": lambda T: T.tensor([2]) ** -1,
    "masked_fill_1d_value": lambda T: T.zeros(2).masked_fill(T.tensor([True, False]),
                                                             T.tensor([1.0])),
    "scatter_dtype": lambda T: T.zeros(3).scatter(0, T.tensor([1]),
                                                  T.tensor([4.0], dtype=T.float64)),
    "zeros_float_size": lambda T: T.zeros(2.0),
    "bincount_negative": lambda T: T.bincount(T.tensor([-1, 2])),
    "broadcast_shapes": lambda T: T.broadcast_shapes((2,), (3,)),
    "addcdiv_int": lambda T: T.addcdiv(T.tensor([1]), T.tensor([1]), T.tensor([2])),
    "index_select_float": lambda T: T.arange(5).index_select(0, T.tensor([1.0])),
    "nanmean_int": lambda T: T.nanmean(T.tensor([1, 2])),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_error_types_match_torch(name):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as expected:
        ERRORS[name](torch)
    with pytest.raises(expected.type):
        ERRORS[name](latte)


def test_prod_of_an_empty_dim_has_an_empty_gradient():
    x = latte.zeros(2, 0, dtype=latte.float64, requires_grad=True)
    x.prod(1).sum().backward()
    assert tuple(x.grad.shape) == (2, 0)
    _eq(latte.zeros(2, 0).prod(1), [1.0, 1.0])


def test_diff_of_short_and_empty_dims():
    assert tuple(latte.diff(latte.zeros(0)).shape) == (0,)
    assert tuple(latte.diff(latte.zeros(1)).shape) == (0,)


def test_uint8_index_is_a_deprecated_mask():
    x = latte.arange(3)
    with pytest.warns(UserWarning, match="uint8"):
        picked = x[latte.tensor([1, 0, 1], dtype=latte.uint8)]
    _eq(picked, [0, 2])
    with pytest.warns(UserWarning, match="uint8"):
        x[latte.tensor([0, 1, 0], dtype=latte.uint8)] = 7
    _eq(x, [0, 7, 2])


def test_round_inplace_decimals_and_fill_value_rank():
    t = latte.tensor([1.2345, 12.5])
    assert t.round_(decimals=2) is t
    np.testing.assert_allclose(t.numpy(), [1.23, 12.5], rtol=1e-6)
    _eq(latte.zeros(2).fill_(latte.tensor(2.0)), [2.0, 2.0])
    with pytest.raises(RuntimeError, match="0-dimension"):
        latte.zeros(3).fill_(latte.tensor([2.0]))


def test_empty_reductions_raise_pytorchs_error_types():
    with pytest.raises(IndexError):
        latte.zeros(2, 0).argmax()
    with pytest.raises(RuntimeError):
        latte.zeros(2, 0).max()
    with pytest.raises(IndexError, match="non-zero size"):
        latte.zeros(2, 0).median(1)


def test_lerp_and_histc_need_floating_input():
    with pytest.raises(NotImplementedError):
        latte.lerp(latte.tensor([1]), latte.tensor([2]), 0.5)
    with pytest.raises(NotImplementedError):
        latte.histc(latte.tensor([1, 2]), bins=4)
    _eq(latte.histc(latte.tensor([1.0, 2.0, 1.0, 4.0, 5.0]), bins=4, min=0, max=3),
        [0.0, 2.0, 1.0, 0.0], latte.float32)


def test_legacy_tensor_types():
    _eq(latte.FloatTensor([1, 2]), [1.0, 2.0], latte.float32)
    assert latte.LongTensor(2, 3).shape == (2, 3) and latte.LongTensor(2, 3).dtype == latte.int64
    _eq(latte.BoolTensor([1, 0]), [True, False], latte.bool)
    assert isinstance(latte.zeros(2), latte.FloatTensor)
    assert not isinstance(latte.zeros(2), latte.LongTensor)
    assert latte.tensor([1]).type() == "latte.LongTensor"
