"""The iterators a ``DataLoader`` hands out: one that loads in the calling process, and one that
drives worker processes and reassembles their batches in sampler order.
"""
from __future__ import annotations

import atexit
import itertools
import multiprocessing
import pickle
import queue
import signal
import time
import warnings
from typing import Any

import latte
from latte.utils.data import _worker
from latte.utils.data._fetch import create_fetcher

# main-process wait between liveness checks of the workers (a dead worker is reported this fast)
_STATUS_CHECK_INTERVAL = 1.0

# how long shutdown waits for a worker to finish its current batch before terminating it
_JOIN_TIMEOUT = 5.0

_python_exiting = False


def _set_python_exiting() -> None:
    # at interpreter exit, queues and pipes may already be torn down: skip the polite shutdown
    # (daemon workers are terminated by multiprocessing's own exit handler)
    global _python_exiting
    _python_exiting = True


atexit.register(_set_python_exiting)


def _dead_workers_message(workers: list, dead: list[int]) -> str:
    """PyTorch's "DataLoader worker (pid(s) ...) exited unexpectedly", with each worker's id and
    how it ended (a signal, e.g. SIGKILL from the out-of-memory killer, or an exit code)."""
    how = []
    for i in dead:
        code = workers[i].exitcode
        if code is not None and code < 0:
            try:
                ending = f"killed by signal {signal.Signals(-code).name}"
            except ValueError:
                ending = f"killed by signal {-code}"
        else:
            ending = f"exit code {code}"
        how.append(f"worker {i} (pid {workers[i].pid}) {ending}")
    pids = ", ".join(str(workers[i].pid) for i in dead)
    codes = ", ".join(str(workers[i].exitcode) for i in dead)
    return (f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) {codes}): "
            f"{'; '.join(how)}. "
            "A fresh iterator starts new workers; if this repeats, the machine may be short "
            "of memory (the out-of-memory killer sends SIGKILL)")


class _BaseIter:
    def __init__(self, loader: Any) -> None:
        self._dataset = loader.dataset
        self._is_iterable = loader._is_iterable
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._collate_fn = loader.collate_fn
        self._timeout = loader.timeout
        self._sampler_iter = iter(self._index_sampler)
        # drawn once per iterator, as PyTorch: workers seed themselves from it plus their id
        # (the headroom keeps base + id inside int64)
        self._base_seed = int(latte.random._rng(loader.generator).integers(0, 2**63 - 1024))
        self._num_yielded = 0
        self._len_hint = loader._len_hint

    def __iter__(self) -> _BaseIter:
        return self

    def _reset(self, loader: Any, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._len_hint = loader._len_hint

    def _next_index(self) -> Any:
        return next(self._sampler_iter)

    def _next_data(self) -> Any:
        raise NotImplementedError

    def __next__(self) -> Any:
        data = self._next_data()
        self._num_yielded += 1
        if self._is_iterable and self._len_hint is not None \
                and self._num_yielded > self._len_hint:
            warnings.warn(f"Length of IterableDataset {self._dataset} was reported to be "
                          f"{self._len_hint} (when accessing len(dataloader)), but "
                          f"{self._num_yielded} samples have been fetched.", stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader: Any) -> None:
        super().__init__(loader)
        self._fetcher = create_fetcher(self._is_iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)

    def _next_data(self) -> Any:
        return self._fetcher.fetch(self._next_index())  # StopIteration ends the epoch


class _MultiProcessIter(_BaseIter):
    """Round-robin task dispatch to ``num_workers`` processes, ``prefetch_factor`` tasks each in
    flight; results are buffered by task number so batches come out in sampler order."""

    _shutdown = True  # until workers exist: __del__ of a half-built iterator has nothing to do

    def __init__(self, loader: Any) -> None:
        super().__init__(loader)
        self._prefetch_factor = loader.prefetch_factor
        self._persistent_workers = loader.persistent_workers
        self._in_order = loader.in_order
        self._shutdown = False
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self._data_queue = ctx.Queue()
        self._workers_done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        for worker_id in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()  # never block interpreter exit on unsent indices
            w = ctx.Process(
                target=_worker._worker_loop,
                args=(self._is_iterable, self._dataset, index_queue, self._data_queue,
                      self._workers_done_event, self._auto_collation, self._collate_fn,
                      self._drop_last, self._base_seed, loader.worker_init_fn, worker_id,
                      self._num_workers, self._persistent_workers),
                daemon=True)  # dies with the main process
            try:
                w.start()
            except BaseException:
                self._workers.append(w)  # so shutdown cleans up the ones already started
                self._workers_status = [True] * len(self._workers)
                self._index_queues.append(index_queue)
                self._shutdown_workers()
                raise
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._reset(loader, first_iter=True)

    def _reset(self, loader: Any, first_iter: bool = False) -> None:
        super()._reset(loader, first_iter)
        self._send_idx = 0  # next task number to send
        self._rcvd_idx = 0  # next task number to return
        self._task_info: dict = {}  # task -> (worker,) while pending, (worker, data) when early
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:  # persistent workers: start a new epoch, wait for every handshake
            for q in self._index_queues:
                q.put(_worker._ResumeIteration())
            pending = self._num_workers
            while pending:
                idx, _ = self._get_data()
                if isinstance(idx, _worker._ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_get_data(self, timeout: float) -> tuple:
        try:
            return True, pickle.loads(self._data_queue.get(timeout=timeout))
        except Exception as e:
            dead = [i for i, w in enumerate(self._workers)
                    if self._workers_status[i] and not w.is_alive()]
            if dead:
                self._shutdown_workers()
                raise RuntimeError(_dead_workers_message(self._workers, dead)) from e
            if isinstance(e, queue.Empty):
                return False, None
            raise

    def _get_data(self) -> tuple:
        # wait in short slices so that a dead worker is reported at once, not at the deadline
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            ok, data = self._try_get_data(wait)
            if ok:
                return data

    def _next_data(self) -> Any:
        while True:
            # skip tasks that a worker which ran out of its IterableDataset will never answer
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # arrived earlier, out of order
                _, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data)
            if self._shutdown:
                raise RuntimeError("DataLoader iterator was used after its workers shut down")
            idx, data = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(data, _worker._IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                if not self._in_order:
                    self._task_info.pop(idx)
                    return self._process_data(data)
                self._task_info[idx] += (data,)
                continue
            self._task_info.pop(idx)
            self._rcvd_idx += 1
            return self._process_data(data)

    def _try_put_index(self) -> None:
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):  # next worker that is still producing
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data: Any) -> Any:
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()  # the iterator stays usable, as PyTorch's: next() goes on
        return data

    def _mark_worker_as_unavailable(self, worker_id: int) -> None:
        self._index_queues[worker_id].put(None)  # the worker exits its loop
        self._workers_status[worker_id] = False

    def _shutdown_workers(self) -> None:
        if _python_exiting or self._shutdown:
            return
        self._shutdown = True
        try:
            self._workers_done_event.set()
            for worker_id in range(len(self._workers)):
                if self._persistent_workers or self._workers_status[worker_id]:
                    self._mark_worker_as_unavailable(worker_id)
            for w in self._workers:
                w.join(timeout=_JOIN_TIMEOUT)
            for q in self._index_queues:
                q.cancel_join_thread()
                q.close()
            self._data_queue.cancel_join_thread()
            self._data_queue.close()
        finally:
            for w in self._workers:
                if w.is_alive():
                    w.terminate()

    def __del__(self) -> None:
        self._shutdown_workers()
