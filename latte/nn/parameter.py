"""``Parameter``: a tensor a ``Module`` registers as learnable; ``Buffer``: one kept as state;
``UninitializedParameter``/``UninitializedBuffer``: their placeholders in lazy layers, whose
shape is known only at the first forward.

Example::

    >>> w = nn.Parameter(latte.zeros(2))
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
"""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import creation, dtypes
from latte.tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer"]


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


class _UninitializedTensor:
    """A placeholder without a shape: an empty array of the right dtype and device until
    ``materialize`` gives it its shape, in place, so optimizers built before it hold it."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Become a ``cls_to_become`` of ``shape`` (uninitialised values), on ``device`` and with
        ``dtype`` (by default the placeholder's own, which ``Module.to`` converts)."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        made = creation.empty(shape, dtype=dtype if dtype is not None else self.dtype,
                              device=device if device is not None else self.device)
        self._data = made._data
        self._vc[0] += 1
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __deepcopy__(self, memo: dict) -> Any:
        out = type(self)(requires_grad=self.requires_grad, device=self.device, dtype=self.dtype)
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return (type(self), (self.requires_grad, self.device, self.dtype))


class UninitializedParameter(_UninitializedTensor, Parameter):
    """The parameter of a lazy layer before its first forward (``nn.LazyLinear``...): it has no
    shape yet; the layer calls ``materialize(shape)``, and it becomes a ``Parameter``.

    Example::

        >>> fc = nn.LazyLinear(3)
        >>> isinstance(fc.weight, nn.UninitializedParameter)
        True
        >>> fc(latte.randn(2, 5)).shape, fc.weight.shape
        (latte.Size([2, 3]), latte.Size([3, 5]))
    """

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(creation.empty(0, dtype=dtype, device=device), requires_grad)


class UninitializedBuffer(_UninitializedTensor, Tensor):
    """The buffer of a lazy layer before its first forward (``running_mean`` of
    ``nn.LazyBatchNorm2d``...); ``materialize(shape)`` makes it a plain tensor."""

    __slots__ = ()

    def __init__(self, requires_grad: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__(creation.empty(0, dtype=dtype, device=device)._data, requires_grad)
