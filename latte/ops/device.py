"""Copying a tensor between devices, as a differentiable op: the gradient travels back."""
from __future__ import annotations

from typing import Any

from latte import backend
from latte.autograd.function import Op


class ToDevice(Op):
    """``tensor.to(device)``: a copy on another device; backward copies the gradient back."""

    def forward(ctx, a, target):
        ctx.source = backend.device_of(a)
        return backend.to_device(a, target)

    def backward(ctx, grad: Any):
        return grad.to(ctx.source), None
