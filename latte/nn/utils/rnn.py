"""Variable-length batches for recurrent layers: padding and ``PackedSequence``.

A packed sequence stores the steps of a batch sorted by decreasing length, time-major:
``data`` (sum of lengths, *) holds step 0 of every sequence, then step 1 of those still
running, ...; ``batch_sizes[t]`` (a CPU int64 tensor) counts the sequences running at step t.
Conversions between padded and packed layouts are one gather each (differentiable), with the
gather index built on the host from ``batch_sizes`` (host data, as in PyTorch).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from latte import creation, dtypes
from latte.backend import device
from latte.functional import cat, stack
from latte.tensor import Tensor

__all__ = ["PackedSequence", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence", "invert_permutation"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)`` of a packed batch.

    Build it with :func:`pack_padded_sequence` or :func:`pack_sequence`, never by hand;
    recurrent layers accept it and return one.
    """

    def __new__(cls, data: Tensor, batch_sizes: Tensor | None = None,
                sorted_indices: Tensor | None = None,
                unsorted_indices: Tensor | None = None) -> PackedSequence:
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = _invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` and the index tensors moved/cast (``batch_sizes`` stays on the CPU)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        return type(self)(data, self.batch_sizes,
                          None if self.sorted_indices is None else self.sorted_indices.to(dev),
                          None if self.unsorted_indices is None else
                          self.unsorted_indices.to(dev))

    def cuda(self, *args: Any, **kwargs: Any) -> PackedSequence:
        return self.to(device("cuda") if not args else args[0], **kwargs)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def double(self) -> PackedSequence:
        return self.to(dtype=dtypes.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=dtypes.float32)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return False


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse permutation: ``out[permutation[i]] = i`` (None stays None), how a
    ``PackedSequence`` finds ``unsorted_indices`` from ``sorted_indices``.

    Example::

        >>> nn.utils.rnn.invert_permutation(latte.tensor([2, 0, 1]))
        tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    return _invert_permutation(permutation)


def _invert_permutation(perm: Tensor) -> Tensor:
    out = creation.empty_like(perm)
    out[perm] = creation.arange(perm.numel(), device=perm.device)
    return out


def _host_ints(values: Any) -> np.ndarray:
    """Lengths given as a list or a tensor, as host int64 (PyTorch wants them on the CPU)."""
    if isinstance(values, Tensor):
        if values.is_cuda or values.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{values.dim()}D {values.device.type} {values.dtype} tensor")
        return values.numpy().astype(np.int64)
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _pack_index(batch_sizes: Sequence[int]) -> np.ndarray:
    """Flat positions ``t * N + b`` in a (T, N) padded layout of the packed rows, in order."""
    n = batch_sizes[0]
    return np.concatenate([t * n + np.arange(bs) for t, bs in enumerate(batch_sizes)])


def _on(index: np.ndarray, like: Tensor) -> Tensor:
    return creation.as_tensor(index, device=like.device)


def packed_to_padded(data: Tensor, batch_sizes: Sequence[int],
                     padding_value: float = 0.0) -> Tensor:
    """``(sum, *) -> (T, N, *)`` in the packed (sorted) batch order, ``padding_value`` past each
    sequence's end."""
    steps, n = len(batch_sizes), batch_sizes[0]
    source = np.full(steps * n, data.shape[0], dtype=np.int64)  # the padding row by default
    source[_pack_index(batch_sizes)] = np.arange(data.shape[0])
    pad_row = data.new_full((1, *data.shape[1:]), padding_value)
    return cat([data, pad_row])[_on(source, data)].reshape(steps, n, *data.shape[1:])


def padded_to_packed(padded: Tensor, batch_sizes: Sequence[int]) -> Tensor:
    """``(T, N, *) -> (sum, *)``: the rows of the running sequences, step by step."""
    flat = padded.reshape(padded.shape[0] * padded.shape[1], *padded.shape[2:])
    return flat[_on(_pack_index(batch_sizes), padded)]


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) of sequences of
    ``lengths``. With ``enforce_sorted=False`` the batch is sorted by length first and the
    permutation kept in ``sorted_indices``.

    Example::

        >>> x = latte.randn(5, 3, 8)                        # T=5, B=3
        >>> packed = pack_padded_sequence(x, [5, 3, 2])
        >>> packed.batch_sizes
        tensor([3, 3, 2, 1, 1])
    """
    lengths = _host_ints(lengths)
    batch_size = input.shape[0 if batch_first else 1]
    if lengths.size != batch_size:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lengths.size} (batch_size={batch_size})")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if enforce_sorted:
        if np.any(lengths[:-1] < lengths[1:]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _on(order, input)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    if lengths[0] > input.shape[0]:
        raise RuntimeError(f"Expected all lengths <= the padded length {input.shape[0]}, "
                           f"got {int(lengths[0])}")
    batch_sizes = [int((lengths > t).sum()) for t in range(int(lengths[0]))]
    data = padded_to_packed(input, batch_sizes)
    return PackedSequence(data, creation.tensor(batch_sizes, dtype=dtypes.int64), sorted_indices,
                          None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo :func:`pack_padded_sequence`: ``(padded, lengths)`` in the original batch order;
    ``padded`` is ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``), ``T = total_length`` when
    given, and ``lengths`` a CPU int64 tensor."""
    batch_sizes = [int(b) for b in sequence.batch_sizes.tolist()]
    padded = packed_to_padded(sequence.data, batch_sizes, padding_value)
    if total_length is not None:
        if total_length < padded.shape[0]:
            raise ValueError(f"Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {padded.shape[0]}")
        extra = padded.new_full((total_length - padded.shape[0], *padded.shape[1:]),
                                padding_value)
        padded = cat([padded, extra])
    sizes = np.asarray(batch_sizes)
    lengths = (sizes[None, :] > np.arange(batch_sizes[0])[:, None]).sum(1)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[sequence.unsorted_indices.cpu().numpy()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, creation.tensor(lengths, dtype=dtypes.int64)


def pad_sequence(sequences: Sequence[Tensor] | Tensor, batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack tensors ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``),
    filling with ``padding_value`` on ``padding_side`` ('right' or 'left')."""
    if padding_side not in ("right", "left"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: every sequence needs the trailing shape "
                               f"{trailing} of the first, got one of shape {tuple(s.shape)}")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        missing = longest - s.shape[0]
        if missing:
            fill = s.new_full((missing, *s.shape[1:]), padding_value)
            s = cat([s, fill] if padding_side == "right" else [fill, s])
        rows.append(s)
    return stack(rows, 0 if batch_first else 1)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of tensors ``(L_i, *)`` (sorted by decreasing length unless
    ``enforce_sorted=False``)."""
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """The list of unpadded tensors ``(L_i, *)`` of a padded batch."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_host_ints(lengths))]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of tensors ``(L_i, *)`` of a packed batch, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
