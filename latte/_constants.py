"""The numeric constants PyTorch exposes at the top level: ``torch.pi``, ``torch.inf``...

Example::

    >>> latte.pi == math.pi, latte.newaxis is None
    (True, True)
"""
from __future__ import annotations

import math

__all__ = ["e", "pi", "inf", "nan", "newaxis"]

e: float = math.e
pi: float = math.pi
inf: float = math.inf
nan: float = math.nan
newaxis: None = None  # ``x[:, latte.newaxis]`` adds a dimension, as NumPy's
