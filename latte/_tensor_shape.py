"""Tensor shape methods: reshape/view, squeeze, permute, expand, repeat, split, flip, tril."""
from __future__ import annotations

import builtins
import math
import warnings
from typing import Any

import numpy as np

from latte import _functional as X
from latte import backend, dtypes
from latte._size import size_arg
from latte._tensor_method_factories import inplace
from latte._tensor_views import track_view
from latte.autograd import function
from latte.autograd.function import named_node, rename_node
from latte.autograd.grad_mode import _state
from latte.ops import shape as S


def _shape_args(shape: tuple) -> tuple:
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(builtins.int(s) for s in shape)


def _multi_view(pieces: tuple, name: str) -> tuple:
    """Mark the views a function returns several of: PyTorch refuses in-place writes into them
    when autograd records (one history cannot be rewritten for all of them)."""
    for i, piece in enumerate(pieces):
        if piece.grad_fn is not None:
            piece.__dict__["_multi_view"] = (i, name)
    return pieces


class ShapeMixin:
    """Shape-changing methods of ``Tensor``."""

    __slots__ = ()

    def reshape(self, *shape: Any) -> Any:
        """The same elements in a new shape (a view where possible); one dim may be -1."""
        shape = _shape_args(shape)
        size = self._data.size
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if shape.count(-1) > 1 or (-1 not in shape and known != size) or \
                (-1 in shape and (known == 0 or size % known)):
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        if shape == self._data.shape:
            return self
        return track_view(S.Reshape.apply(self, shape), self, lambda t: t.reshape(shape),
                          maybe_copy=True)

    def view(self, *shape: Any) -> Any:
        """The same memory in a new shape (an error where no view can have it: use
        ``reshape``); ``view(dtype)`` reinterprets the bytes."""
        if len(shape) == 1 and isinstance(shape[0], (dtypes.dtype, np.dtype)):
            out = function.Tensor(self._data.view(dtypes.to_numpy_dtype(shape[0])))
            out._vc = self._vc
            return out
        out = self.reshape(*shape)
        if out is self:  # a view is a new tensor even in the same shape, as PyTorch's
            out = track_view(S.Reshape.apply(self, self._data.shape), self,
                             lambda t: t.view(t.shape))
        if out._vc is not self._vc and self._data.size and \
                "_strided" in self.__dict__:
            # the reshape copied (a copy has a version counter of its own) a view of a
            # contiguous tensor: PyTorch's strides would not allow it either
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.")
        return out

    def view_as(self, other: Any) -> Any:
        return self.view(other.shape)

    def as_strided(self, size: Any, stride: Any, storage_offset: Any = None) -> Any:
        """A view of this tensor's storage with ``size`` and ``stride`` (in elements) from
        ``storage_offset`` (this tensor's own offset by default), as ``torch.as_strided``."""
        size, stride = _shape_args((size,)), _shape_args((stride,))
        if len(size) != len(stride):
            raise RuntimeError("mismatch in length of strides and shape")
        offset = S.storage_offset(self._data) if storage_offset is None \
            else builtins.int(storage_offset)
        return track_view(S.AsStrided.apply(self, size, stride, offset), self,
                          lambda t: t.as_strided(size, stride, offset))

    def storage_offset(self) -> builtins.int:
        """The offset of this tensor's first element in its storage, in elements."""
        return S.storage_offset(self._data)

    def reshape_as(self, other: Any) -> Any:
        return self.reshape(other.shape)

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Any:
        """Merge dims ``start_dim..end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = self._dim(start_dim), self._dim(end_dim)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self._data.shape
        merged = 1
        for s in shape[start:end + 1]:
            merged *= s
        return self.reshape(shape[:start] + (merged,) + shape[end + 1:])

    def unflatten(self, dim: builtins.int, sizes: Any) -> Any:
        """Dimension ``dim`` split into ``sizes`` (a view); one size may be -1.

        Args:
            dim (int): the dimension to split.
            sizes (tuple of int): its new sizes, whose product is its length.

        Example::

            >>> latte.unflatten(latte.zeros(2, 6), 1, (2, 3)).shape
            latte.Size([2, 2, 3])
        """
        d = self._dim(dim)
        sizes = tuple(sizes)
        if -1 in sizes:
            known = 1
            for s in sizes:
                if s != -1:
                    known *= s
            sizes = tuple(self._data.shape[d] // known if s == -1 else s for s in sizes)
        return self.reshape(self._data.shape[:d] + sizes + self._data.shape[d + 1:])

    @named_node(lambda self, *dims, **k: "SqueezeBackward1" if dims or k else "SqueezeBackward0")
    def squeeze(self, dim: Any = None) -> Any:
        """Remove dims of size 1 (all of them, or those in ``dim``)."""
        shape = self._data.shape
        if dim is None:
            new = tuple(s for s in shape if s != 1)
        else:
            dims = (dim,) if isinstance(dim, builtins.int) else tuple(dim)
            drop = {self._dim(d) for d in dims} if self.ndim else set()
            new = tuple(s for i, s in enumerate(shape) if not (i in drop and s == 1))
        return self.reshape(new) if new != shape else self

    @named_node("UnsqueezeBackward0")
    def unsqueeze(self, dim: builtins.int) -> Any:
        """Insert a dim of size 1 at ``dim`` (negative counts from the new end)."""
        rank = self.ndim + 1
        if not -rank <= dim < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, "
                             f"{rank - 1}], but got {dim})")
        dim %= rank
        shape = self._data.shape[:dim] + (1,) + self._data.shape[dim:]
        return track_view(S.Reshape.apply(self, shape), self, lambda t: t.reshape(shape))

    def permute(self, *dims: Any) -> Any:
        """Reorder dims: ``x.permute(2, 0, 1)``."""
        dims = _shape_args(dims)
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                               f"does not match the length of the desired ordering of "
                               f"dimensions i.e. input.dim() = {self.ndim} is not equal to "
                               f"len(dims) = {len(dims)}")
        dims = tuple(self._dim(d) for d in dims)
        if sorted(dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute(): dims {dims} are not a permutation")
        if dims == tuple(range(self.ndim)):
            return self
        return track_view(S.Permute.apply(self, dims), self, lambda t: t.permute(*dims))

    @named_node("TransposeBackward0")
    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> Any:
        """A view of ``input`` with dimensions ``dim0`` and ``dim1`` swapped.

        Args:
            dim0 (int): the first dimension.
            dim1 (int): the second dimension.

        Example::

            >>> latte.transpose(latte.zeros(2, 3, 4), 0, 2).shape
            latte.Size([4, 3, 2])
        """
        if self.ndim < 2 and self.ndim == 0:
            return self
        order = list(range(self.ndim))
        a, b = self._dim(dim0), self._dim(dim1)
        order[a], order[b] = order[b], order[a]
        return self.permute(*order)

    swapaxes = swapdims = transpose

    @named_node("TBackward0")
    def t(self) -> Any:
        """The transpose of a matrix (a view); 0-d and 1-D tensors are returned as they are.

        Example::

            >>> latte.t(latte.tensor([[1, 2, 3]]))
            tensor([[1],
                    [2],
                    [3]])
        """
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def movedim(self, source: Any, destination: Any) -> Any:
        """A view with dimension(s) ``source`` moved to position(s) ``destination``, the others
        keeping their order.

        Args:
            source (int or tuple of int): the dimensions to move.
            destination (int or tuple of int): where they go.

        Example::

            >>> latte.movedim(latte.zeros(2, 3, 4), 0, -1).shape
            latte.Size([3, 4, 2])
        """
        src = [source] if isinstance(source, builtins.int) else list(source)
        dst = [destination] if isinstance(destination, builtins.int) else list(destination)
        src = [self._dim(s) for s in src]
        dst = [self._dim(d) for d in dst]
        order = [d for d in range(self.ndim) if d not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def expand(self, *sizes: Any) -> Any:
        """Broadcast to ``sizes`` without copying; -1 keeps a dim."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({self.ndim})")
        shape = self._data.shape
        if -1 in sizes[:lead]:
            raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a "
                               f"leading, non-existing dimension {list(sizes).index(-1)}")
        target = tuple(shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        for i, s in enumerate(shape):
            if s != 1 and s != target[lead + i]:
                raise RuntimeError(
                    f"The expanded size of the tensor ({target[lead + i]}) must match the "
                    f"existing size ({s}) at non-singleton dimension {lead + i}.  Target sizes: "
                    f"{list(sizes)}.  Tensor sizes: {list(shape)}")
        if target == shape:
            return self
        return S.Expand.apply(self, target)

    def expand_as(self, other: Any) -> Any:
        return self.expand(other.shape)

    def broadcast_to(self, shape: Any) -> Any:
        """A read-only view of ``input`` broadcast to ``shape`` (as ``expand``).

        Args:
            shape (tuple of int): the shape; -1 keeps a dimension's size.

        Example::

            >>> latte.broadcast_to(latte.tensor([1, 2]), (2, 2))
            tensor([[1, 2],
                    [1, 2]])
        """
        return self.expand(shape)

    @named_node("RepeatBackward0")
    def repeat(self, *sizes: Any) -> Any:
        """Tile the tensor ``sizes[i]`` times along each dim (copies, like ``np.tile``)."""
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        shape = (1,) * (len(sizes) - self.ndim) + self._data.shape
        x = self.reshape(shape)
        interleaved, expanded = [], []
        for r, s in zip(sizes, shape):
            interleaved += [1, s]
            expanded += [r, s]
        out_shape = tuple(r * s for r, s in zip(sizes, shape))
        tiled = x.reshape(interleaved).expand(expanded)
        # always a copy, as PyTorch's: a repeat along size-1 dims would otherwise stay a
        # stride-0 view that aliases its rows and rejects in-place writes (div_ after repeat)
        tiled = tiled.clone() if tiled.is_contiguous() else tiled.contiguous()
        return tiled.reshape(out_shape)

    @named_node("RepeatBackward0")
    def tile(self, *dims: Any) -> Any:
        dims = _shape_args(dims)
        dims = (1,) * (self.ndim - len(dims)) + dims
        return self.repeat(*dims)

    def repeat_interleave(self, repeats: Any = None, dim: Any = None, *,
                          output_size: Any = None) -> Any:
        """Each element repeated ``repeats`` times in place, along ``dim`` (of the flattened tensor
        when ``dim`` is None).

        Args:
            repeats (int or Tensor): the number of copies of each element, one number for all
                or a 1-D tensor with one count per element along ``dim``. With ``repeats``
                left out, ``input`` is the counts and the result repeats ``arange(len(input))``.
            dim (int, optional): the dimension to repeat along.
            output_size (int, optional): the total length along ``dim``, checked when given.

        Example::

            >>> latte.repeat_interleave(latte.tensor([1, 2]), 2)
            tensor([1, 1, 2, 2])
            >>> latte.repeat_interleave(latte.tensor([[1, 2], [3, 4]]), latte.tensor([1, 2]), dim=0)
            tensor([[1, 2],
                    [3, 4],
                    [3, 4]])
        """
        if repeats is None:  # torch.repeat_interleave(counts): the indices, each counts[i] times
            counts = self._data
            if counts.ndim > 1 or counts.dtype.kind not in "iu":
                raise RuntimeError("repeat_interleave: repeats must be a 0-dim or 1-dim "
                                   "integer tensor")
            xp, counts = self._xp(), counts.reshape(-1)
            return function.Tensor(xp.repeat(xp.arange(counts.size), counts))
        x = self.flatten() if dim is None else self
        d = 0 if dim is None else x._dim(dim)
        shape = x._data.shape
        if isinstance(repeats, type(self)):
            if repeats.dim() > 1:
                raise RuntimeError("repeat_interleave: repeats must be 0-dim or 1-dim tensor")
            if repeats.dim() == 1 and repeats.numel() != 1:
                xp, counts = self._xp(), repeats._data.astype(np.int64)
                if counts.size != shape[d]:
                    raise RuntimeError(f"repeat_interleave: repeats must have the same size as "
                                       f"input along dim, but got repeats.size(0) = "
                                       f"{counts.size} and input.size({d}) = {shape[d]}")
                if (counts < 0).any():
                    raise RuntimeError("repeat_interleave: repeats can not be negative")
                if output_size is not None and builtins.int(counts.sum()) != output_size:
                    raise RuntimeError("repeat_interleave: output_size does not match the sum "
                                       "of repeats")
                index = xp.repeat(xp.arange(shape[d]), counts)
                return x.index_select(d, function.Tensor(index))
            repeats = builtins.int(repeats.item())
        if repeats < 0:
            raise RuntimeError("repeat_interleave: repeats can not be negative")
        y = x.unsqueeze(d + 1)
        target = shape[:d + 1] + (repeats,) + shape[d + 1:]
        return y.expand(target).reshape(shape[:d] + (shape[d] * repeats,) + shape[d + 1:])

    def narrow(self, dim: builtins.int, start: builtins.int, length: builtins.int) -> Any:
        """A view of ``length`` elements of dimension ``dim`` starting at ``start``.

        Args:
            dim (int): the dimension to narrow.
            start (int): the first index kept.
            length (int): how many indices are kept.

        Example::

            >>> latte.narrow(latte.arange(6), 0, 2, 3)
            tensor([2, 3, 4])
        """
        d = self._dim(dim)
        start, length, size = builtins.int(start), builtins.int(length), self._data.shape[d]
        if size and not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], "
                             f"but got {start})")
        if start < 0:
            start += size
        if length >= 0 and start + length > size:  # a negative length (internal) is empty
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({size}).")
        index = (slice(None),) * d + (slice(start, start + builtins.int(length)),)
        return self[index]

    def unfold(self, dimension: builtins.int, size: builtins.int, step: builtins.int) -> Any:
        """Every ``size``-long slice of ``dimension``, ``step`` apart, as a new last dim: a view.

        ``dimension`` becomes the number of slices ``(L - size) // step + 1``.
        """
        d = self._dim(dimension) if self.dim() > 0 else 0
        length = self._data.shape[d] if self.dim() > 0 else 1
        size, step = builtins.int(size), builtins.int(step)
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if size < 0 or size > length:
            raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size "
                               f"is {size} (tensor shape {list(self.shape)})")
        if self.dim() == 0:
            return self.reshape(1)[:size]
        return track_view(S.Unfold.apply(self, d, size, step), self,
                          lambda t: t.unfold(d, size, step))

    def split_with_sizes(self, split_sizes: Any, dim: builtins.int = 0) -> tuple:
        """Pieces of the given sizes along ``dim`` (views)."""
        return _multi_view(self.split(list(split_sizes), dim), "SplitWithSizes")

    @named_node(lambda self, split_size_or_sections, *a, **k: "SplitWithSizesBackward0"
                if isinstance(split_size_or_sections, (list, tuple)) else "SplitBackward0")
    def split(self, split_size_or_sections: Any, dim: builtins.int = 0) -> tuple:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or given sizes."""
        d = self._dim(dim)
        n = self._data.shape[d]
        if isinstance(split_size_or_sections, builtins.int):
            size = split_size_or_sections
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
            if n == 0:
                sizes = [0]
        else:
            sizes = list(split_size_or_sections)
            if builtins.sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                                   f"(input tensor's size at dimension {d}), but got "
                                   f"split_sizes={sizes}")
        pieces, start = [], 0
        for s in sizes:
            pieces.append(self.narrow(d, start, s))
            start += s
        return _multi_view(tuple(pieces), "Split" if isinstance(split_size_or_sections,
                                                                builtins.int) else "SplitWithSizes")

    def tensor_split(self, indices_or_sections: Any, dim: builtins.int = 0) -> tuple:
        """Split into ``indices_or_sections`` pieces of near-equal size along ``dim`` (the first
        ones one larger), or at the given indices; views of ``input``.

        Args:
            indices_or_sections (int or list of int): the number of pieces, or the indices to split
                before.
            dim (int): the dimension to split.

        Example::

            >>> latte.tensor_split(latte.arange(7), 3)
            (tensor([0, 1, 2]), tensor([3, 4]), tensor([5, 6]))
            >>> latte.tensor_split(latte.arange(7), [1, 5])
            (tensor([0]), tensor([1, 2, 3, 4]), tensor([5, 6]))
        """
        n = self._data.shape[self._dim(dim)]
        if isinstance(indices_or_sections, function.Tensor):  # 0-d: sections, 1-d: indices
            if indices_or_sections.dtype.is_floating_point or indices_or_sections.ndim > 1:
                raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                                   "zero-dimensional or one-dimensional tensor of int64")
            indices_or_sections = indices_or_sections.tolist()
        if not isinstance(indices_or_sections, builtins.int):
            cuts = [builtins.min(builtins.max(i + n if i < 0 else i, 0), n)
                    for i in indices_or_sections]
            bounds = [0, *cuts, n]
            return tuple(self.narrow(dim, a, builtins.max(b - a, 0))
                         for a, b in zip(bounds[:-1], bounds[1:]))
        if indices_or_sections <= 0:
            raise RuntimeError("number of sections must be larger than 0, got "
                               f"{indices_or_sections}")
        base, extra = divmod(n, indices_or_sections)
        return self.split([base + 1] * extra + [base] * (indices_or_sections - extra), dim)

    @named_node("SplitBackward0")
    def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple:
        """At most ``chunks`` pieces of equal size (the last may be smaller)."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self._data.shape[self._dim(dim)]
        size = -(-n // chunks) if n else 1
        return self.split(size, dim)

    @named_node("UnbindBackward0")
    def unbind(self, dim: builtins.int = 0) -> tuple:
        """The slices of ``input`` along ``dim``, as a tuple of views with that dimension removed.

        Args:
            dim (int): the dimension to remove.

        Example::

            >>> latte.unbind(latte.tensor([[1, 2], [3, 4]]))
            (tensor([1, 2]), tensor([3, 4]))
        """
        d = self._dim(dim)
        return _multi_view(tuple(self.select(d, i) for i in range(self._data.shape[d])), "Unbind")

    def select(self, dim: builtins.int, index: builtins.int) -> Any:
        """The slice at ``index`` of dimension ``dim``, which is removed (a view: ``x[:, index]``
        for ``dim=1``).

        Args:
            dim (int): the dimension to index.
            index (int): the index in it.

        Example::

            >>> latte.select(latte.tensor([[1, 2], [3, 4]]), 1, 0)
            tensor([1, 3])
        """
        d = self._dim(dim)
        return self[(slice(None),) * d + (builtins.int(index),)]

    def resize_(self, *sizes: Any) -> Any:
        """Give this tensor the shape ``sizes`` in place: the first elements (in memory order)
        are kept, new ones are uninitialised, as PyTorch."""
        shape = size_arg(sizes)
        if tuple(self.shape) == shape:
            return self
        if self.requires_grad and self.grad_fn is None:
            raise RuntimeError("cannot resize variables that require grad")
        n = math.prod(shape)
        flat = self._data.reshape(-1)
        if flat.size == n:
            data = flat.reshape(shape)
        else:
            data = backend.array_on(self._data, "empty", shape, dtype=self._data.dtype)
            keep = builtins.min(n, flat.size)
            backend.run_on(data, lambda: data.reshape(-1).__setitem__(slice(0, keep),
                                                                      flat[:keep]))
        self._data = data
        self._vc[0] += 1
        return self

    def flip(self, *dims: Any) -> Any:
        dims = tuple(self._dim(d) for d in _shape_args(dims))
        repeated = [d for i, d in enumerate(dims) if d in dims[:i]]
        if repeated:  # NumPy would flip that dim twice
            raise RuntimeError(f"dim {repeated[0]} appears multiple times in the list of dims")
        # a 0-d tensor has nothing to reverse: its dim 0 (or -1) names the tensor itself
        return S.Flip.apply(self, dims if self.ndim else ())

    def fliplr(self) -> Any:
        """The columns in reverse order (dimension 1 flipped); ``input`` is at least 2-D.

        Example::

            >>> latte.fliplr(latte.tensor([[1, 2], [3, 4]]))
            tensor([[2, 1],
                    [4, 3]])
        """
        return self.flip(1)

    def flipud(self) -> Any:
        """The rows in reverse order (dimension 0 flipped); ``input`` is at least 1-D.

        Example::

            >>> latte.flipud(latte.tensor([[1, 2], [3, 4]]))
            tensor([[3, 4],
                    [1, 2]])
        """
        return self.flip(0)

    @named_node("RollBackward0")
    def roll(self, shifts: Any, dims: Any = None) -> Any:
        """The elements shifted by ``shifts`` along ``dims``, those pushed off one end coming back
        at the other (flattened first when ``dims`` is None).

        Args:
            shifts (int or tuple of int): the shift per dimension.
            dims (int or tuple of int, optional): the dimensions to roll.

        Example::

            >>> latte.roll(latte.tensor([1, 2, 3, 4]), 1)
            tensor([4, 1, 2, 3])
        """
        if dims is None:
            return S.Roll.apply(self.flatten(), shifts, 0).reshape(self.shape)
        if isinstance(dims, builtins.int):
            return S.Roll.apply(self, shifts, self._dim(dims))
        return S.Roll.apply(self, tuple(shifts), tuple(self._dim(d) for d in dims))

    @named_node("Rot90Backward0")
    def rot90(self, k: builtins.int = 1, dims: Any = (0, 1)) -> Any:
        """``input`` rotated by 90 degrees ``k`` times in the plane of ``dims``, from the first axis
        toward the second.

        Args:
            k (int): the number of quarter turns.
            dims (tuple of two int): the plane of rotation.

        Example::

            >>> latte.rot90(latte.tensor([[1, 2], [3, 4]]))
            tensor([[2, 4],
                    [1, 3]])
        """
        a, b = dims
        k %= 4
        out = self
        for _ in range(k):
            out = out.flip(b).transpose(a, b)
        return out

    @named_node("TrilBackward0")
    def tril(self, diagonal: builtins.int = 0) -> Any:
        """Keep the lower triangle (``j <= i + diagonal``) of the last two dims."""
        mask = backend.array_on(self._data, "tri", *self._data.shape[-2:], k=diagonal,
                                dtype=bool)
        return self.where(function.Tensor(mask), self._zero())

    @named_node("TriuBackward0")
    def triu(self, diagonal: builtins.int = 0) -> Any:
        """Keep the upper triangle (``j >= i + diagonal``) of the last two dims."""
        xp, (n, m) = self._xp(), self._data.shape[-2:]
        mask = backend.run_on(self._data, lambda: ~xp.tri(n, m, k=diagonal - 1, dtype=bool))
        return self.where(function.Tensor(mask), self._zero())

    def _zero(self) -> Any:
        # a bool tensor keeps its dtype (a Python 0 would promote it to int64)
        return False if self._data.dtype.kind == "b" else 0

    def diagonal(self, offset: builtins.int = 0, dim1: builtins.int = 0,
                 dim2: builtins.int = 1) -> Any:
        """The diagonal ``offset`` of dims ``dim1`` and ``dim2``, as a new last dim: a view."""
        d1, d2, offset = self._dim(dim1), self._dim(dim2), builtins.int(offset)
        if d1 == d2:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return track_view(S.Diagonal.apply(self, offset, d1, d2), self,
                          lambda t: t.diagonal(offset, d1, d2))

    # --- splitting into views along fixed dimensions ----------------------------------------
    def _split_along(self, name: str, dim: builtins.int, sections: Any) -> tuple:
        need = {"hsplit": 1, "vsplit": 2, "dsplit": 3}[name]
        if self.ndim < need:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, "
                               f"but got a tensor with {self.ndim} dimensions!")
        if isinstance(sections, builtins.int):
            size = self._data.shape[dim]
            if sections <= 0 or size % sections:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but "
                                   f"the size of the dimension {size} is not divisible by the "
                                   f"split_size {sections}!")
            sections = list(range(size // sections, size, size // sections))  # slices, as PyTorch
        return self.tensor_split(sections, dim)

    def hsplit(self, indices_or_sections: Any) -> tuple:
        """Split column-wise into views: along dim 1 (dim 0 for 1-D tensors), into
        ``indices_or_sections`` equal pieces or at the given indices (as ``tensor_split``).

        Example::

            >>> latte.hsplit(latte.arange(6).reshape(2, 3), [1])
            (tensor([[0],
                    [3]]), tensor([[1, 2],
                    [4, 5]]))
        """
        return self._split_along("hsplit", 0 if self.ndim == 1 else 1, indices_or_sections)

    def vsplit(self, indices_or_sections: Any) -> tuple:
        """Split row-wise into views along dim 0 (at least 2-D), into equal pieces or at the
        given indices.

        Example::

            >>> [p.shape for p in latte.vsplit(latte.zeros(4, 2), 2)]
            [latte.Size([2, 2]), latte.Size([2, 2])]
        """
        return self._split_along("vsplit", 0, indices_or_sections)

    def dsplit(self, indices_or_sections: Any) -> tuple:
        """Split depth-wise into views along dim 2 (at least 3-D), into equal pieces or at the
        given indices.

        Example::

            >>> [p.shape for p in latte.dsplit(latte.zeros(1, 2, 4), [1])]
            [latte.Size([1, 2, 1]), latte.Size([1, 2, 3])]
        """
        return self._split_along("dsplit", 2, indices_or_sections)

    @named_node("ViewBackward0")
    def ravel(self) -> Any:
        """The elements of ``input`` as a 1-D tensor in row-major order (a view when
        contiguous, else a copy).

        Example::

            >>> latte.ravel(latte.tensor([[1, 2], [3, 4]]).t())
            tensor([1, 3, 2, 4])
        """
        return self.contiguous().view(-1)

    @named_node("NarrowCopyBackward0")
    def narrow_copy(self, dim: builtins.int, start: builtins.int, length: builtins.int) -> Any:
        """A copy (not a view) of ``length`` elements of dimension ``dim`` from ``start``.

        Example::

            >>> latte.narrow_copy(latte.arange(6), 0, 2, 3)
            tensor([2, 3, 4])
        """
        return self.narrow(dim, start, length).clone()

    # --- in-place shape changes: the tensor itself takes the new shape -----------------------
    def _reshape_in_place(self, node: str, forward: Any, inverse: Any) -> Any:
        """Give this tensor the shape (and strides) of the view ``forward(self)``, as PyTorch's
        ``unsqueeze_``...: its history becomes that view's (named ``node``), its version is
        bumped, and the views tracked on it read through ``inverse`` from the new shape."""
        if _state.enabled and self.requires_grad:
            history = self.grad_fn
            if history is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an "
                                   "in-place operation.")
            if history.is_view and self._data.base is not None and history._edges and \
                    history._edges[0][1] is None:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used "
                                   "in an in-place operation.")
        out = forward(self)
        if out is not self:
            plain = self.__dict__.get("_view_of") is None and (
                self.grad_fn is None or self._data.base is None or not self.grad_fn.is_view or
                self.__dict__.get("_shape_in_place", False))
            self._data = out._data
            if out.grad_fn is not None:
                self.grad_fn, self._output_nr = out.grad_fn, out._output_nr
                rename_node(self, node)
                if plain:  # a view of its own old memory only: writes into it need no base
                    self.__dict__["_shape_in_place"] = True
            view_of = self.__dict__.get("_view_of")
            if view_of is not None:
                root, fn = view_of
                self.__dict__["_view_of"] = (root, lambda t: forward(fn(t)))
            for view in list(self.__dict__.get("_views", ())):
                _, fn = view.__dict__["_view_of"]
                view.__dict__["_view_of"] = (self, lambda t, fn=fn: fn(inverse(t)))
        self._vc[0] += 1
        return self

    def unsqueeze_(self, dim: builtins.int) -> Any:
        """In-place :meth:`unsqueeze`: this tensor gets a new dimension of size 1 at ``dim``.

        Example::

            >>> x = latte.zeros(2, 3)
            >>> x.unsqueeze_(0).shape
            latte.Size([1, 2, 3])
        """
        d = dim % (self.ndim + 1) if -self.ndim - 1 <= dim <= self.ndim else dim
        return self._reshape_in_place("UnsqueezeBackward1", lambda t: t.unsqueeze(d),
                                      lambda t: t.squeeze(d))

    def squeeze_(self, dim: Any = None) -> Any:
        """In-place :meth:`squeeze`: this tensor loses its dimensions of size 1 (all, or those
        in ``dim``).

        Example::

            >>> x = latte.zeros(1, 2, 1)
            >>> x.squeeze_(0).shape
            latte.Size([2, 1])
        """
        shape = tuple(self._data.shape)
        node = "SqueezeBackward3" if dim is None else (
            "SqueezeBackward4" if isinstance(dim, builtins.int) else "SqueezeBackward5")
        return self._reshape_in_place(node, lambda t: t.squeeze(dim),
                                      lambda t: t.reshape(shape))

    def transpose_(self, dim0: builtins.int, dim1: builtins.int) -> Any:
        """In-place :meth:`transpose`: this tensor's dimensions ``dim0`` and ``dim1`` swap.

        Example::

            >>> x = latte.zeros(2, 3)
            >>> x.transpose_(0, 1).shape
            latte.Size([3, 2])
        """
        a, b = self._dim(dim0), self._dim(dim1)
        swap = lambda t: t.transpose(a, b)  # noqa: E731
        return self._reshape_in_place("TransposeBackward1", swap, swap)

    swapaxes_ = swapdims_ = transpose_

    def t_(self) -> Any:
        """In-place :meth:`t`: a matrix becomes its transpose (0-d and 1-D stay as they are).

        Example::

            >>> x = latte.zeros(2, 3)
            >>> x.t_().shape
            latte.Size([3, 2])
        """
        if self.ndim > 2:
            raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self._reshape_in_place("TBackward1", lambda t: t.t(), lambda t: t.t())

    tril_, triu_ = inplace("tril"), inplace("triu")

    def resize(self, *sizes: Any) -> Any:
        """This tensor's elements in the shape ``sizes`` (deprecated in PyTorch; as
        :meth:`reshape`, and the number of elements must stay the same).

        Example::

            >>> latte.arange(6).resize(2, 3).shape
            latte.Size([2, 3])
        """
        warnings.warn("non-inplace resize is deprecated", stacklevel=2)
        return self._resized(size_arg(sizes))

    def _resized(self, shape: tuple) -> Any:
        if math.prod(shape) != self.numel():
            raise RuntimeError(f"Requested resize to {list(shape)} ({math.prod(shape)} elements "
                               f"in total), but the given tensor has a size of "
                               f"{'x'.join(map(str, self.shape))} ({self.numel()} elements). "
                               f"autograd's resize can only change the shape of a given tensor, "
                               f"while preserving the number of elements.")
        return self.reshape(shape)

    def resize_as(self, the_template: Any) -> Any:
        """:meth:`resize` to ``the_template``'s shape.

        Example::

            >>> latte.arange(6).resize_as(latte.zeros(3, 2)).shape
            latte.Size([3, 2])
        """
        warnings.warn("non-inplace resize_as is deprecated", stacklevel=2)
        return self._resized(tuple(the_template.shape))

    def resize_as_(self, the_template: Any, *, memory_format: Any = None) -> Any:
        """:meth:`resize_` to ``the_template``'s shape, in place.

        Example::

            >>> latte.zeros(4).resize_as_(latte.zeros(2, 2)).shape
            latte.Size([2, 2])
        """
        return self.resize_(tuple(the_template.shape))

    # --- composed extras (latte/_functional/) ------------------------------------------------
    diff, slice_scatter, select_scatter = X.diff, X.slice_scatter, X.select_scatter
    diagonal_scatter, as_strided_scatter = X.diagonal_scatter, X.as_strided_scatter
