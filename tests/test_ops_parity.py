"""Parity with PyTorch: every registry op, same inputs, same upstream gradient; forward values,
dtypes and the gradient of every input must agree. Also the non-differentiable ops."""
from __future__ import annotations

import numpy as np
import pytest
from op_db import as_list, call, cases, leaves

import latte

torch = pytest.importorskip("torch")

DTYPES = {"float32": (latte.float32, torch.float32), "float64": (latte.float64, torch.float64)}


def _assert_close(got, expected, rtol: float, atol: float, what: str) -> None:
    expected = expected.detach().numpy()
    got = got.detach().numpy()
    assert got.shape == expected.shape, f"{what}: shape {got.shape} vs torch {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol * scale, err_msg=what)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("op,sample", cases(torch=True))
def test_parity(op, sample, dtype):
    ldt, tdt = DTYPES[dtype]
    rtol, atol = (op.rtol32, op.atol32) if dtype == "float32" else (1e-10, 1e-12)
    lx = leaves(latte, sample, ldt)
    tx = leaves(torch, sample, tdt)
    louts = as_list(call(op, latte, sample, lx))
    touts = as_list(call(op, torch, sample, tx))
    assert len(louts) == len(touts)
    rng = np.random.default_rng(1)
    upstream = [rng.standard_normal(tuple(t.shape)) for t in touts]
    for i, (lo, to) in enumerate(zip(louts, touts)):
        assert lo.dtype.name == str(to.dtype).removeprefix("torch."), f"output {i} dtype"
        _assert_close(lo, to, rtol, atol, f"output {i}")
    lsum = sum((o * latte.tensor(g, dtype=ldt)).sum() for o, g in zip(louts, upstream))
    tsum = sum((o * torch.tensor(g, dtype=tdt)).sum() for o, g in zip(touts, upstream))
    lsum.backward()
    tsum.backward()
    for i, (a, b) in enumerate(zip(lx, tx)):
        if b.grad is None:
            assert a.grad is None or not np.any(a.grad.numpy()), f"input {i}: torch has no grad"
            continue
        assert a.grad is not None, f"input {i} got no gradient"
        assert a.grad.dtype == a.dtype
        _assert_close(a.grad, b.grad, rtol, atol, f"gradient of input {i}")


def _int_sample(sample):
    """The sample with small integer values (float inputs rounded), for forward-only parity."""
    from dataclasses import replace
    return replace(sample, arrays=tuple(np.round(a * 2) for a in sample.arrays))


@pytest.mark.parametrize("op,sample", cases(lambda op: op.int_ok, torch=True))
def test_parity_int64(op, sample):
    sample = _int_sample(sample)
    lout = as_list(call(op, latte, sample, leaves(latte, sample, latte.int64)))
    tout = as_list(call(op, torch, sample, leaves(torch, sample, torch.int64)))
    for lo, to in zip(lout, tout):
        assert lo.dtype.name == str(to.dtype).removeprefix("torch.")
        np.testing.assert_allclose(lo.numpy(), to.numpy(), rtol=1e-6)


# --- non-differentiable ops ---------------------------------------------------------------------
def _distinct(rng, *shape):
    n = int(np.prod(shape))
    return ((rng.permutation(n) - n / 2.0) * 0.5).reshape(shape)


_RNG = np.random.default_rng(7)
_A = _distinct(_RNG, 3, 4)
_B = np.round(_RNG.uniform(-2, 2, (3, 4)))
_C = np.round(_RNG.uniform(-2, 2, (4,)))
_NAN = np.array([1.0, np.nan, np.inf, -np.inf, 0.0])

NONDIFF = {
    "argmax": (lambda lib, a: a.argmax(), (_A,)),
    "argmax_dim": (lambda lib, a: lib.argmax(a, dim=1), (_A,)),
    "argmax_keepdim": (lambda lib, a: a.argmax(dim=0, keepdim=True), (_A,)),
    "argmin": (lambda lib, a: a.argmin(), (_A,)),
    "argmin_dim": (lambda lib, a: lib.argmin(a, dim=-1), (_A,)),
    "argmax_0d": (lambda lib, a: a.sum().argmax(), (_A,)),
    "max_dim_indices": (lambda lib, a: a.max(dim=1).indices, (_A,)),
    "min_dim_indices": (lambda lib, a: a.min(dim=0, keepdim=True).indices, (_A,)),
    "eq": (lambda lib, a, b: a == b, (_B, _C)),
    "eq_scalar": (lambda lib, a: a == 1, (_B,)),
    "ne": (lambda lib, a, b: a != b, (_B, _C)),
    "lt": (lambda lib, a, b: a < b, (_B, _C)),
    "le": (lambda lib, a, b: lib.le(a, b), (_B, _C)),
    "gt": (lambda lib, a: a > 0.5, (_B,)),
    "ge": (lambda lib, a, b: a.ge(b), (_B, _C)),
    "eq_method": (lambda lib, a, b: a.eq(b), (_B, _C)),
    "compare_0d": (lambda lib, a: a.sum() > 0, (_B,)),
    "logical_and": (lambda lib, a, b: lib.logical_and(a > 0, b > 0), (_B, _C)),
    "logical_or": (lambda lib, a, b: (a > 0).logical_or(b < 0), (_B, _C)),
    "logical_xor": (lambda lib, a, b: lib.logical_xor(a > 0, b > 0), (_B, _C)),
    "logical_not": (lambda lib, a: lib.logical_not(a > 0), (_B,)),
    "bool_ops": (lambda lib, a, b: ((a > 0) & (b > 0)) | ~(a < 1) ^ (b == 0), (_B, _C)),
    "view_as": (lambda lib, a, b: a.reshape(12).view_as(b), (_A, _B)),
    "topk_indices": (lambda lib, a: a.topk(2, dim=1).indices, (_A,)),
    "topk_smallest": (lambda lib, a: a.topk(3, dim=0, largest=False).indices, (_A,)),
    "sort_indices": (lambda lib, a: a.sort(dim=1).indices, (_A,)),
    "sort_desc_indices": (lambda lib, a: a.sort(dim=0, descending=True).indices, (_A,)),
    "argsort": (lambda lib, a: a.argsort(dim=-1), (_A,)),
    "nonzero": (lambda lib, a: a.nonzero(), (_B,)),
    "nonzero_tuple": (lambda lib, a: a.nonzero(as_tuple=True), (_B,)),
    "where_1arg": (lambda lib, a: lib.where(a > 0), (_B,)),
    "any": (lambda lib, a: (a > 1).any(), (_B,)),
    "any_dim": (lambda lib, a: lib.any(a > 1, dim=1), (_B,)),
    "all": (lambda lib, a: (a > -3).all(), (_B,)),
    "all_dim": (lambda lib, a: (a > 0).all(dim=0, keepdim=True), (_B,)),
    "isnan": (lambda lib, a: lib.isnan(a), (_NAN,)),
    "isinf": (lambda lib, a: a.isinf(), (_NAN,)),
    "isfinite": (lambda lib, a: lib.isfinite(a), (_NAN,)),
    "sign": (lambda lib, a: a.sign(), (_B,)),
    "floor_ceil_round": (lambda lib, a: (a * 0.7).floor() + (a * 0.3).ceil() + a.round(),
                         (_A,)),
    "floordiv": (lambda lib, a: a // 0.7, (_A,)),
    "mod": (lambda lib, a: a % 1.5, (_A,)),
    "count_nonzero": (lambda lib, a: lib.count_nonzero(a), (_B,)),
    "median_indices": (lambda lib, a: a.median(dim=1).indices, (_A,)),
    "kthvalue_indices": (lambda lib, a: a.kthvalue(2, dim=0).indices, (_A,)),
}


@pytest.mark.parametrize("name", list(NONDIFF))
def test_nondifferentiable_parity(name):
    fn, arrays = NONDIFF[name]
    lout = as_list(fn(latte, *[latte.tensor(a) for a in arrays]))
    tout = as_list(fn(torch, *[torch.tensor(a) for a in arrays]))
    assert len(lout) == len(tout)
    for lo, to in zip(lout, tout):
        assert lo.dtype.name == str(to.dtype).removeprefix("torch."), name
        assert tuple(lo.shape) == tuple(to.shape), name
        np.testing.assert_array_equal(lo.numpy(), to.numpy())


@pytest.mark.parametrize("a,b,kw", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), {}),
    (np.array([1.0, 2.0]), np.array([1.0, 2.1]), {}),
    (np.array([1.0, 2.0]), np.array([1.0, 2.1]), {"atol": 0.2}),
    (np.array([1.0, np.nan]), np.array([1.0, np.nan]), {}),
    (np.array([1.0, np.nan]), np.array([1.0, np.nan]), {"equal_nan": True}),
])
def test_allclose_isclose_parity(a, b, kw):
    la, lb, ta, tb = latte.tensor(a), latte.tensor(b), torch.tensor(a), torch.tensor(b)
    assert latte.allclose(la, lb, **kw) == torch.allclose(ta, tb, **kw)
    np.testing.assert_array_equal(latte.isclose(la, lb, **kw).numpy(),
                                  torch.isclose(ta, tb, **kw).numpy())
    assert la.equal(lb) == ta.equal(tb)
