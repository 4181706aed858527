"""``latte.Size``, a tensor's shape, and the parsing of size arguments."""
from __future__ import annotations

import builtins

__all__ = ["Size"]


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``latte.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"latte.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


def size_arg(size: tuple) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(latte.Size(...))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(builtins.int(s) for s in size)
