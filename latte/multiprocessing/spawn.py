"""``spawn``/``start_processes``: run ``fn(i, *args)`` in ``nprocs`` processes, as
``torch.multiprocessing.spawn`` does, with a child's failure raised in the parent.

A child that raises sends its formatted traceback back (through a temporary file) and the
parent raises :class:`ProcessRaisedException` with it; a child killed by a signal or exiting
with a non-zero code gives :class:`ProcessExitedException`. Either way the remaining children
are terminated first, so a failed job never leaves processes behind.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "spawn", "start_processes"]


class ProcessException(Exception):
    """A child process of :func:`spawn` failed: ``error_index`` is its ``i``, ``error_pid`` its
    process id."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A child raised an exception; the message holds the child's traceback."""


class ProcessExitedException(ProcessException):
    """A child was killed by a signal (``signal_name``) or exited with ``exit_code`` != 0."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self) -> tuple:
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _wrap(fn: Callable, i: int, args: tuple, error_file: str) -> None:
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent interrupted the job
    except Exception:
        with open(error_file, "wb") as fh:
            pickle.dump(traceback.format_exc(), fh)
        sys.exit(1)


class ProcessContext:
    """The processes :func:`spawn` started: ``join()`` them, ``pids()``."""

    def __init__(self, processes: list, error_files: list[str]) -> None:
        self.processes, self.error_files = processes, error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def _join_all(self, timeout: float) -> None:
        end = time.monotonic() + timeout
        for p in self.processes:
            p.join(max(0.0, end - time.monotonic()))

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait for the processes: ``True`` once all have exited, ``False`` on ``timeout``.

        When one fails, the others are terminated (after ``grace_period`` seconds, if given;
        killed if they ignore SIGTERM) and the failure is raised as a
        :class:`ProcessException`.
        """
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        if grace_period is not None:
            self._join_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                p.terminate()
        self._join_all(30 if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                p.kill()
            p.join()
        self._raise(failed)
        return False  # not reached

    def _raise(self, index: int) -> None:
        process, error_file = self.processes[index], self.error_files[index]
        if not os.access(error_file, os.R_OK):
            code = process.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                raise ProcessExitedException(f"process {index:d} terminated with signal {name}",
                                             error_index=index, error_pid=process.pid,
                                             exit_code=code, signal_name=name)
            raise ProcessExitedException(f"process {index:d} terminated with exit code "
                                         f"{code:d}", error_index=index, error_pid=process.pid,
                                         exit_code=code)
        with open(error_file, "rb") as fh:
            trace = pickle.load(fh)
        os.unlink(error_file)
        raise ProcessRaisedException(
            f"\n\n-- Process {index:d} terminated with the following error:\n{trace}",
            index, process.pid)


def _error_file() -> str:
    # a free name, not a file: the child creates it only when it has a traceback to report
    with tempfile.NamedTemporaryFile(prefix="latte-errorfile-", suffix=".pickle",
                                     delete=False) as fh:
        name = fh.name
    os.unlink(name)
    return name


def start_processes(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn"
                    ) -> ProcessContext | None:
    """:func:`spawn` with any start method (``"spawn"``, ``"fork"``, ``"forkserver"``)."""
    ctx = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        error_file = _error_file()
        process = ctx.Process(target=_wrap, args=(fn, i, args, error_file), daemon=daemon)
        process.start()
        processes.append(process)
        error_files.append(error_file)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True,
          daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Run ``fn(i, *args)`` for ``i`` in ``range(nprocs)``, each in a new process.

    ``fn`` must be defined at the top level of a module (it is pickled). With ``join=True``
    returns when all have finished; if one fails, the others are terminated and the failure is
    raised (:class:`ProcessRaisedException` with the child's traceback, or
    :class:`ProcessExitedException`). With ``join=False`` returns the :class:`ProcessContext`.

    Example::

        >>> import latte.multiprocessing as mp
        >>> def work(i, shared):
        ...     shared[i] += i + 1
        >>> shared = latte.zeros(2).share_memory_()
        >>> mp.spawn(work, args=(shared,), nprocs=2)  # doctest: +SKIP
        >>> shared  # doctest: +SKIP
        tensor([1., 2.])
    """
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t "
                      "torch.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
