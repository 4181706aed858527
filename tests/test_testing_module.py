"""``latte.testing.assert_close`` passes and fails exactly where ``torch.testing``'s does, with
the same messages; ``make_tensor`` draws what PyTorch's does (ranges, dtypes, layout)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import latte
import latte.testing

torch = pytest.importorskip("torch")

NAN = math.nan


def _cases(lib):
    """(actual, expected, keywords) built with ``lib`` (latte or torch)."""
    t = lib.tensor
    return [
        (t([1.0, 2.0, 3.0]), t([1.0, 2.0, 3.0]), {}),
        (t([1.0, 2.0, 3.0]), t([1.0, 2.5, 3.0]), {}),
        (t([1.0]), t([1.0 + 1e-6]), {}),
        (t([1.0]), t([1.0 + 1e-4]), {}),
        (t([1.0], dtype=lib.float64), t([1.0 + 1e-8], dtype=lib.float64), {}),
        (t([1.0], dtype=lib.float64), t([1.0 + 1e-6], dtype=lib.float64), {}),
        (t([1.0], dtype=lib.float16), t([1.0009765625], dtype=lib.float16), {}),
        (t([1.0], dtype=lib.float16), t([1.01], dtype=lib.float16), {}),
        (t([1.0, 2.0]), t([1.0, 2.0], dtype=lib.float64), {}),
        (t([1.0, 2.0]), t([1.0, 2.0 + 1e-7], dtype=lib.float64), {"check_dtype": False}),
        (t([1, 2]), t([1, 3]), {}),
        (t([1, 2]), t([1, 2]), {}),
        (t([1.0, 2.0]), t([1.0, 2.0, 3.0]), {}),
        (t([[1.0, 2.0], [3.0, 4.0]]), t([[1.0, 2.0], [3.0, 5.0]]), {}),
        (t([1.0, NAN]), t([1.0, NAN]), {}),
        (t([1.0, NAN]), t([1.0, NAN]), {"equal_nan": True}),
        (t([1.0, 2.0]), t([1.1, 2.2]), {"rtol": 0.2, "atol": 0.0}),
        (t([1.0, 2.0]), t([1.1, 2.2]), {"rtol": 0.0, "atol": 0.15}),
        (t(1.0), t(2.0), {}),
        (t([True, False]), t([True, True]), {}),
        (t([0.0, 1.0]), t([1e-6, 1.0]), {}),
        (t([0.0, 5.0, -3.0]), t([1.0, 5.5, -3.0]), {}),
        (1.0, 1.1, {}),
        (1.0, 1.0 + 1e-9, {}),
        (1, 1, {}),
        (1, 2, {}),
        (1, 1.0, {}),
        (1, 1.0, {"check_dtype": False}),
        (True, False, {}),
        ([1.0, 2.0], [1.0, 2.1], {}),
        ([1.0, 2.0], [1.0], {}),
        ({"a": t([1.0])}, {"a": t([2.0])}, {}),
        ({"a": 1}, {"b": 1}, {}),
        ([t([1.0]), {"w": (t([2.0]), 3.0)}], [t([1.0]), {"w": (t([2.0]), 3.5)}], {}),
        (t([1.0]), [1.0], {}),
        (t([1.0]), 1.0, {}),
        ("a", "a", {}),
        (t([1.0]), t([1.0]), {"rtol": 1e-3}),
        (t([1.0]), t([1.5]), {"msg": "custom message"}),
        (t([1.0]), t([1.5]), {"msg": lambda generated: "wrapped: " + generated}),
        (t([1.0, 2.0]), t([1.0, 2.0]).expand(2), {"check_stride": True}),
        (t([[1.0, 2.0], [3.0, 4.0]]).t(), t([[1.0, 3.0], [2.0, 4.0]]), {"check_stride": True}),
    ]


def _outcome(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the outcome is compared, whatever it is
        return type(error).__name__, str(error)
    return "pass", ""


def _normalise(message: str) -> str:
    return message.replace("torch.Tensor", "latte.tensor.Tensor").replace("torch.", "latte.")


@pytest.mark.parametrize("i", range(len(_cases(latte))))
def test_assert_close_agrees_with_pytorch(i):
    actual, expected, kwargs = _cases(latte)[i]
    ours = _outcome(latte.testing.assert_close, actual, expected, **kwargs)
    actual, expected, kwargs = _cases(torch)[i]
    theirs = _outcome(torch.testing.assert_close, actual, expected, **kwargs)
    assert ours[0] == theirs[0], (ours, theirs)
    assert ours[1] == _normalise(theirs[1])


def test_assert_close_message_names_count_differences_and_index():
    with pytest.raises(AssertionError) as failure:
        latte.testing.assert_close(latte.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                   latte.tensor([[1.0, 2.0], [3.5, 4.0]]))
    text = str(failure.value)
    assert "Mismatched elements: 1 / 4 (25.0%)" in text
    assert "Greatest absolute difference: 0.5 at index (1, 0) (up to 1e-05 allowed)" in text
    assert "Greatest relative difference: 0.1428571" in text


def test_assert_close_needs_both_tolerances():
    for lib in (latte, torch):
        with pytest.raises(ValueError, match="Both 'rtol' and 'atol'"):
            lib.testing.assert_close(lib.tensor([1.0]), lib.tensor([1.0]), rtol=1e-3)


def test_assert_close_compares_numpy_arrays_as_tensors():
    latte.testing.assert_close(np.ones(3), np.ones(3))
    with pytest.raises(AssertionError, match="Tensor-likes are not close"):
        latte.testing.assert_close(np.ones(3), np.zeros(3))


def test_assert_close_checks_the_device_and_layout_attributes():
    x = latte.tensor([1.0])
    latte.testing.assert_close(x, x.clone(), check_device=True, check_layout=True)


def test_assert_allclose_is_the_deprecated_form():
    with pytest.warns(FutureWarning, match="deprecated"):
        latte.testing.assert_allclose(latte.tensor([1.0, 2.0]), [1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(AssertionError):
            latte.testing.assert_allclose(latte.tensor([1.0]), [1.5])
        latte.testing.assert_allclose(latte.tensor([NAN]), [NAN])


# --- make_tensor -------------------------------------------------------------------------------
@pytest.mark.parametrize("name,low,high", [("float32", None, None), ("float64", -1.0, 1.0),
                                           ("float16", 0.0, 2.0), ("int64", None, None),
                                           ("int32", -3, 3), ("uint8", None, None),
                                           ("int8", -200, 200), ("bool", None, None)])
def test_make_tensor_draws_in_pytorchs_ranges(name, low, high):
    latte.manual_seed(0)
    ours = latte.testing.make_tensor(40, 50, dtype=getattr(latte, name), device="cpu",
                                     low=low, high=high)
    theirs = torch.testing.make_tensor(40, 50, dtype=getattr(torch, name), device="cpu",
                                       low=low, high=high)
    assert ours.shape == (40, 50) and ours.dtype.name == str(theirs.dtype)[6:]
    a, b = ours.numpy().astype(np.float64), theirs.numpy().astype(np.float64)
    # with 2000 draws both reach close to the ends of the same range
    assert abs(a.min() - b.min()) <= 0.1 * max(1.0, abs(b.min()))
    assert abs(a.max() - b.max()) <= 0.1 * max(1.0, abs(b.max()))


def test_make_tensor_options():
    t = latte.testing.make_tensor((3, 4), dtype=latte.float32, device="cpu",
                                  noncontiguous=True, requires_grad=True)
    assert not t.is_contiguous() and t.requires_grad and t.shape == (3, 4)
    z = latte.testing.make_tensor(200, dtype=latte.int64, device="cpu", low=-1, high=2,
                                  exclude_zero=True)
    assert (z != 0).all().item()
    f = latte.testing.make_tensor(200, dtype=latte.float32, device="cpu", exclude_zero=True)
    assert (f != 0).all().item()
    for lib in (latte, torch):
        with pytest.raises(ValueError, match="`low` must be less than `high`"):
            lib.testing.make_tensor(3, dtype=lib.int64, device="cpu", low=5, high=2)
        with pytest.raises(ValueError):
            lib.testing.make_tensor(3, dtype=lib.int64, device="cpu", requires_grad=True)
        with pytest.raises(ValueError, match="cannot be NaN"):
            lib.testing.make_tensor(3, dtype=lib.float32, device="cpu", low=NAN)
