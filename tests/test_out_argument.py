"""``out=`` as PyTorch has it: written into, resized with a warning, dtype and autograd rules."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import latte

torch = pytest.importorskip("torch")

A = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5
B = np.arange(12, dtype=np.float32).reshape(3, 4) / 7

# (name, call(lib, a, b, out)); every result written into a fresh empty `out`
CASES = [
    ("add", lambda L, a, b, out: L.add(a, a, alpha=2, out=out)),
    ("mul", lambda L, a, b, out: L.mul(a, 3.0, out=out)),
    ("exp", lambda L, a, b, out: L.exp(a, out=out)),
    ("clamp", lambda L, a, b, out: L.clamp(a, -0.2, 0.2, out=out)),
    ("sum_dim", lambda L, a, b, out: L.sum(a, 1, out=out)),
    ("mean_dim", lambda L, a, b, out: L.mean(a, 0, keepdim=True, out=out)),
    ("cumsum", lambda L, a, b, out: L.cumsum(a, 1, out=out)),
    ("matmul", lambda L, a, b, out: L.matmul(a, b, out=out)),
    ("mm", lambda L, a, b, out: L.mm(a, b, out=out)),
    ("addmm", lambda L, a, b, out: L.addmm(L.ones(2, 4), a, b, beta=0.5, out=out)),
    ("cat", lambda L, a, b, out: L.cat([a, a], 1, out=out)),
    ("stack", lambda L, a, b, out: L.stack([a, a], out=out)),
    ("where", lambda L, a, b, out: L.where(a > 0, a, L.zeros(2, 3), out=out)),
    ("pow", lambda L, a, b, out: L.pow(a, 2, out=out)),
    ("maximum", lambda L, a, b, out: L.maximum(a, -a, out=out)),
    ("logsumexp", lambda L, a, b, out: L.logsumexp(a, 1, out=out)),
    ("linalg.inv", lambda L, a, b, out: L.linalg.inv(b[:3, :3] + L.eye(3), out=out)),
    ("special.erf", lambda L, a, b, out: L.special.erf(a, out=out)),
    ("zeros", lambda L, a, b, out: L.zeros(2, 5, out=out)),
    ("arange", lambda L, a, b, out: L.arange(1, 7, 2, out=out)),
    ("linspace", lambda L, a, b, out: L.linspace(0, 1, 5, out=out)),
]


@pytest.mark.parametrize("name, call", CASES, ids=[c[0] for c in CASES])
def test_out_is_written_and_returned_as_torch(name, call):
    results = {}
    for L in (torch, latte):
        out = L.empty(0)
        returned = call(L, L.tensor(A), L.tensor(B), out)
        assert returned is out
        results[L.__name__] = out.numpy()
    np.testing.assert_allclose(results["latte"], results["torch"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("lib", [torch, latte], ids=["torch", "latte"])
def test_out_of_another_shape_is_resized_with_a_warning(lib):
    out = lib.empty(5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.add(lib.ones(2, 3), 1, out=out)
    assert tuple(out.shape) == (2, 3) and float(out.sum()) == 12
    assert any("was resized" in str(w.message) for w in caught)
    empty = lib.empty(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty out is resized silently
        lib.add(lib.ones(2, 3), 1, out=empty)


@pytest.mark.parametrize("lib", [torch, latte], ids=["torch", "latte"])
def test_out_keeps_its_dtype_and_refuses_a_lossy_kind(lib):
    out = lib.empty(2, 3, dtype=lib.float64)
    lib.add(lib.ones(2, 3), 1, out=out)
    assert out.dtype == lib.float64
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        lib.add(lib.ones(2, 3), 1, out=lib.empty(2, 3, dtype=lib.long))
    ints = lib.empty(3, dtype=lib.long)
    lib.zeros(3, out=ints)  # a factory takes out's dtype
    assert ints.dtype == lib.long


@pytest.mark.parametrize("lib", [torch, latte], ids=["torch", "latte"])
def test_out_refuses_autograd_but_not_under_no_grad(lib):
    x = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"mul\(\): functions with out=\.\.\. arguments don't "
                                           r"support automatic differentiation"):
        lib.mul(x, x, out=lib.empty(3))
    with lib.no_grad():
        out = lib.empty(3)
        lib.mul(x, x, out=out)
    assert not out.requires_grad and float(out.sum()) == 3


@pytest.mark.parametrize("lib", [torch, latte], ids=["torch", "latte"])
def test_out_tuple_for_two_results(lib):
    values, indices = lib.empty(0), lib.empty(0, dtype=lib.long)
    result = lib.max(lib.tensor(A), 1, out=(values, indices))
    assert result[0] is values and result[1] is indices
    assert result.values is values  # a named tuple, as PyTorch's
    np.testing.assert_array_equal(indices.numpy(), [2, 2])
    sorted_values = lib.empty(0)
    lib.sort(lib.tensor(A), 1, descending=True, out=(sorted_values, lib.empty(0, dtype=lib.long)))
    np.testing.assert_array_equal(sorted_values.numpy(), np.sort(A, 1)[:, ::-1])


def test_function_forms_show_their_real_signature():
    import inspect
    assert list(inspect.signature(latte.sum).parameters)[:3] == ["input", "dim", "keepdim"]
    assert "out" in inspect.signature(latte.sum).parameters
    assert "out" in inspect.signature(latte.cat).parameters
    assert "out" not in inspect.signature(latte.reshape).parameters  # a view: no out=
