"""Tensor attributes, conversions, printing, type promotion, default dtype and error messages."""
from __future__ import annotations

import math

import numpy as np
import pytest

import latte


# --- attributes --------------------------------------------------------------------------------
def test_attributes_of_a_leaf_and_a_result():
    x = latte.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None
    assert x.shape == (2, 3) and isinstance(x.shape, latte.Size)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 6 and len(x) == 2
    assert x.dtype == latte.float32 and x.device == latte.device("cpu")
    assert str(x.device) == "cpu" and repr(x.shape) == "latte.Size([2, 3])"
    y = (x * 2).sum()
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 2.0))
    z = latte.ones(3)
    assert z.is_leaf and not z.requires_grad and (z * 2).is_leaf


def test_T_item_tolist():
    x = latte.arange(6.0).reshape(2, 3)
    assert x.T.shape == (3, 2) and x.T[2, 1].item() == 5.0
    assert latte.tensor(2.5).item() == 2.5 and isinstance(latte.tensor(3).item(), int)
    assert latte.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert latte.tensor(1.5).tolist() == 1.5
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()


def test_numpy_and_from_numpy_share_memory_both_ways():
    a = np.zeros(3, dtype=np.float32)
    t = latte.from_numpy(a)
    a[0] = 5.0
    assert t[0].item() == 5.0
    t[1] = 7.0
    assert a[1] == 7.0
    n = t.numpy()
    n[2] = 9.0
    assert t[2].item() == 9.0 and np.shares_memory(n, a)
    with pytest.raises(RuntimeError, match="detach"):
        latte.ones(2, requires_grad=True).numpy()


def test_detach_requires_grad_clone_contiguous():
    x = latte.ones(2, 3, requires_grad=True)
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and np.shares_memory(d.numpy(),
                                                                           x.detach().numpy())
    y = x * 3
    c = y.clone()
    assert c.grad_fn is not None and not np.shares_memory(c.detach().numpy(),
                                                          y.detach().numpy())
    c.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))
    t = latte.zeros(3)
    assert t.requires_grad_() is t and t.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        latte.zeros(3, dtype=latte.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)
    nc = latte.arange(6.0).reshape(2, 3).T
    assert not nc.is_contiguous()
    cc = nc.contiguous()
    assert cc.is_contiguous() and cc.tolist() == nc.tolist()
    assert cc.contiguous() is cc


@pytest.mark.parametrize("method,dtype", [("float", latte.float32), ("double", latte.float64),
                                          ("long", latte.int64), ("int", latte.int32),
                                          ("bool", latte.bool), ("half", latte.float16)])
def test_dtype_conversions(method, dtype):
    x = latte.tensor([0.0, 1.5, -2.0])
    y = getattr(x, method)()
    assert y.dtype == dtype
    assert x.to(dtype).dtype == dtype and x.to("cpu", dtype).dtype == dtype
    assert x.to(dtype=dtype).dtype == dtype
    np.testing.assert_array_equal(y.numpy(), x.numpy().astype(dtype.np))


def test_to_keeps_grad_flowing_and_same_dtype_is_identity():
    x = latte.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(latte.float32) is x and x.to("cpu") is x
    y = x.double()
    assert y.dtype == latte.float64 and y.grad_fn is not None
    (y * y).sum().backward()
    assert x.grad.dtype == latte.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_len_iteration_and_index():
    x = latte.arange(6).reshape(3, 2)
    rows = list(x)
    assert len(rows) == 3 and rows[1].tolist() == [2, 3]
    i = latte.tensor(2)
    assert [10, 20, 30][i] == 30 and x[i].tolist() == [4, 5]
    assert list(range(10))[latte.tensor(1):latte.tensor(3)] == [1, 2]
    with pytest.raises(TypeError):
        [1, 2][latte.tensor(1.0)]
    with pytest.raises(TypeError, match="0-d"):
        len(latte.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(latte.tensor(1.0))


def test_bool_float_int_of_single_element():
    assert bool(latte.tensor([1.0])) and not bool(latte.tensor(0))
    assert float(latte.tensor(2)) == 2.0 and int(latte.tensor(3.7)) == 3
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(latte.ones(2))


def test_cuda_device_raises_clearly():
    with pytest.raises(RuntimeError, match="CUDA"):
        latte.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        latte.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        latte.tensor([1.0], device="cuda:0")
    with pytest.raises(RuntimeError, match="CUDA"):
        latte.ones(2).cuda()


# --- printing ----------------------------------------------------------------------------------
REPR_CASES = {
    "float": lambda lib: lib.tensor([1.0, 2.0, 3.0]),
    "float_frac": lambda lib: lib.tensor([[1.5, 2.25], [3.0, -4.125]]),
    "float_ones_2d": lambda lib: lib.ones(2, 3),
    "int": lambda lib: lib.tensor([1, 2, -3]),
    "int_2d": lambda lib: lib.tensor([[1, 20], [300, 4]]),
    "bool": lambda lib: lib.tensor([True, False]),
    "zero_d_float": lambda lib: lib.tensor(3.5),
    "zero_d_int": lambda lib: lib.tensor(2),
    "zero_d_bool": lambda lib: lib.tensor(True),
    "requires_grad": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
    "float64": lambda lib: lib.tensor([1.0, 2.5], dtype=lib.float64),
    "zero_d_float64": lambda lib: lib.tensor(1.5, dtype=lib.float64),
    "int32": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "uint8": lambda lib: lib.tensor([1, 2], dtype=lib.uint8),
    "large": lambda lib: lib.tensor([1e10, 1.0]),
    "small": lambda lib: lib.tensor([1e-5, 1.0]),
    "nan_inf": lambda lib: lib.tensor([1.0, float("nan"), float("inf"), -float("inf")]),
    "long_float": lambda lib: lib.arange(2000.0),
    "long_int": lambda lib: lib.arange(1500),
    "long_2d": lambda lib: lib.arange(40 * 40).reshape(40, 40),
    "empty": lambda lib: lib.zeros(0),
    "empty_2d": lambda lib: lib.zeros(2, 0),
    "grad_fn": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_float64": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64,
                                              requires_grad=True) + 1,
    "three_d": lambda lib: lib.arange(24.0).reshape(2, 3, 4) / 7,
    "wrapping": lambda lib: lib.arange(30.0) * 1.37,
    "sci_negative": lambda lib: lib.linspace(-1e5, 1e-3, 9),
    "wrapping_requires_grad": lambda lib: (lib.arange(18.0) * 1.5).requires_grad_(),
    "float16": lambda lib: lib.tensor([1.5, 2.0], dtype=lib.float16),
    "empty_int": lambda lib: lib.zeros(0, dtype=lib.int64),
    "long_3d": lambda lib: lib.arange(2000.0).reshape(10, 20, 10) * 0.5,
    "detached": lambda lib: (lib.tensor([1.0, 2.0], requires_grad=True) * 2).detach(),
}


@pytest.mark.parametrize("name", list(REPR_CASES))
def test_repr_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    expected = repr(REPR_CASES[name](torch)).replace("torch", "latte")
    assert repr(REPR_CASES[name](latte)) == expected


# --- type promotion ----------------------------------------------------------------------------
_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
_SCALARS = [True, 2, 2.5]


def _make(lib, dtype_name: str, zero_d: bool = False):
    values = [1, 1, 1] if dtype_name == "bool" else [1, 2, 3]  # no division by zero
    t = lib.tensor(values, dtype=getattr(lib, dtype_name))
    return t[0] if zero_d else t


def _result_dtype(lib, fn, *args):
    try:
        return str(fn(*args).dtype).split(".")[-1]
    except (RuntimeError, TypeError):
        return "error"


_BINARY = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
           "sub": lambda a, b: a - b, "pow": lambda a, b: a ** b, "eq": lambda a, b: a == b,
           "cat": lambda a, b: _cat(a, b),
           "maximum": lambda a, b: a.maximum(b) if hasattr(b, "dtype") else a + b * 0,
           "where": lambda a, b: a.where(a > 0, b)}


def _cat(a, b):
    lib = __import__(type(a).__module__.split(".")[0])
    return lib.cat([a, b.reshape(-1) if hasattr(b, "reshape") else lib.tensor([b])])


@pytest.mark.parametrize("op", list(_BINARY))
@pytest.mark.parametrize("da", _DTYPES)
def test_type_promotion_matches_pytorch(op, da):
    torch = pytest.importorskip("torch")
    fn = _BINARY[op]
    mismatches = []
    for db in _DTYPES:
        for zero_d in (False, True):
            expected = _result_dtype(torch, fn, _make(torch, da), _make(torch, db, zero_d))
            got = _result_dtype(latte, fn, _make(latte, da), _make(latte, db, zero_d))
            if expected != "error" and got != expected:
                mismatches.append((db, zero_d, got, expected))
    for scalar in _SCALARS:
        expected = _result_dtype(torch, fn, _make(torch, da), scalar)
        got = _result_dtype(latte, fn, _make(latte, da), scalar)
        if expected != "error" and got != expected:
            mismatches.append((type(scalar).__name__, None, got, expected))
    assert not mismatches, f"{da} {op}: (other, 0-d, latte, torch): {mismatches}"


@pytest.mark.parametrize("scalar", _SCALARS)
@pytest.mark.parametrize("da", _DTYPES)
def test_reversed_scalar_promotion_matches_pytorch(da, scalar):
    torch = pytest.importorskip("torch")
    for fn in (lambda a, s: s + a, lambda a, s: s * a, lambda a, s: s - a, lambda a, s: s / a):
        expected = _result_dtype(torch, fn, _make(torch, da), scalar)
        if expected != "error":
            assert _result_dtype(latte, fn, _make(latte, da), scalar) == expected


def test_promotion_examples_from_the_issue():
    f32, f64, i64 = latte.float32, latte.float64, latte.int64
    assert (latte.ones(2) * 1.5).dtype == f32
    assert (latte.ones(2, dtype=i64) * 1.5).dtype == f32
    assert (latte.ones(2, dtype=i64) + latte.ones(2)).dtype == f32
    assert (latte.ones(2) + latte.tensor(1.0, dtype=f64)).dtype == f32
    assert (latte.ones(2, dtype=latte.bool) + 1).dtype == i64
    assert (latte.ones(2, dtype=i64) / latte.ones(2, dtype=i64)).dtype == f32
    assert (latte.tensor([3]) / 2).tolist() == [1.5]


def test_default_dtype():
    assert latte.get_default_dtype() == latte.float32
    try:
        latte.set_default_dtype(latte.float64)
        assert latte.get_default_dtype() == latte.float64
        assert latte.tensor([1.5]).dtype == latte.float64
        assert latte.zeros(2).dtype == latte.float64 and latte.rand(2).dtype == latte.float64
        assert (latte.tensor([1]) * 0.5).dtype == latte.float64
        assert latte.arange(3.0).dtype == latte.float64
        assert repr(latte.tensor([1.5])) == "tensor([1.5000])"
        assert repr(latte.tensor([1.5], dtype=latte.float32)) == \
            "tensor([1.5000], dtype=latte.float32)"
    finally:
        latte.set_default_dtype(latte.float32)
    assert latte.tensor([1.5]).dtype == latte.float32
    with pytest.raises(TypeError, match="floating"):
        latte.set_default_dtype(latte.int64)


# --- error messages ----------------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb,dim", [((2, 3), (2, 4), 1), ((3,), (4,), 0),
                                       ((2, 3, 4), (5, 1), 1)])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum", "lt", "eq"])
def test_broadcast_error_names_both_sizes_like_pytorch(sa, sb, dim, op):
    fn = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "maximum": latte.maximum,
          "lt": lambda a, b: a < b, "eq": lambda a, b: a == b}[op]
    x, y = latte.ones(*sa), latte.ones(*sb)
    with pytest.raises(RuntimeError) as info:
        fn(x, y)
    message = str(info.value)
    assert message.startswith(f"The size of tensor a ({sa[dim]}) must match the size of tensor "
                              f"b ({sb[dim - len(sa) + len(sb)]}) at non-singleton dimension {dim}")
    assert str(list(sa)) in message and str(list(sb)) in message
    torch = pytest.importorskip("torch")
    tfn = torch.maximum if op == "maximum" else fn
    with pytest.raises(RuntimeError) as tinfo:
        tfn(torch.ones(*sa), torch.ones(*sb))
    assert message.startswith(str(tinfo.value))


def test_matmul_errors():
    with pytest.raises(RuntimeError, match=r"2x3 and 4x5"):
        latte.ones(2, 3) @ latte.ones(4, 5)
    with pytest.raises(RuntimeError, match="1D"):
        latte.ones(()) @ latte.ones(3)
    with pytest.raises(RuntimeError, match="2-D"):
        latte.mm(latte.ones(3), latte.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"\(2, 2, 3\) and \(3, 3, 4\)"):
        latte.bmm(latte.ones(2, 2, 3), latte.ones(3, 3, 4))
    with pytest.raises(RuntimeError, match=r"tensor a \(2\) must match the size of tensor b \(3\)"):
        latte.ones(2, 2, 3) @ latte.ones(3, 3, 4)  # batch dims 2 and 3 do not broadcast


def test_cat_and_stack_errors():
    with pytest.raises(RuntimeError, match=r"Expected shape \(2, 3\) but got shape \(2, 4\)"):
        latte.cat([latte.ones(2, 3), latte.ones(2, 4)], dim=0)
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        latte.cat([latte.tensor(1.0), latte.tensor(2.0)])
    with pytest.raises(IndexError, match="Dimension out of range"):
        latte.cat([latte.ones(2), latte.ones(2)], dim=1)
    with pytest.raises(RuntimeError, match=r"\(2,\) at entry 0 and \(3,\) at entry 1"):
        latte.stack([latte.ones(2), latte.ones(3)])


def test_other_shape_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        latte.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match="expanded size"):
        latte.ones(2, 3).expand(4, 3)
    with pytest.raises(IndexError, match=r"shape \(2, 3\)"):
        latte.ones(2, 3)[5]
    with pytest.raises(IndexError, match="Dimension out of range"):
        latte.ones(2, 3).sum(dim=2)


def test_math_constants_survive():
    # inputs given as Python numbers keep full precision in float64
    x = latte.tensor([1.0], dtype=latte.float64)
    assert (x * math.pi).item() == math.pi


@pytest.mark.parametrize("fn", [lambda a, b: a * b, lambda a, b: a / b, lambda a, b: b - a,
                                lambda a, b: a.maximum(b), lambda a, b: a ** b,
                                lambda a, b: a.where(a > 1.5, b)])
def test_gradients_come_back_in_each_inputs_dtype_after_promotion(fn):
    """float32 with float64 (1-d or 0-d): the result follows PyTorch, each grad its input."""
    torch = pytest.importorskip("torch")
    for b_shape in ((3,), ()):
        results = []
        for lib in (latte, torch):
            a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
            b = lib.full(b_shape, 1.25, dtype=lib.float64, requires_grad=True)
            out = fn(a, b)
            out.sum().backward()
            results.append([str(t.dtype).split(".")[-1] for t in (out, a.grad, b.grad)] +
                           [a.grad.tolist(), b.grad.tolist(), tuple(b.grad.shape)])
        assert results[0][:3] == results[1][:3] and results[0][5] == results[1][5]
        np.testing.assert_allclose(results[0][3], results[1][3], rtol=1e-6)
        np.testing.assert_allclose(results[0][4], results[1][4], rtol=1e-6)


def test_tril_triu_keep_bool_and_int_dtypes():
    mask = latte.ones(3, 3, dtype=latte.bool).tril()
    assert mask.dtype == latte.bool and mask.tolist()[0] == [True, False, False]
    assert latte.ones(2, 3, dtype=latte.int32).triu(1).dtype == latte.int32


def test_deprecated_alpha_first_add_sub_as_torch():
    # old pytorch/examples scripts step with p.data.add_(-lr, p.grad.data)
    for name, want in [("add", [-1.0, -3.0]), ("sub", [3.0, 5.0]), ("add_", [-1.0, -3.0]),
                       ("sub_", [3.0, 5.0])]:
        x = latte.tensor([1.0, 1.0])
        with pytest.warns(UserWarning, match=f"overload of {name} is deprecated"):
            out = getattr(x, name)(-2.0, latte.tensor([1.0, 2.0]))
        assert out.tolist() == want
        assert (out is x) == name.endswith("_")
    with pytest.warns(UserWarning):
        assert latte.add(latte.ones(2), 3.0, latte.ones(2)).tolist() == [4.0, 4.0]
    with pytest.raises(TypeError, match="invalid combination"):
        latte.ones(2).add(latte.ones(2), latte.ones(2))
    with pytest.raises(TypeError, match="invalid combination"):
        latte.ones(2).add_(2.0, latte.ones(2), alpha=3)


def test_unfold_patches_and_errors_as_torch():
    # pytorch/examples' vision_transformer cuts patches with two unfolds
    x = latte.arange(2 * 3 * 8 * 8, dtype=latte.float32).reshape(2, 3, 8, 8)
    patches = x.unfold(2, 4, 4).unfold(3, 4, 4)
    assert tuple(patches.shape) == (2, 3, 2, 2, 4, 4)
    assert patches[1, 2, 1, 0].tolist() == x[1, 2, 4:8, 0:4].tolist()
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 2 is 8"):
        x.unfold(2, 9, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        x.unfold(2, 2, 0)
