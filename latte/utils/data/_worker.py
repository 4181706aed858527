"""The worker side of multi-process loading: the loop each worker process runs, its seeding,
``get_worker_info``, and the wrapper that carries a worker's exception back to the main process.

Everything here is importable at module level, so the ``spawn`` start method (the default on
macOS and Windows) can find ``_worker_loop`` in the child.
"""
from __future__ import annotations

import io
import os
import queue
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

import latte
from latte.utils.data._fetch import create_fetcher

__all__ = ["WorkerInfo", "get_worker_info"]

# seconds a worker waits for work before checking that its parent lives and that the main
# process has not asked it to stop (a stop message sent from a garbage-collected iterator can
# be lost with its queue's feeder thread; the done event cannot)
MP_STATUS_CHECK_INTERVAL = 0.5


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed`` and its ``dataset``
    copy. Read-only."""

    __initialized = False

    def __init__(self, **kwargs: Any) -> None:
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key: str, val: Any) -> None:
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{type(self).__name__}({items})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker, its :class:`WorkerInfo`; in the main process, ``None``.

    Use it in ``IterableDataset.__iter__`` or ``worker_init_fn`` to shard work per worker.

    Example::

        >>> info = get_worker_info()
        >>> mine = (range(info.id, total, info.num_workers) if info
        ...         else range(total))  # doctest: +SKIP
    """
    return _worker_info


class ExceptionWrapper:
    """An exception's type and formatted traceback, picklable, to re-raise in another process."""

    def __init__(self, exc_info: Any = None, where: str = "in background") -> None:
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self) -> None:
        """Raise the same exception type with "Caught X in ... Original Traceback ..." text."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError would repr() the text into one long line
        try:
            exception = self.exc_type(msg)
        except Exception:  # an exception type whose constructor needs other arguments
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return self


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back as a handshake."""


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed latte's default generator, ``random`` and NumPy's global RNG, as PyTorch does."""
    seed = base_seed + worker_id
    random.seed(seed)
    latte.manual_seed(seed)
    # NumPy's legacy seeding takes 32-bit words: derive them from both numbers
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _worker_loop(is_iterable: bool, dataset: Any, index_queue: Any, data_queue: Any,
                 done_event: Any, auto_collation: bool, collate_fn: Callable, drop_last: bool,
                 base_seed: int, init_fn: Callable | None, worker_id: int, num_workers: int,
                 persistent_workers: bool) -> None:
    """Fetch the batches whose indices arrive on ``index_queue``; put ``(idx, batch)`` results
    (pickled here, so that an unpicklable batch becomes an error rather than a lost message) on
    ``data_queue``. ``None`` on the index queue means: stop."""
    global _worker_info
    parent = os.getppid()
    try:
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                     drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=where)

        iteration_end = False
        while os.getppid() == parent:  # the parent died: nobody will read what we make
            try:
                message = index_queue.get(timeout=MP_STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    break
                continue
            if isinstance(message, _ResumeIteration):
                data_queue.put(_dumps(message, None, where))
                iteration_end = False
                if init_exception is None:  # a fresh pass over an IterableDataset
                    fetcher = create_fetcher(is_iterable, dataset, auto_collation, collate_fn,
                                             drop_last)
                continue
            if message is None:
                break
            if done_event.is_set() or iteration_end:
                continue  # drain the queue until the stop signal
            idx, index = message
            if init_exception is not None:
                data = init_exception  # every batch reports why this worker cannot load
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not is_iterable:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            data_queue.put(_dumps(idx, data, where))
            del data, index, message
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C
    if done_event.is_set() or os.getppid() != parent:
        # the main process stopped reading, or died (killed): exit without flushing results
        # nobody wants. Flushing would block for ever once the pipe is full, since the other
        # workers hold its read end open: orphans that keep the dead job's pipes and memory
        data_queue.cancel_join_thread()
        data_queue.close()


def _pickle(obj: Any) -> bytes:
    # batches travel by copy even where latte.multiprocessing sends tensors by handle: a worker
    # may exit before the main process reads what it sent, and the handle would die with it
    buffer = io.BytesIO()
    pickler = ForkingPickler(buffer)
    for cls in (latte.Tensor, latte.nn.Parameter):
        pickler.dispatch_table.pop(cls, None)
    pickler.dump(obj)
    return buffer.getvalue()


def _dumps(idx: int, data: Any, where: str) -> bytes:
    try:
        return _pickle((idx, data))
    except Exception:
        return _pickle((idx, ExceptionWrapper(where=where)))
