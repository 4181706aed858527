"""``default_collate`` (samples -> batch) and ``default_convert`` (arrays -> tensors), with
PyTorch's rules: tensors and arrays stacked, numbers made tensors, containers collated field by
field.
"""
from __future__ import annotations

import collections.abc as abc
import copy
import re
from typing import Any

import numpy as np

import latte
from latte import backend
from latte.tensor import Tensor
from latte.utils.data.gathered import GatheredSamples

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")
_STRING_DTYPE = re.compile(r"[SaUO]")  # bytes, str and object arrays cannot become tensors


def default_collate(batch: Any) -> Any:
    """Merge a list of samples into a batch with a new leading dimension of size ``B``.

    * ``Tensor`` of shape ``S`` -> ``Tensor`` ``(B, *S)``; NumPy arrays likewise become tensors
    * Python ``float`` -> float64 tensor ``(B,)``; ``int`` -> int64; ``bool`` -> bool; NumPy
      scalars keep their dtype
    * ``str``/``bytes`` -> the list unchanged
    * dict -> dict of collated values; namedtuple -> namedtuple of collated fields; tuple ->
      list of collated fields; list -> list (all samples must have the same length)
    * :class:`GatheredSamples` (an array dataset's ``__getitems__``) -> its batched columns,
      already gathered, with no per-sample work

    Example::

        >>> default_collate([(latte.zeros(3), 0), (latte.ones(3), 1)])  # doctest: +SKIP
        [tensor of shape (2, 3), tensor([0, 1])]
    """
    if isinstance(batch, GatheredSamples):
        return batch.collated()
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    elem_type = type(elem)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(elem, np.ndarray):
            if _STRING_DTYPE.search(elem.dtype.str):
                raise TypeError(_ERR.format(elem.dtype))
            return _stack([Tensor(np.asarray(b)) for b in batch])
        if elem.shape == ():  # NumPy scalar
            return Tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return elem_type(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields  # PyTorch returns a list for tuple samples
        if isinstance(elem, abc.MutableSequence):
            clone = copy.copy(elem)
            clone[:] = fields
            return clone
        try:
            return elem_type(fields)
        except TypeError:
            return fields
    raise TypeError(_ERR.format(elem_type))


def default_convert(data: Any) -> Any:
    """Turn NumPy arrays inside ``data`` into tensors, leaving the structure as it is.

    The ``collate_fn`` used when ``batch_size=None`` (no batching).

    Example::

        >>> default_convert({"x": np.zeros(3)})  # doctest: +SKIP
        {'x': tensor([0., 0., 0.])}
    """
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "bytes_"):
        if isinstance(data, np.ndarray) and _STRING_DTYPE.search(data.dtype.str):
            return data
        return Tensor(np.asarray(data))
    if isinstance(data, abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            return elem_type(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        if isinstance(data, abc.MutableSequence):
            clone = copy.copy(data)
            clone[:] = converted
            return clone
        try:
            return elem_type(converted)
        except TypeError:
            return converted
    return data


def _stack(tensors: list) -> Tensor:
    """Stack along a new dim 0 on the samples' device: one copy, or ``latte.stack`` when a
    graph must be kept."""
    first = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != first:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(first)} at entry 0 and {list(t.shape)} at entry {i}")
    if any(t.requires_grad for t in tensors):
        return latte.stack(tensors)
    arrays = [t._data for t in tensors]
    if type(arrays[0]) is not np.ndarray:  # GPU samples stack on their GPU (mixed: an error)
        return Tensor(backend.run_on(arrays[0], np.stack, arrays))
    return Tensor(np.stack(arrays))
