"""``GatheredSamples``: a batch of samples fetched with one fancy-indexing gather per tensor.

This is Latte's fast path for array-backed datasets. ``DataLoader`` calls a dataset's
``__getitems__(indices)`` when it has one (as PyTorch 2.x does) and hands the result to
``collate_fn``. PyTorch's contract is that ``__getitems__`` returns a *list of samples*; array
datasets return this read-only sequence of samples instead, which stores the samples already
batched (``columns``). ``default_collate`` recognises it and returns the columns as they are,
skipping the per-sample loop and the stack; any other ``collate_fn`` sees an ordinary sequence
whose items are the samples ``dataset[i]`` would return.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from latte import backend
from latte.tensor import Tensor

__all__ = ["GatheredSamples", "gather_rows"]


def gather_rows(tensor: Tensor, indices: Any) -> Tensor:
    """``tensor[indices]`` along dim 0 as one ``take`` (the graph is kept if it needs grad); the
    rows stay on the tensor's device.

    ``indices`` is a list or 1-D integer array; the result has shape ``(len(indices), *rest)``.
    """
    index = np.asarray(indices, dtype=np.intp)
    if tensor.requires_grad:
        return tensor[Tensor(index)]
    data = tensor._data
    if type(data) is not np.ndarray:  # a dataset on the GPU: the index goes over (one copy)
        index = backend.to_device(index, backend.device_of(data))
        return Tensor(backend.run_on(data, np.take, data, index, axis=0))
    return Tensor(np.take(data, index, axis=0))


class GatheredSamples(Sequence):
    """A sequence of samples stored as batched columns (one tensor per sample field).

    ``columns`` is one ``Tensor`` (each sample is a row), a tuple/list of tensors (each sample is
    a tuple), or a dict of tensors (each sample is a dict); all share the batch size in dim 0.
    ``default_collate`` returns the columns directly: a tensor, a list, or a dict, exactly what it
    would build by stacking the samples one by one.

    Example::

        >>> # images: (N, 1, 28, 28)
        >>> batch = GatheredSamples((images[idx], labels[idx]))  # doctest: +SKIP
        >>> # one sample, as dataset[i]
        >>> image, label = batch[0]  # doctest: +SKIP
        >>> # [images[idx], labels[idx]]
        >>> default_collate(batch)  # doctest: +SKIP
    """

    __slots__ = ("columns", "_n")

    def __init__(self, columns: Any) -> None:
        self.columns = columns
        first = _first(columns)
        self._n = first.shape[0]
        for col in _values(columns):
            if col.shape[0] != self._n:
                raise ValueError(f"GatheredSamples: every column needs the same batch size, got "
                                 f"{self._n} and {col.shape[0]}")

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        cols = self.columns
        if isinstance(cols, Tensor):
            return cols[i]
        if isinstance(cols, Mapping):
            return {k: v[i] for k, v in cols.items()}
        return tuple(c[i] for c in cols)

    def collated(self) -> Any:
        """The batch as ``default_collate`` gives it: tensor, list of tensors, or dict."""
        cols = self.columns
        if isinstance(cols, Tensor):
            return cols
        if isinstance(cols, Mapping):
            return dict(cols)
        return list(cols)

    def __repr__(self) -> str:
        return f"GatheredSamples(len={self._n})"


def _values(columns: Any) -> list:
    if isinstance(columns, Tensor):
        return [columns]
    if isinstance(columns, Mapping):
        return list(columns.values())
    return list(columns)


def _first(columns: Any) -> Tensor:
    values = _values(columns)
    if not values:
        raise ValueError("GatheredSamples needs at least one column")
    return values[0]
