"""Every op in the registry: float64 central-difference gradcheck, second derivatives for the
ops whose backward is written in Tensor ops, and the forward against a NumPy reference."""
from __future__ import annotations

import numpy as np
import pytest
from op_db import as_list, call, cases, leaves, view_of

import latte
from latte.autograd import gradcheck, gradgradcheck


@pytest.mark.parametrize("op,sample", cases(lambda op: op.gradcheck))
def test_gradcheck(op, sample):
    xs = leaves(latte, sample, latte.float64)
    assert gradcheck(lambda *ts: call(op, latte, sample, list(ts)), xs)


@pytest.mark.parametrize("op,sample", cases(lambda op: op.gradgrad))
def test_gradgradcheck(op, sample):
    xs = leaves(latte, sample, latte.float64)
    assert gradgradcheck(lambda *ts: call(op, latte, sample, list(ts)), xs)


@pytest.mark.parametrize("op,sample", cases(lambda op: op.ref is not None))
def test_forward_matches_numpy(op, sample):
    xs = leaves(latte, sample, latte.float64, requires_grad=False)
    got = as_list(call(op, latte, sample, xs))
    arrays = [view_of(x.numpy(), sample.layout(i)) for i, x in enumerate(xs)]
    expected = op.fn(np, *arrays, **sample.kwargs) if op.ref is True else \
        op.ref(*arrays, **sample.kwargs)
    for g, e in zip(got, as_list(expected)):
        assert tuple(g.shape) == np.shape(e)
        np.testing.assert_allclose(g.numpy(), e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("op,sample", cases())
def test_output_dtype_and_grad_shapes(op, sample):
    """float32 stays float32 through forward and backward; each gradient has its input's shape."""
    xs = leaves(latte, sample, latte.float32)
    outs = [o for o in as_list(call(op, latte, sample, xs)) if o.requires_grad]
    for o in outs:
        assert o.dtype == latte.float32
    total = sum((o * (i + 1.0)).sum() for i, o in enumerate(outs))
    total.backward()
    for x in xs:
        assert x.grad is not None and x.grad.shape == x.shape and x.grad.dtype == latte.float32
