"""``latte.Size``, a tensor's shape, and the parsing of size arguments."""
from __future__ import annotations

import operator

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
    out = []
    for s in size:
        try:  # operator.index: ints and int-likes (NumPy ints, 0-d int tensors), never a float
            out.append(operator.index(s))
        except TypeError:
            raise TypeError(f"size must be a tuple of ints, not {type(s).__name__}") from None
    return tuple(out)
