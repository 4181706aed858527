"""Factories of Tensor methods that forward to a function: in-place forms and ``latte.linalg``.

Both keep the real signature of what they forward to, for ``inspect.signature``, ``help()`` and
IDEs: an in-place method gets its out-of-place method's once the class exists
(``complete_signatures``), a linalg method reads ``latte.linalg``'s on first use, so that
``import latte`` does not load ``latte.linalg``.
"""
from __future__ import annotations

import inspect
import types
from typing import Any

__all__ = ["inplace", "linalg_function", "complete_signatures"]


def inplace(name: str) -> Any:
    """The in-place method ``name_`` of the out-of-place method ``name``: recorded by autograd
    when the tensor or a tensor operand requires grad, else written straight into memory."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        others = [a for a in (*args, *kwargs.values()) if hasattr(a, "requires_grad")]
        if self._records(*others):
            return self._write(lambda old: getattr(old, name)(*args, **kwargs), *others)
        return self._unary_(name, *args, **kwargs)
    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = _inplace_doc(name)
    method._in_place_of = name  # type: ignore[attr-defined]
    return method


def _inplace_doc(name: str) -> str:
    return (f"In-place :meth:`Tensor.{name}`: writes ``self.{name}(...)`` into ``self`` and "
            f"returns ``self``.")


def complete_signatures(cls: type) -> None:
    """Give each in-place method made by ``inplace`` its out-of-place method's signature and
    first docstring line."""
    for attr in dir(cls):
        method = getattr(cls, attr, None)
        name = getattr(method, "_in_place_of", None)
        if name is None:
            continue
        source = getattr(cls, name)
        method.__signature__ = inspect.signature(source)
        summary = (source.__doc__ or "").strip().split("\n\n")[0]
        if summary:
            method.__doc__ = f"{_inplace_doc(name)}\n\n{name}: {summary}"


class _LinalgMethod:
    """``latte.linalg.<name>`` as a Tensor method, with its signature and docstring read on first
    use (``x.det()`` is ``latte.linalg.det(x)``)."""

    def __init__(self, name: str) -> None:
        self.name = self.__name__ = self.__qualname__ = name

    def _function(self) -> Any:
        from latte import linalg  # loaded on first use, to keep `import latte` fast
        return getattr(linalg, self.name)

    def __call__(self, tensor: Any, *args: Any, **kwargs: Any) -> Any:
        return self._function()(tensor, *args, **kwargs)

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return types.MethodType(self, obj)

    @property
    def __signature__(self) -> inspect.Signature:  # type: ignore[override]
        signature = inspect.signature(self._function())
        params = list(signature.parameters.values())
        return signature.replace(parameters=[params[0].replace(name="self"), *params[1:]])

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        doc = self._function().__doc__ or ""
        return f"``latte.linalg.{self.name}(self, ...)`` as a method.\n\n{doc}"


def linalg_function(name: str) -> Any:
    """``latte.linalg.<name>`` as a Tensor method (``x.det()`` is ``latte.linalg.det(x)``)."""
    return _LinalgMethod(name)
