"""Helpers shared by the compositions: numbers as tensors, dtype promotion of tensor lists."""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from latte import backend, dtypes
from latte.autograd import function

__all__: list[str] = []


def promote_all(tensors: list) -> list:
    """Cast a list of tensors to their common dtype under PyTorch's promotion rules."""
    target = tensors[0]._data.dtype
    for t in tensors[1:]:
        target = dtypes.result_type(target, t._data.dtype)
    return [t._cast(target) for t in tensors]


def tensor_like(x: Any, like: Any) -> Any:
    """``x`` as a Tensor; a Python number becomes a 0-d tensor of ``like``'s dtype and device."""
    if isinstance(x, function.Tensor):
        return x
    dtype = like._data.dtype if like._data.dtype.kind == "f" or isinstance(x, builtins.int) \
        else np.result_type(like._data.dtype, np.float32)
    return function.Tensor(backend.array_on(like._data, "asarray", x, dtype=dtype))

