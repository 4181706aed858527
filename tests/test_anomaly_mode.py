"""Anomaly detection names the backward node that produced a NaN, as PyTorch's does."""
import warnings

import numpy as np
import pytest

import latte


def _nan_backward(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()  # d sqrt at 0 is inf, times 0: NaN
    return x.grad


def test_detect_anomaly_raises_pytorchs_error_at_the_node():
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        context = latte.autograd.detect_anomaly()
    with context, pytest.raises(RuntimeError) as ours:
        _nan_backward(latte)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly(), pytest.raises(RuntimeError) as theirs:
            _nan_backward(torch)
    assert str(ours.value) == str(theirs.value) == \
        "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert not latte.is_anomaly_enabled()


def test_without_anomaly_mode_the_nan_reaches_the_gradient():
    assert np.isnan(_nan_backward(latte).numpy()[0])


def test_set_detect_anomaly_flags_and_check_nan():
    assert not latte.is_anomaly_enabled()
    with latte.autograd.set_detect_anomaly(True, check_nan=False):
        assert latte.is_anomaly_enabled() and not latte.is_anomaly_check_nan_enabled()
        assert np.isnan(_nan_backward(latte).numpy()[0])  # NaN checks off: no error
    assert not latte.is_anomaly_enabled() and latte.is_anomaly_check_nan_enabled()

    with pytest.warns(UserWarning, match="Anomaly Detection"):
        @latte.autograd.detect_anomaly()
        def inside():
            return latte.is_anomaly_enabled()
    assert inside() and not latte.is_anomaly_enabled()
    latte.set_anomaly_enabled(True)
    try:
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            _nan_backward(latte)
    finally:
        latte.set_anomaly_enabled(False)
