"""The array-module seam: every array operation reaches NumPy (or later CuPy) through here.

Ops never ``import numpy`` to compute; they call :func:`get_array_module` on their inputs so the
same code runs on whichever library holds the arrays.
"""
from __future__ import annotations

from typing import Any

import numpy

__all__ = ["device", "get_array_module", "parse_device", "cpu"]


class device:
    """Where a tensor's memory lives, ``device('cpu')``, ``device('cuda:0')``."""

    __slots__ = ("type", "index")

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device() expects a string such as 'cpu', got {type!r}")
        if ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise ValueError(f"invalid device string {type + ':' + idx!r}")
            index = int(idx)
        if type not in ("cpu", "cuda"):
            raise ValueError(f"unknown device type {type!r}; Latte knows 'cpu' and 'cuda'")
        self.type = type
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


cpu = device("cpu")


def parse_device(spec: Any) -> device:
    """Turn ``'cpu'``, a ``device`` or ``None`` into a device; ``'cuda'`` is not available yet."""
    if spec is None:
        return cpu
    if isinstance(spec, int):
        spec = device("cuda", spec)
    dev = spec if isinstance(spec, device) else device(spec)
    if dev.type == "cuda":
        raise RuntimeError(
            "Latte has no CUDA device yet: this build runs on the CPU (NumPy). "
            "Use device='cpu', or guard GPU code with latte.cuda.is_available()."
        )
    return cpu


def get_array_module(*arrays: Any):
    """The array library (``numpy``) that owns ``arrays``: the one place to switch to CuPy."""
    return numpy
