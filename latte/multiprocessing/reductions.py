"""Tensors cross process boundaries by handle: the pickler sends the descriptor of the shared
file a tensor lives in (moving the tensor into shared memory first, as PyTorch does), and the
receiver maps the same pages, so writes on either side are seen by both.

Registered on ``multiprocessing``'s ``ForkingPickler`` when :mod:`latte.multiprocessing` is
imported; it then applies to ``Queue``, ``Pipe``, ``Pool`` and the arguments of processes
started with ``spawn`` or ``forkserver``. Plain ``pickle`` (``latte.save``) still copies.
"""
from __future__ import annotations

import multiprocessing
import threading
import time
from multiprocessing import resource_sharer, util
from multiprocessing.reduction import DupFd, ForkingPickler
from typing import Any

import numpy as np

from latte import _storage
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["init_reductions", "rebuild_tensor", "reduce_tensor"]


def _refuse_non_leaf(tensor: Tensor) -> None:
    if tensor.requires_grad and not tensor.is_leaf:
        raise RuntimeError(
            "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
            "does not support crossing process boundaries.  If you just want to transfer the "
            "data, call detach() on the tensor before serializing (e.g., putting it on the "
            "queue).")


def reduce_tensor(tensor: Tensor) -> tuple:
    """What a Tensor (or Parameter) pickles as in multiprocessing: its shared file's descriptor,
    the byte offset and the layout, plus ``requires_grad`` and the class."""
    _refuse_non_leaf(tensor)
    if tensor.is_cuda:  # GPU memory does not map across processes here: send a copy
        return (_rebuild_copy, (type(tensor), tensor._data, tensor.requires_grad))
    tensor.share_memory_()
    mapping, offset = _storage.shared_location(tensor._data)
    array = tensor._data
    return (rebuild_tensor, (type(tensor), DupFd(mapping.fd), len(mapping), offset,
                             array.dtype.str, array.shape, array.strides, tensor.requires_grad))


def rebuild_tensor(cls: type, fd: Any, nbytes: int, offset: int, dtype: str, shape: tuple,
                   strides: tuple, requires_grad: bool) -> Tensor:
    """The receiving side of :func:`reduce_tensor`: the same pages, mapped in this process."""
    mapping = _storage.map_shared(fd.detach(), nbytes)
    array = _storage.array_in(mapping, offset, np.dtype(dtype), shape, strides)
    return _wrap(cls, array, requires_grad)


def _rebuild_copy(cls: type, array: Any, requires_grad: bool) -> Tensor:
    return _wrap(cls, array, requires_grad)


def _wrap(cls: type, array: Any, requires_grad: bool) -> Tensor:
    if issubclass(cls, Parameter):
        return cls(Tensor(array), requires_grad)
    return Tensor(array, requires_grad)


_EXIT_WAIT_S = 30.0  # at most, for receivers to fetch what this process sent
_FLUSH_WAIT_S = 1.0  # at most, for the queues' feeder threads to pickle what is buffered


class _ExitWait:
    """Holds the exit hook of this process (registered again in each forked child, whose
    finalizers multiprocessing clears)."""

    def register(self) -> None:
        # a descriptor sent through a queue is handed over only when the receiver unpickles
        # it, by this process's resource sharer: a process that puts tensors and exits at once
        # (the usual child) must stay until they are fetched, or the receiver gets "connection
        # reset". The wait runs after the queues are told to close (exit priority 10) and
        # before the sharer's socket is removed (priority 0).
        util.Finalize(None, _wait_for_receivers, exitpriority=5)


_exit_wait = _ExitWait()
_registered: list = []


def _pending_handles() -> int:
    sharer = resource_sharer._resource_sharer
    with sharer._lock:
        return len(sharer._cache)


def _peers_alive() -> bool:
    parent = multiprocessing.parent_process()
    return (parent is not None and parent.is_alive()) or bool(multiprocessing.active_children())


def _wait_for_receivers() -> None:
    # the feeder threads pickle what is still buffered, which registers its descriptors
    flush_deadline = time.monotonic() + _FLUSH_WAIT_S
    for thread in threading.enumerate():
        if thread.name == "QueueFeederThread":
            thread.join(max(0.0, flush_deadline - time.monotonic()))
    deadline = time.monotonic() + _EXIT_WAIT_S
    while _pending_handles() and _peers_alive() and time.monotonic() < deadline:
        time.sleep(0.01)


def init_reductions() -> None:
    """Register :func:`reduce_tensor` for Tensor and Parameter (idempotent)."""
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, reduce_tensor)
    if not _registered:
        _registered.append(True)
        _exit_wait.register()
        util.register_after_fork(_exit_wait, _ExitWait.register)
