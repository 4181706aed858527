"""Functions of several tensors: joining (``cat``, ``stack``...), ``where``, ``einsum``,
padding, broadcasting and ``meshgrid``; written with Tensor methods and primitives."""
from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from latte import backend
from latte._functional.common import promote_all
from latte._size import Size
from latte.autograd import function
from latte.autograd.function import named_node
from latte.creation import tensor
from latte.ops.linalg import Einsum
from latte.ops.shape import Cat, ConstantPad

if TYPE_CHECKING:
    from latte.tensor import Tensor

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "where", "einsum",
           "pad_constant", "broadcast_tensors", "broadcast_shapes", "meshgrid", "atleast_1d",
           "atleast_2d", "atleast_3d", "dstack", "column_stack", "row_stack"]


def cat(tensors: Sequence[Any], dim: int = 0, *, out: Any = None, axis: Any = None) -> Any:
    """Concatenate tensors along an existing dim: ``cat([a, b], dim=1)`` (or NumPy's ``axis``).

    Shapes are checked with both named; dtypes are promoted as PyTorch does."""
    if axis is not None:
        dim = axis
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat expects a non-empty list of tensors")
    # PyTorch skips legacy empty 1-D tensors of shape (0,) beside others
    nonempty = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    first = nonempty[0]
    ndim = first.ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor cannot be concatenated")
    if not -ndim <= dim < ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim})")
    dim %= ndim
    for i, t in enumerate(nonempty):
        if t.ndim != ndim or any(s != f for k, (s, f) in enumerate(zip(t.shape, first.shape))
                                 if k != dim):
            raise RuntimeError(
                f"Sizes of tensors must match except in dimension {dim}. Expected shape "
                f"{tuple(first.shape)} but got shape {tuple(t.shape)} for tensor number {i} "
                f"in the list.")
    nonempty = promote_all(nonempty)
    return Cat.apply(dim, *nonempty)


concat = concatenate = cat


@named_node("StackBackward0")
def stack(tensors: Sequence[Tensor], dim: int = 0, *, out: Any = None) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    first = tuple(tensors[0].shape)
    for i, t in enumerate(tensors):
        if tuple(t.shape) != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {first} at "
                               f"entry 0 and {tuple(t.shape)} at entry {i}")
    rank = len(first) + 1
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, "
                         f"{rank - 1}], but got {dim})")
    return cat([t.unsqueeze(dim) for t in tensors], dim % rank)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate column-wise: along dim 1, or dim 0 for 1-D tensors.

    Example::

        >>> latte.hstack([latte.tensor([1, 2]), latte.tensor([3])])
        tensor([1, 2, 3])
    """
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate row-wise along dim 0, 1-D tensors taken as rows ``(1, n)``.

    Example::

        >>> latte.vstack([latte.tensor([1, 2]), latte.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    return cat([_at_least_2d(t) for t in tensors], 0)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """``input`` where ``condition`` holds, else ``other``; ``where(cond)`` is ``nonzero``."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(input, function.Tensor):
        if isinstance(other, function.Tensor):
            kind = other._data.dtype if not isinstance(input, builtins.float) else \
                np.result_type(other._data.dtype, np.float32)
            input = function.Tensor(backend.array_on(other._data, "asarray", input, dtype=kind))
        else:
            input = tensor(input)
    return input.where(condition, other)


def _sublist_equation(args: tuple) -> tuple:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as ``('ab,bc->ac', (a, b))``: PyTorch's sublist
    form, where each operand is followed by its subscripts (ints below 52, or ``...``)."""
    def letters(sub: Any) -> str:
        out = []
        for s in sub:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, int) and 0 <= s < 52:
                out.append("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[s])
            else:
                raise ValueError(f"einsum(): subscript in subscript list is not within the valid "
                                 f"range [0, 52), got {s!r}")
        return "".join(out)
    pairs = len(args) // 2
    operands = args[0:2 * pairs:2]
    equation = ",".join(letters(s) for s in args[1:2 * pairs:2])
    if len(args) % 2:  # a last, unpaired list names the output
        equation += "->" + letters(args[-1])
    return equation, operands


def einsum(equation: Any, *operands: Any) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; differentiable.

    Also takes PyTorch's sublist form, each operand followed by a list of its subscripts
    (ints, or ``...``), with an optional last list for the output.

    Args:
        equation (str): the subscripts, e.g. ``'ij,jk->ik'`` (``...`` for broadcast dims).
        operands (Tensor): the tensors, or one list of them.

    Example::

        >>> a = latte.arange(6.).reshape(2, 3)
        >>> latte.einsum('ij->j', a)
        tensor([3., 5., 7.])
        >>> latte.einsum(a, [0, 1], [1])
        tensor([3., 5., 7.])
    """
    if not isinstance(equation, str):
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return Einsum.apply(equation, *promote_all(list(operands)))


def pad_constant(input: Tensor, pad: Sequence[int], value: float = 0.0) -> Tensor:
    """Pad the last dims: ``pad = (left, right, top, bottom, ...)`` as ``F.pad``; may crop."""
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"Padding length must be divisible by 2 and at most twice the number "
                         f"of dims ({input.ndim}); got {len(pad)}")
    pairs = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        pairs[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    positive = tuple((builtins.max(lo, 0), builtins.max(hi, 0)) for lo, hi in pairs)
    out = ConstantPad.apply(input, positive, value) if builtins.any(
        lo or hi for lo, hi in positive) else input
    if builtins.any(lo < 0 or hi < 0 for lo, hi in pairs):
        crop = tuple(slice(-builtins.min(lo, 0), out.shape[i] + builtins.min(hi, 0))
                     for i, (lo, hi) in enumerate(pairs))
        out = out[crop]
    return out


def broadcast_tensors(*tensors: Tensor) -> tuple:
    """Views of ``tensors`` expanded to their common broadcast shape.

    Example::

        >>> a, b = latte.broadcast_tensors(latte.zeros(2, 1), latte.zeros(3))
        >>> a.shape, b.shape
        (latte.Size([2, 3]), latte.Size([2, 3]))
    """
    target = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t.expand(target) for t in tensors)


def broadcast_shapes(*shapes: Any) -> tuple:
    """The shape that tensors of ``shapes`` broadcast to, without making any tensor.

    Example::

        >>> latte.broadcast_shapes((2, 1), (3,))
        latte.Size([2, 3])
    """
    shapes = tuple((s,) if isinstance(s, int) else tuple(s) for s in shapes)
    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{', '.join(str(list(s)) for s in shapes)}") from None


def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple:
    """Coordinate grids from 1-D tensors: result ``i`` repeats ``tensors[i]`` along every
    other dimension. ``indexing="xy"`` swaps the first two dimensions (NumPy's default).

    Example::

        >>> ys, xs = latte.meshgrid(latte.tensor([0, 1]), latte.tensor([5, 6, 7]))
        >>> xs
        tensor([[5, 6, 7],
                [5, 6, 7]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    n = len(tensors)
    sizes = [t.numel() for t in tensors]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        axis = i
        if indexing == "xy" and n >= 2 and i < 2:
            axis = 1 - i
        shape_ = [1] * n
        shape_[axis] = t.numel()
        out.append(t.reshape(shape_).expand(sizes))
    return tuple(out)



def _atleast(tensors: tuple, make: Any) -> Any:
    """``make`` applied to one tensor (returned alone) or to several (a tuple), as PyTorch."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(make(t) for t in tensors[0])
    if len(tensors) == 1:
        return make(tensors[0])
    return tuple(make(t) for t in tensors)


def _at_least_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if t.ndim == 0 else t


def _at_least_2d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return t.reshape(1, 1)
    return t.unsqueeze(0) if t.ndim == 1 else t


def _at_least_3d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(-1) if t.ndim == 2 else t


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least one dimension (a 0-d tensor becomes shape ``(1,)``); one
    tensor in, one out, several in (or a list), a tuple out.

    Example::

        >>> latte.atleast_1d(latte.tensor(1.0))
        tensor([1.])
    """
    return _atleast(tensors, _at_least_1d)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least two dimensions: 0-d becomes ``(1, 1)``, 1-D ``(n,)`` becomes
    ``(1, n)``.

    Example::

        >>> latte.atleast_2d(latte.tensor([1, 2])).shape
        latte.Size([1, 2])
    """
    return _atleast(tensors, _at_least_2d)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least three dimensions: 0-d becomes ``(1, 1, 1)``, ``(n,)`` becomes
    ``(1, n, 1)`` and ``(m, n)`` becomes ``(m, n, 1)``, as NumPy.

    Example::

        >>> latte.atleast_3d(latte.zeros(2, 3)).shape
        latte.Size([2, 3, 1])
    """
    return _atleast(tensors, _at_least_3d)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate depth-wise: along dim 2, after making each tensor at least 3-D.

    Example::

        >>> latte.dstack([latte.tensor([1, 2]), latte.tensor([3, 4])])
        tensor([[[1, 3],
                 [2, 4]]])
    """
    return cat([_at_least_3d(t) for t in tensors], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Stack as columns: 0-d and 1-D tensors become columns ``(n, 1)``, then ``hstack``.

    Example::

        >>> latte.column_stack([latte.tensor([1, 2]), latte.tensor([3, 4])])
        tensor([[1, 3],
                [2, 4]])
    """
    return cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], 1)


def row_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenate row-wise: an alias of :func:`vstack`.

    Example::

        >>> latte.row_stack([latte.tensor([1, 2]), latte.tensor([3, 4])]).shape
        latte.Size([2, 2])
    """
    return vstack(tensors)
