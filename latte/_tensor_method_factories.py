"""Factories of Tensor methods that forward to a function: in-place forms and ``latte.linalg``."""
from __future__ import annotations

from typing import Any

__all__ = ["inplace", "linalg_function"]


def inplace(name: str) -> Any:
    """The in-place method ``name_`` of the out-of-place method ``name``: recorded by autograd
    when the tensor or a tensor operand requires grad, else written straight into memory."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        others = [a for a in (*args, *kwargs.values()) if hasattr(a, "requires_grad")]
        if self._records(*others):
            return self._write(lambda old: getattr(old, name)(*args, **kwargs), *others)
        return self._unary_(name, *args, **kwargs)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In-place ``{name}``."
    return method


def linalg_function(name: str) -> Any:
    """``latte.linalg.<name>`` as a Tensor method (``x.det()`` is ``latte.linalg.det(x)``)."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        from latte import linalg  # loaded on first use, to keep `import latte` fast
        return getattr(linalg, name)(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``latte.linalg.{name}(self, ...)``."
    return method

