"""``Parameter``: a tensor a ``Module`` registers as learnable; ``Buffer``: one kept as state.

Example::

    >>> w = nn.Parameter(latte.zeros(2))
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import dtypes
from latte.tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A leaf tensor that is registered in a module's ``parameters()`` when assigned to it.

    ``Parameter(tensor, requires_grad=True)`` shares ``tensor``'s memory and version counter, as
    in PyTorch; ``Parameter()`` is an empty float tensor. Operations on a Parameter give plain
    Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            array = np.empty((0,), dtype=dtypes.get_default_dtype().np)
            super().__init__(array, requires_grad)
            return
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        if requires_grad and data._data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point dtype can require gradients")
        super().__init__(data._data, requires_grad)
        self._vc = data._vc  # the same memory: in-place writes through either are seen by both

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> Parameter:
        out = Parameter(Tensor(self._data.copy()), self.requires_grad)
        if self.grad is not None:
            out.grad = Tensor(self.grad._data.copy())
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return (_rebuild_parameter, (self._data, self.requires_grad))


def _rebuild_parameter(array: np.ndarray, requires_grad: bool) -> Parameter:
    return Parameter(Tensor(array), requires_grad)


class _BufferMeta(type):
    # a Buffer is a plain Tensor carrying a mark, as in PyTorch; isinstance reads the mark
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and bool(obj.__dict__.get("_is_buffer", False))


class Buffer(metaclass=_BufferMeta):
    """Mark a tensor to be registered as a buffer when assigned to a module attribute.

    ``module.stats = nn.Buffer(latte.zeros(3), persistent=False)`` equals
    ``module.register_buffer("stats", latte.zeros(3), persistent=False)``.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Any:
        if data is None:
            data = Tensor(np.empty((0,), dtype=dtypes.get_default_dtype().np))
        out = data.detach()
        out.requires_grad = data.requires_grad
        out.__dict__["_is_buffer"] = True
        out.__dict__["persistent"] = persistent
        return out
