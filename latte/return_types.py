"""Named tuples returned by ops with two results, as ``torch.return_types``."""
from __future__ import annotations

from collections import namedtuple

__all__ = ["values_indices", "aminmax", "histogram"]

# ``max(dim)``, ``sort``, ``topk``, ``cummax``...: ``out.values`` and ``out.indices``
values_indices = namedtuple("values_indices", ["values", "indices"])

# ``aminmax``: ``out.min`` and ``out.max``
aminmax = namedtuple("aminmax", ["min", "max"])

# ``histogram``: the counts and the ``bins + 1`` edges
histogram = namedtuple("histogram", ["hist", "bin_edges"])
