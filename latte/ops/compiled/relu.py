"""ReLU and its backward, compiled: one loop per block where NumPy makes a mask and a product
(64x16x28x28 float32 on the 2-core CPU, backward 0.23 -> 0.09 ms).

Both follow PyTorch's kernels exactly: ``relu(a) = a < 0 ? 0 : a`` (NaN and -0.0 pass) and
the backward ``out <= 0 ? 0 : grad``.
"""
from __future__ import annotations

from typing import Any

from latte.ops.compiled._jit import jit
from latte.ops.dense_blocks import run_blocks

__all__ = ["relu", "relu_backward"]


@jit
def _relu(a, out):  # pragma: no cover - compiled
    for i in range(a.shape[0]):
        v = a[i]
        out[i] = 0 if v < 0 else v


@jit
def _relu_backward(grad, out, result):  # pragma: no cover - compiled
    for i in range(grad.shape[0]):
        result[i] = 0 if out[i] <= 0 else grad[i]


def relu(a: Any, out: Any) -> None:
    """``out = relu(a)`` for 1-D arrays (``out`` may be ``a``), block by block over the
    threads."""
    run_blocks(lambda span: _relu(a[span], out[span]), a.size)


def relu_backward(grad: Any, out: Any, result: Any) -> None:
    """``result = out <= 0 ? 0 : grad`` for 1-D arrays, block by block over the threads."""
    run_blocks(lambda span: _relu_backward(grad[span], out[span], result[span]), grad.size)
