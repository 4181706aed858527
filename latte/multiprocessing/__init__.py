"""``torch.multiprocessing`` for Latte: the standard library's ``multiprocessing`` with tensors
that travel by handle, plus :func:`spawn`.

Everything of :mod:`multiprocessing` is here (``Process``, ``Queue``, ``SimpleQueue``, ``Pool``,
``Manager``, ``Event``, ``Lock``, ``get_context``, ``set_start_method``, ``cpu_count`` ...).
Importing this module registers a reducer on ``multiprocessing``'s pickler: a tensor sent
through a queue, a pipe or as a process argument is moved into shared memory
(``Tensor.share_memory_``) and the receiver maps the same memory. ``Module.share_memory()``
before starting processes lets them all train one model (Hogwild).

Example::

    >>> import latte, latte.multiprocessing as mp
    >>> def fill(q):
    ...     q.get().fill_(7.0)          # written in the child ...
    >>> t = latte.zeros(3)
    >>> q = mp.Queue(); p = mp.Process(target=fill, args=(q,)); p.start()
    >>> q.put(t); p.join()
    >>> t                               # ... seen by the parent
    tensor([7., 7., 7.])
"""
from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F403  (Process, Queue, Pool, get_context, ...)

from latte.multiprocessing.reductions import init_reductions
from latte.multiprocessing.spawn import (
    ProcessContext,
    ProcessException,
    ProcessExitedException,
    ProcessRaisedException,
    spawn,
    start_processes,
)

__all__ = [*multiprocessing.__all__, "ProcessContext", "ProcessException",
           "ProcessExitedException", "ProcessRaisedException", "spawn", "start_processes",
           "get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy"]

_STRATEGIES = ("file_descriptor", "file_system")
_strategy = "file_descriptor"


def get_all_sharing_strategies() -> set[str]:
    """The strategies :func:`set_sharing_strategy` accepts."""
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    return _strategy


def set_sharing_strategy(new_strategy: str) -> None:
    """Accepted for PyTorch scripts; both strategies share through file descriptors of
    anonymous files in Latte, which leave nothing to clean up in ``/dev/shm``."""
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise ValueError(f"unknown sharing strategy {new_strategy!r}; expected one of "
                         f"{sorted(_STRATEGIES)}")
    _strategy = new_strategy


init_reductions()
