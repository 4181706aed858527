"""Named tuples returned by ops with two results, as ``torch.return_types``."""
from __future__ import annotations

from collections import namedtuple

__all__ = ["values_indices"]

# ``max(dim)``, ``sort``, ``topk``, ``cummax``...: ``out.values`` and ``out.indices``
values_indices = namedtuple("values_indices", ["values", "indices"])
