"""A small persistent thread pool that runs one large elementwise pass over several cores.

NumPy's ufuncs release the GIL while they loop, so the chunks of one array can be computed by
several threads at once. BLAS already spreads the matrix products over the cores; this pool does
the same for the passes that NumPy runs on one core (the float32 ``erf``/GELU kernels, for
example), splitting a flat array into one contiguous span per thread (``run_spans``). Many small
matrix products (a convolution's, batch chunk by batch chunk) go the other way round
(``run_tasks``): the threads take the chunks in turn, each product on one BLAS thread.

The thread count follows PyTorch's rule: ``latte.set_num_threads(n)``, else ``$LATTE_NUM_THREADS``,
else ``$OMP_NUM_THREADS`` (which the data-parallel launcher sets to each process's share of the
cores), else the cores this process may run on.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

__all__ = ["get_num_threads", "set_num_threads", "get_num_interop_threads",
           "set_num_interop_threads", "run_spans", "run_tasks", "one_blas_thread"]


def _default_threads() -> int:
    for name in ("LATTE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) >= 1:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity on macOS and Windows
        return os.cpu_count() or 1


_state: dict = {"threads": _default_threads(), "pool": None, "pid": None}
_lock = threading.Lock()
_inside = threading.local()  # set in the pool's threads: a nested call runs serially there


def get_num_threads() -> int:
    """How many threads a large elementwise pass is split over."""
    return int(_state["threads"])


def set_num_threads(n: int) -> None:
    """Use ``n`` threads: large elementwise passes are split over ``n`` (1: run on the calling
    thread), and NumPy's BLAS gets ``n`` threads for the matrix products, as
    ``torch.set_num_threads`` limits PyTorch's."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n!r}")
    with _lock:
        _state["threads"] = n
        if _state["pool"] is not None:
            _state["pool"].shutdown(wait=False)
        _state["pool"] = None
    _limit_blas(n)


def _limit_blas(n: int) -> None:
    """``n`` BLAS threads: through threadpoolctl when it is installed, else through the
    thread setter of the OpenBLAS that NumPy's wheels bundle (a BLAS without one is left
    alone). Measured on a loaded 2-core machine: one thread of ours beside a 2-thread BLAS ran
    an MLP step in 12 ms against 4.4 ms."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        _set_bundled_openblas_threads(n)
        return
    threadpool_limits(limits=n, user_api="blas")


_OPENBLAS_PREFIXES = ("scipy_openblas_", "openblas_")
_OPENBLAS_SUFFIXES = ("64_", "")


def _bundled_openblas() -> tuple | None:
    """``(get_num_threads, set_num_threads)`` of the OpenBLAS that NumPy's wheels bundle,
    looked up once; None for any other BLAS."""
    if "openblas" not in _state:
        _state["openblas"] = _find_bundled_openblas()
    return _state["openblas"]


def _find_bundled_openblas() -> tuple | None:
    import ctypes
    import glob

    import numpy
    libs = os.path.dirname(numpy.__file__) + ".libs"  # site-packages/numpy.libs
    for path in glob.glob(os.path.join(libs, "*openblas*")):
        lib = ctypes.CDLL(path)  # already loaded by NumPy: the same library
        for prefix in _OPENBLAS_PREFIXES:
            for suffix in _OPENBLAS_SUFFIXES:
                get = getattr(lib, f"{prefix}get_num_threads{suffix}", None)
                put = getattr(lib, f"{prefix}set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    put.argtypes = [ctypes.c_int]
                    return get, put
    return None


def _set_bundled_openblas_threads(n: int) -> None:
    calls = _bundled_openblas()
    if calls is not None:
        calls[1](n)


def _pool() -> ThreadPoolExecutor:
    with _lock:
        # a forked child inherits the pool object but not its threads: start a fresh one
        if _state["pool"] is None or _state["pid"] != os.getpid():
            _state["pool"] = ThreadPoolExecutor(_state["threads"] - 1,
                                                thread_name_prefix="latte-elementwise",
                                                initializer=_mark_inside)
            _state["pid"] = os.getpid()
        return _state["pool"]


def _mark_inside() -> None:
    _inside.active = True


def run_spans(body: Callable[[int, int], None], size: int, min_span: int) -> None:
    """Call ``body(lo, hi)`` over ``[0, size)`` cut into one contiguous span per thread, each at
    least ``min_span`` long; the calling thread takes the first span. Small arrays, one thread,
    or a call from inside the pool run ``body(0, size)`` directly. The first exception of any
    span is raised once every span has ended."""
    spans = min(get_num_threads(), size // max(min_span, 1))
    if spans <= 1 or getattr(_inside, "active", False):
        body(0, size)
        return
    bounds = [size * i // spans for i in range(spans + 1)]
    futures: list[Future] = [_pool().submit(body, lo, hi)
                             for lo, hi in zip(bounds[1:-1], bounds[2:])]
    try:
        body(bounds[0], bounds[1])
    finally:
        errors = [f.exception() for f in futures]
    for error in errors:
        if error is not None:
            raise error


_blas_hold = {"count": 0, "saved": 1}


@contextmanager
def one_blas_thread() -> Iterator[bool]:
    """Hold NumPy's BLAS to one thread while the block runs, and yield True; yield False (and
    change nothing) where the BLAS is not one whose threads we can set. Holds may nest and
    overlap across threads: the count comes back when the last one ends."""
    calls = _bundled_openblas()
    if calls is None:
        yield False
        return
    with _lock:
        if _blas_hold["count"] == 0:
            _blas_hold["saved"] = calls[0]()
            calls[1](1)
        _blas_hold["count"] += 1
    try:
        yield True
    finally:
        with _lock:
            _blas_hold["count"] -= 1
            if _blas_hold["count"] == 0:
                calls[1](_blas_hold["saved"])


def run_tasks(body: Callable[[int], Any], count: int) -> list:
    """``[body(i) for i in range(count)]``, the tasks taken in turn by whichever thread is free:
    the calling thread and the pool's. Each task's matrix products run on one BLAS thread (many
    independent products side by side, instead of each product split over the cores and its
    threads waiting on each other), and a thread that the machine holds up simply takes fewer
    tasks. One thread, one task, a call from inside the pool, or a BLAS whose threads can't be
    set: the tasks run in order on the calling thread."""
    threads = min(get_num_threads(), count)
    if threads <= 1 or getattr(_inside, "active", False):
        return [body(i) for i in range(count)]
    with one_blas_thread() as held:
        if not held:
            return [body(i) for i in range(count)]
        results: list = [None] * count
        taken = [0]
        taking = threading.Lock()

        def next_task() -> int:
            with taking:
                taken[0] += 1
                return taken[0] - 1

        def work() -> None:
            while (i := next_task()) < count:
                results[i] = body(i)
        futures = [_pool().submit(work) for _ in range(threads - 1)]
        try:
            work()
        finally:
            errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return results


# PyTorch's second pool runs independent ops side by side; Latte runs ops one after another,
# so the count is only recorded, for scripts that set and read it
_interop = {"threads": _state["threads"]}


def get_num_interop_threads() -> int:
    """The number of inter-op threads (recorded only: Latte runs one op at a time)."""
    return int(_interop["threads"])


def set_num_interop_threads(n: int) -> None:
    """Record ``n`` inter-op threads, as ``torch.set_num_interop_threads`` (Latte runs ops one
    after another, so nothing else changes)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise RuntimeError(f"set_num_interop_threads expects a positive integer, got {n!r}")
    _interop["threads"] = n
