"""Which tensors are views of which: the bookkeeping that lets an in-place write through a view
rewrite its base's autograd history (PyTorch's ``_base`` and ``CopySlices``)."""
from __future__ import annotations

import builtins
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from latte.autograd.grad_mode import _state

__all__ = ["track_view"]


def track_view(view: Any, base: Any, view_fn: Callable, maybe_copy: builtins.bool = False) -> Any:
    """Remember that ``view`` is ``view_fn(base)`` on base's memory (PyTorch's ``_base``).

    An in-place write recorded by autograd through the view then rewrites the history of the
    root base, and a write into the root re-reads the history of its live views, so none of
    them keeps a stale one. Only done in grad mode, the only time a write is recorded, and not
    for views of leaves that require grad (writing through those is an error anyway).
    ``maybe_copy``: the op may have copied (reshape), so check that memory is really shared.
    """
    if not _state.enabled or view is base or (base.requires_grad and base.grad_fn is None) or \
            (maybe_copy and not np.may_share_memory(view._data, base._data)):
        return view
    parent = base.__dict__.get("_view_of")
    if parent is not None:
        root, parent_fn = parent
        view.__dict__["_view_of"] = (root, lambda t: view_fn(parent_fn(t)))
    else:
        root = base
        view.__dict__["_view_of"] = (base, view_fn)
    views = root.__dict__.get("_views")
    if views is None:
        views = root.__dict__["_views"] = weakref.WeakSet()
    views.add(view)
    return view
