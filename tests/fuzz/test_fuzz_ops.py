"""Fuzz every op in ``tests/op_db.py`` against PyTorch.

Each example starts from one of the op's registered samples (so kwargs, index arrays and the
number of inputs stay meaningful) and changes one thing: the dtype (bool, int32/64,
float16/32/64), one input's shape (a 0-size dim, 0-d, a broadcastable or non-broadcastable
shape), its layout (transposed, strided, negative strides), its values (NaN, inf, -0.0, huge)
or an index array (out of range). The property: Latte returns what PyTorch returns (shape,
dtype, values within the dtype's tolerance, NaN and inf in the same places) or, when PyTorch
raises, raises an exception of the same family (IndexError, TypeError, ValueError,
RuntimeError) with a message; never an exception outside those families.

``LATTE_FUZZ=long`` (``make fuzz``) runs the long profile; CI runs a few derandomized examples
per op. A mismatch found once stays here as an entry of ``REGRESSIONS``.
"""
from __future__ import annotations

import os
import warnings
import zlib
from dataclasses import dataclass

import numpy as np
import pytest
from _allowlist import ALLOWLIST
from hypothesis import given, seed, settings
from hypothesis import strategies as st
from op_db import OPS, OPS_BY_NAME, OpInfo, _leaf_array, as_list, view_of

import latte

torch = pytest.importorskip("torch")

LONG = os.environ.get("LATTE_FUZZ") == "long"
PROFILE = settings.get_profile("fuzz-long" if LONG else "fuzz-ci")
# a hung kernel fails its op (the thread method also ends a hang inside LAPACK, which a signal
# cannot interrupt) instead of stalling CI
pytestmark = pytest.mark.timeout(600 if LONG else 60, method="thread")
DTYPES = ("float64", "float32", "float16", "int64", "int32", "bool")
MUTATIONS = ("none", "dtype", "shape", "layout", "special", "index")
SPECIALS = (float("nan"), float("inf"), -float("inf"), -0.0, 0.0, 1e30, -1e30)
FAMILIES = (IndexError, TypeError, ValueError, RuntimeError)

# Ops whose values are not compared on fuzzed values: LAPACK (NumPy's and PyTorch's builds) and
# iterative algorithms agree only to the conditioning of the matrix, and random matrices can
# be as ill-conditioned as they like. Shapes, dtypes and errors are still compared.
VALUES_UNCOMPARED = {name for name in OPS_BY_NAME
                     if name.startswith(("linalg_", "cholesky")) or name in {
                         "logdet_det_inverse", "cdist", "cdist_same_point", "orgqr", "ormqr"}}



@dataclass(frozen=True)
class Case:
    """One fuzz example: which registered sample, and the one thing changed about it."""

    sample: int = 0
    dtype: str = "float64"
    mutation: str = "none"
    target: int = 0  # which input the shape/layout/special/index mutation touches
    shape: tuple = ()
    layout: str = "T"  # "T", "step" or "neg"
    special: float = float("nan")
    seed: int = 0


def _samples(op: OpInfo) -> list:
    if not hasattr(op, "_fuzz_samples"):
        op._fuzz_samples = [s for s in op.sample_inputs() if s.torch_ok]
    return op._fuzz_samples


def cases(op: OpInfo) -> st.SearchStrategy:
    n = len(_samples(op))
    shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
    return st.builds(
        Case, sample=st.integers(0, n - 1),
        dtype=st.sampled_from(DTYPES), mutation=st.sampled_from(MUTATIONS),
        target=st.integers(0, 3), shape=shapes, layout=st.sampled_from(("T", "step", "neg")),
        special=st.sampled_from(SPECIALS), seed=st.integers(0, 2 ** 16))


# --- building the inputs ------------------------------------------------------------------------
def _mutated_shape(shape: tuple, case: Case, rng: np.random.Generator) -> tuple:
    """A new shape: a 0-size or size-1 dim, one dim more or less, 0-d, or any small shape."""
    choice = case.seed % 6
    if choice == 0 and shape:
        return tuple(0 if i == case.target % len(shape) else s for i, s in enumerate(shape))
    if choice == 1 and shape:
        return tuple(1 if i == case.target % len(shape) else s for i, s in enumerate(shape))
    if choice == 2:
        return (int(rng.integers(1, 4)),) + shape
    if choice == 3 and shape:
        return shape[1:]
    if choice == 4:
        return ()
    return case.shape


def _inputs(op: OpInfo, case: Case) -> tuple:
    """``(arrays, layouts, kwargs, dtype)``: float64 values to cast, one layout per input."""
    sample = _samples(op)[case.sample]
    rng = np.random.default_rng(case.seed)
    arrays = [np.array(a, dtype=np.float64) for a in sample.arrays]
    layouts = [sample.layout(i) for i in range(len(arrays))]
    kwargs = dict(sample.kwargs)
    dtype = case.dtype if case.mutation != "none" else "float64"
    if case.mutation in ("dtype", "none") or not arrays and case.mutation != "index":
        return arrays, layouts, kwargs, dtype
    if case.mutation == "index":
        ints = [k for k, v in kwargs.items() if isinstance(v, np.ndarray) and v.dtype.kind == "i"]
        if ints:
            key = ints[case.target % len(ints)]
            bad = np.array(kwargs[key])
            bad.reshape(-1)[: bad.size and 1] = [100, -100][case.seed % 2]
            kwargs[key] = bad
        return arrays, layouts, kwargs, dtype
    i = case.target % len(arrays)
    if case.mutation == "shape":
        arrays[i] = rng.uniform(-2, 2, _mutated_shape(arrays[i].shape, case, rng))
        layouts[i] = None
    elif case.mutation == "layout":
        layouts[i] = case.layout if arrays[i].ndim else None
    elif case.mutation == "special" and arrays[i].size:
        flat = arrays[i].reshape(-1)
        flat[rng.integers(0, flat.size, max(1, flat.size // 3))] = case.special
    return arrays, layouts, kwargs, dtype


def _cast(a: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bool":
        return a > 0
    if dtype.startswith("int"):
        return np.round(np.nan_to_num(a * 2, posinf=7, neginf=-7)).astype(dtype)
    with np.errstate(over="ignore"):
        return a.astype(dtype)


def _tensor(lib: object, a: np.ndarray, layout: str | None) -> object:
    """A ``lib`` tensor holding ``a`` in ``layout``: negative strides only Latte can hold, so
    PyTorch gets the same values contiguous there."""
    if layout == "neg":
        if lib is latte:
            return latte.from_numpy(np.ascontiguousarray(a[..., ::-1])[..., ::-1])
        return torch.from_numpy(np.ascontiguousarray(a))
    rng = np.random.default_rng(0)
    leaf = _leaf_array(a, layout, rng)
    leaf = leaf.astype(a.dtype) if isinstance(leaf, np.ndarray) else leaf
    return view_of(lib.from_numpy(np.array(leaf)), layout)


# --- running and comparing ----------------------------------------------------------------------
def _run(lib: object, op: OpInfo, arrays: list, layouts: list, kwargs: dict) -> tuple:
    tensors = [_tensor(lib, a, lay) for a, lay in zip(arrays, layouts)]
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return as_list(op.fn(lib, *tensors, **kwargs)), None
    except Exception as exc:  # noqa: BLE001 - the exception is what is compared
        return None, exc


def _family(exc: BaseException) -> type | None:
    """The first of ``FAMILIES`` ``exc`` belongs to (PyTorch's ``LinAlgError`` is a
    ``RuntimeError``, NumPy's ``AxisError`` an ``IndexError``)."""
    return next((f for f in FAMILIES if isinstance(exc, f)), None)


def _tolerance(dtype: str, op: OpInfo) -> tuple:
    if dtype == "float16":
        return 2e-2, 2e-2
    if dtype == "float32":
        return max(op.rtol32, 1e-4), max(op.atol32, 1e-5)
    return 1e-7, 1e-9


def _compare(op: OpInfo, lo: object, to: object, i: int) -> None:
    if not isinstance(to, torch.Tensor):
        assert not isinstance(lo, latte.Tensor) and lo == to, f"output {i}: {lo!r} vs {to!r}"
        return
    assert isinstance(lo, latte.Tensor), f"output {i}: {type(lo).__name__}, torch gives a tensor"
    tdtype = str(to.dtype).removeprefix("torch.")
    assert tuple(lo.shape) == tuple(to.shape), f"output {i}: shape {tuple(lo.shape)} vs torch " \
        f"{tuple(to.shape)}"
    assert lo.dtype.name == tdtype, f"output {i}: dtype {lo.dtype.name} vs torch {tdtype}"
    if op.name in VALUES_UNCOMPARED:
        return
    got = lo.detach().numpy()
    expected = to.detach().numpy()
    if tdtype == "bool" or tdtype.startswith(("int", "uint")):
        np.testing.assert_array_equal(got, expected, err_msg=f"output {i}")
        return
    got, expected = got.astype(np.float64), expected.astype(np.float64)
    finite = expected[np.isfinite(expected)]
    scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    rtol, atol = _tolerance(tdtype, op)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol * scale, equal_nan=True,
                               err_msg=f"output {i}")


def check(op: OpInfo, case: Case) -> None:
    """The fuzz property for one example (see the module docstring)."""
    arrays, layouts, kwargs, dtype = _inputs(op, case)
    arrays = [_cast(a, dtype) for a in arrays]
    touts, texc = _run(torch, op, arrays, layouts, kwargs)
    louts, lexc = _run(latte, op, arrays, layouts, kwargs)
    if lexc is not None and _family(lexc) is None:
        raise AssertionError(f"Latte crashed with {type(lexc).__name__}: {lexc}") from lexc
    if texc is not None:
        if "not implemented for" in str(texc):
            return  # a dtype PyTorch's CPU kernels lack: Latte may support it
        assert lexc is not None, f"PyTorch raises {type(texc).__name__}: {texc}; Latte returns"
        # Latte's error is one PyTorch's caller would catch (an `except RuntimeError` still works)
        assert isinstance(lexc, _family(texc) or Exception), (
            f"Latte raises {type(lexc).__name__}: {lexc}; PyTorch {type(texc).__name__}: {texc}")
        assert str(lexc).strip(), f"Latte's {type(lexc).__name__} has no message"
        return
    if lexc is not None:
        raise AssertionError(f"Latte raises {type(lexc).__name__}: {lexc}; PyTorch returns") \
            from lexc
    assert len(louts) == len(touts), f"{len(louts)} outputs vs torch {len(touts)}"
    for i, (lo, to) in enumerate(zip(louts, touts)):
        _compare(op, lo, to, i)


@pytest.mark.parametrize("op", [op for op in OPS if _samples(op)], ids=lambda op: op.name)
def test_fuzz_op(op):
    # CI draws are fixed per op, and differ between ops (one shared seed would give every op
    # the same few mutations); the long profile draws fresh ones
    @PROFILE
    @seed(None if LONG else zlib.crc32(op.name.encode()))
    @given(case=cases(op))
    def run(case):
        if case.mutation in ALLOWLIST.get(op.name, {}):
            try:
                check(op, case)
            except AssertionError:
                pass  # a known mismatch class, listed with its reason in ALLOWLIST
            return
        check(op, case)
    run()


# Every mismatch the fuzzer found, kept as a regression: (op name, the case that showed it).
REGRESSIONS: list[tuple[str, Case]] = [
    ("neg", Case(dtype="bool", mutation="dtype")),  # NumPy's TypeError; PyTorch's RuntimeError
    ("sub", Case(dtype="bool", mutation="dtype")),
    ("rsub_scalar", Case(dtype="bool", mutation="dtype")),
    ("sinh", Case(dtype="bool", mutation="dtype")),  # computed -x on bool before promoting
    ("cosh", Case(dtype="int32", mutation="dtype")),
    ("add_alpha", Case(dtype="int64", mutation="dtype")),  # a float alpha on ints: refused
    ("sub_alpha", Case(dtype="int32", mutation="dtype")),
    ("gather", Case(mutation="index", seed=0)),  # index 100: NumPy's IndexError
    ("gather", Case(mutation="index", seed=1)),  # index -100: NumPy wrapped negative indices
    ("scatter_add", Case(mutation="index", seed=0)),
    ("scatter_value", Case(mutation="index", seed=1)),
    ("scatter_reduce", Case(mutation="index", seed=0)),
    ("linalg_inv", Case(dtype="int64", mutation="dtype")),  # ints were promoted silently
    ("linalg_inv", Case(dtype="float16", mutation="dtype")),  # NumPy's TypeError
    ("linalg_vector_norm", Case(dtype="int32", mutation="dtype")),
    ("linalg_matrix_power", Case(dtype="int64", mutation="dtype")),  # ints are fine here
    # an empty reduction: NumPy's ValueError, PyTorch's IndexError (a dim) or RuntimeError
    ("min_dim", Case(sample=5, dtype="float16", mutation="shape", target=2, seed=45)),
    ("amax", Case(sample=8, dtype="float16", mutation="shape", target=2, seed=45)),
    ("logsumexp", Case(sample=3, dtype="bool", mutation="special", seed=340)),  # bools: float
    ("norm", Case(sample=7, dtype="bool", mutation="special", seed=340)),  # bools: refused
    ("expand", Case(sample=3, dtype="float16", mutation="shape", target=2, seed=45)),  # -1 lead
    # a 0-d input reads as size 1: its index values were not checked
    ("scatter", Case(sample=2, dtype="float16", mutation="shape", target=2, seed=45)),
    ("scatter_value", Case(sample=2, dtype="float16", mutation="shape", target=2, seed=45)),
    ("scatter_add", Case(sample=3, dtype="float16", mutation="shape", target=2, seed=45)),
    ("index_fill", Case(sample=2, dtype="float16", mutation="shape", target=2, seed=45)),
    ("scatter_reduce", Case(sample=12, dtype="float16", mutation="shape", target=2, seed=45)),
    # PyTorch checks the dims before the dtype, and its norms take float16
    ("linalg_matrix_norm", Case(sample=9, dtype="float16", mutation="shape", target=2, seed=45)),
    ("linalg_norm", Case(sample=3, dtype="float16", mutation="shape", target=2, seed=45)),
    ("linalg_vector_norm", Case(sample=5, dtype="float16", mutation="shape", target=2, seed=45)),
    ("linalg_matrix_exp", Case(dtype="float16", mutation="layout", target=1, seed=1882)),
    # log2(inf) squarings: OverflowError (NaN: ValueError) instead of PyTorch's NaN matrix
    ("linalg_matrix_exp", Case(mutation="special", special=float("inf"))),
    ("linalg_matrix_exp", Case(mutation="special", special=float("nan"))),
]


def test_matrix_exp_of_nonfinite_matrix_is_nan():
    """``matrix_exp`` of a matrix holding inf or NaN is all NaN, as in PyTorch; the rest of the
    batch is unchanged (the fuzz compares only shapes and dtypes of linalg ops)."""
    a = np.array([[[1.0, 2.0], [0.5, -1.0]], [[1.0, np.inf], [0.0, 1.0]],
                  [[np.nan, 0.0], [0.0, 0.0]]])
    got = latte.linalg.matrix_exp(latte.from_numpy(a)).numpy()
    expected = torch.linalg.matrix_exp(torch.from_numpy(a)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, equal_nan=True)
    assert np.isnan(got[1:]).all() and np.isfinite(got[0]).all()


def test_linalg_error_is_a_runtime_error():
    """PyTorch's LinAlgError is a RuntimeError; Latte's is one too, and still NumPy's."""
    for fn in (latte.linalg.inv, latte.linalg.cholesky):
        with pytest.raises(RuntimeError, match="linalg") as info:
            fn(latte.zeros(2, 2, dtype=latte.float64))
        assert isinstance(info.value, (latte.linalg.LinAlgError, np.linalg.LinAlgError))


@pytest.mark.parametrize("name,case", REGRESSIONS,
                         ids=[f"{n}-{c.mutation}-{c.dtype}" for n, c in REGRESSIONS])
def test_regression(name, case):
    check(OPS_BY_NAME[name], case)
