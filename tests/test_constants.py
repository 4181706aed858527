"""``latte.e``, ``pi``, ``inf``, ``nan`` and ``newaxis``: plain Python values, as PyTorch's."""
from __future__ import annotations

import math

import latte


def test_constants_are_python_values_as_torch():
    assert type(latte.pi) is float and latte.pi == math.pi
    assert type(latte.e) is float and latte.e == math.e
    assert latte.inf == math.inf and math.isnan(latte.nan)
    assert latte.newaxis is None
    assert latte.zeros(3)[latte.newaxis].shape == (1, 3)
