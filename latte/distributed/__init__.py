"""Multi-process data parallelism over MPI, with ``torch.distributed``'s names and semantics.

Launch one process per worker with ``mpiexec -n N python train.py`` (or
``latte.distributed.launch.run``); each calls ``init_process_group()`` and learns its rank and the
world size from the MPI launcher. Collectives work in place on tensors of any shape and dtype and
can run asynchronously (``async_op=True`` returns a ``Work`` to ``wait()`` on).

Example::

    >>> import latte, latte.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> t = latte.full((3,), float(dist.get_rank()))
    >>> dist.all_reduce(t)                     # sum over ranks, in place
    >>> # with 2 processes: tensor([1., 1., 1.])
    >>> t  # doctest: +SKIP

A process that dies with an uncaught exception aborts the whole job (``MPI_Abort`` from an
``excepthook``), and a collective that does not complete within ``timeout`` raises, so a failed
rank never leaves its peers hanging.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np

from latte.distributed import _mpi, _rank_watch
from latte.distributed._mpi import is_available
from latte.tensor import Tensor

__all__ = ["Backend", "ReduceOp", "Work", "GroupMember", "all_gather", "all_gather_into_tensor",
           "all_reduce", "barrier", "broadcast", "destroy_process_group", "get_backend",
           "get_rank", "get_world_size", "init_process_group", "is_available", "is_initialized",
           "is_mpi_available", "reduce_scatter", "reduce_scatter_tensor"]


class Backend:
    """Backend names. Latte runs every backend on MPI: ``"gloo"`` and ``"nccl"`` (what
    torchrun scripts ask for) are accepted and map to it."""

    UNDEFINED = "undefined"
    MPI = "mpi"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"


class ReduceOp:
    """Reduction operations for ``all_reduce`` and ``reduce_scatter``."""

    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"
    BAND = "BAND"
    BOR = "BOR"
    BXOR = "BXOR"


class _World:
    """The default process group: a private duplicate of ``MPI.COMM_WORLD``, so a program's own
    mpi4py traffic never interleaves with Latte's collectives."""

    def __init__(self, comm: Any, timeout: float) -> None:
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.timeout = timeout


class GroupMember:
    """``GroupMember.WORLD`` names the default group (the only one Latte has)."""

    WORLD = None


_world: _World | None = None
_backend_name = Backend.MPI
_previous_excepthook: Callable | None = None


def is_mpi_available() -> bool:
    """Whether the MPI backend can be used (mpi4py importable)."""
    return is_available()


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not destroyed since)."""
    return _world is not None


def _group(group: Any) -> _World:
    if _world is None:
        raise RuntimeError("Default process group has not been initialized, please make sure to "
                           "call init_process_group.")
    if group is not None and group is not GroupMember.WORLD and group is not _world:
        raise ValueError(f"latte.distributed supports only the default group, got {group!r}")
    return _world


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store: Any = None, group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the job the launcher started; rank and world size come from MPI.

    Start the processes with ``latte run --nproc N script.py``,
    ``python -m latte.distributed.run --nproc-per-node N script.py`` (torchrun's flags) or
    ``mpiexec -n N latte run script.py``. ``backend`` may be ``"mpi"``, ``None`` or, as
    torchrun scripts write it, ``"gloo"``/``"nccl"`` (which run on MPI, with a one-line notice).
    ``init_method="env://"`` (the default) checks ``RANK`` and ``WORLD_SIZE``, when set, against
    MPI's; with ``"tcp://..."`` or ``"file://..."`` the ``rank`` and ``world_size`` given are
    checked. ``timeout`` (default 30 minutes, as PyTorch) bounds every collective. Installs an
    ``excepthook`` that aborts the whole job when this process dies of an uncaught exception.

    Example::

        >>> dist.init_process_group("gloo", init_method="env://")  # doctest: +SKIP
        >>> # under latte run --nproc 2: (r, 2)
        >>> dist.get_rank(), dist.get_world_size()  # doctest: +SKIP
    """
    global _world, _previous_excepthook, _backend_name
    name = _backend(backend)
    if _world is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    if init_method is not None and not init_method.startswith(("env://", "tcp://", "file://")):
        raise ValueError(f"init_process_group: init_method={init_method!r} is not supported; "
                         "use 'env://', 'tcp://HOST:PORT' or 'file://PATH' (all rendezvous "
                         "through MPI in Latte)")
    MPI = _mpi.mpi()
    comm = MPI.COMM_WORLD.Dup()
    seconds = (timeout or timedelta(minutes=30)).total_seconds()
    world = _World(comm, seconds)
    try:
        _check_launch(world, init_method, world_size, rank)
    except ValueError:
        comm.Free()
        raise
    if name not in (Backend.MPI, Backend.UNDEFINED) and world.rank == 0:
        print(f"latte.distributed: backend {name!r} runs on MPI, Latte's only backend",
              file=sys.stderr)
    _world, _backend_name = world, name if name != Backend.UNDEFINED else Backend.MPI
    _rank_watch.register(world.rank)  # so latte's launcher can name this rank if it dies
    _previous_excepthook = sys.excepthook
    sys.excepthook = _abort_on_uncaught


def _backend(backend: str | None) -> str:
    if backend is None:
        return Backend.UNDEFINED
    name = str(backend).lower()
    # "cpu:gloo,cuda:nccl" names one backend per device type: all of them run on MPI here
    parts = [p.partition(":")[2] or p for p in name.split(",")]
    known = (Backend.MPI, Backend.GLOO, Backend.NCCL, Backend.UCC)
    if not parts or any(p not in known for p in parts):
        raise ValueError(f"latte.distributed: unknown backend {backend!r}; use 'mpi' (or "
                         "'gloo'/'nccl', which run on MPI)")
    return name


_LAUNCH_HINT = ("start the processes together with `latte run --nproc N script.py`, "
                "`python -m latte.distributed.run --nproc-per-node N script.py` or "
                "`mpiexec -n N latte run script.py`")


def _check_launch(world: _World, init_method: str | None, world_size: int, rank: int) -> None:
    """The rank and world size the script or its environment names agree with MPI's."""
    wanted: list[tuple[str, Any]] = [("world_size", world_size), ("rank", rank)]
    if init_method is None or init_method.startswith("env://"):
        wanted += [("WORLD_SIZE", os.environ.get("WORLD_SIZE")),
                   ("RANK", os.environ.get("RANK"))]
    for what, given in wanted:
        if given in (-1, None, ""):
            continue
        is_size = what.lower() == "world_size"
        if int(given) != (world.size if is_size else world.rank):
            source = "the environment has" if what.isupper() else "init_process_group got"
            mpi_says = (f"a world of {world.size} process(es)" if is_size
                        else f"rank {world.rank}")
            raise ValueError(f"init_process_group: {source} {what}={given} but MPI gives this "
                             f"process {mpi_says}; Latte's processes rendezvous through MPI: "
                             f"{_LAUNCH_HINT}")


def _abort_on_uncaught(kind: type, value: BaseException, tb: Any) -> None:
    """Print the traceback, then take the whole job down: peers blocked in a collective with
    this process would otherwise wait until their timeout."""
    (_previous_excepthook or sys.__excepthook__)(kind, value, tb)
    world = _world
    if world is not None and world.size > 1:
        sys.stderr.write(f"latte.distributed: rank {world.rank} failed; aborting all "
                         f"{world.size} processes\n")
        sys.stdout.flush()
        sys.stderr.flush()
        # give mpiexec a moment to forward the traceback: it drops what is still in the pipes
        # once the abort tears the job down
        time.sleep(0.2)
        _mpi.mpi().COMM_WORLD.Abort(1)


def destroy_process_group(group: Any = None) -> None:
    """Leave the process group (MPI itself stays initialised until the interpreter exits)."""
    global _world
    world = _group(group)
    world.comm.Free()
    _world = None
    if sys.excepthook is _abort_on_uncaught:
        sys.excepthook = _previous_excepthook or sys.__excepthook__


def get_rank(group: Any = None) -> int:
    """This process's index in ``[0, world_size)``."""
    return _group(group).rank


def get_world_size(group: Any = None) -> int:
    """The number of processes in the job."""
    return _group(group).size


def get_backend(group: Any = None) -> str:
    """The backend name ``init_process_group`` was given (``"mpi"`` when none was)."""
    _group(group)
    return _backend_name


class Work:
    """A running collective: ``wait()`` completes it (and writes results into the tensors)."""

    def __init__(self, request: Any, what: str, timeout: float,
                 finish: Callable[[], None] | None = None) -> None:
        self._request = request
        self._what = what
        self._timeout = timeout
        self._finish = finish
        self._done = False

    def is_completed(self) -> bool:
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def wait(self, timeout: timedelta | None = None) -> bool:
        if not self._done:
            seconds = self._timeout if timeout is None else timeout.total_seconds()
            _mpi.wait(self._request, seconds, self._what)
            self._complete()
        return True

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            self._finish()


def _start(request: Any, what: str, world: _World, async_op: bool,
           finish: Callable[[], None] | None) -> Work | None:
    work = Work(request, what, world.timeout, finish)
    if async_op:
        return work
    work.wait()
    return None


def _array(tensor: Any, name: str) -> np.ndarray:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name}: expected a latte Tensor, got {type(tensor).__name__}")
    return tensor._data


def _write_back(tensor: Tensor, buffer: np.ndarray, copied: bool) -> None:
    if copied:
        tensor._data[...] = buffer
    tensor._vc[0] += 1


def all_reduce(tensor: Tensor, op: str = ReduceOp.SUM, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` over all processes and leave the result in every process's ``tensor``.

    ``op`` is a ``ReduceOp``; ``AVG`` divides the sum by the world size (floating dtypes only).

    Example::

        >>> t = latte.tensor([1.0, 2.0]) * (dist.get_rank() + 1)  # doctest: +SKIP
        >>> # 2 processes: tensor([2., 4.])
        >>> dist.all_reduce(t, op=dist.ReduceOp.MAX)  # doctest: +SKIP
    """
    world = _group(group)
    array = _array(tensor, "all_reduce")
    if op not in vars(ReduceOp).values():
        raise ValueError(f"all_reduce: unknown op {op!r}; use latte.distributed.ReduceOp")
    if op == ReduceOp.AVG and array.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating tensor, got {tensor.dtype}")
    buffer, copied = _mpi.contiguous(array)
    request = world.comm.Iallreduce(_mpi.mpi().IN_PLACE, buffer, _mpi.reduce_op(op))

    def finish() -> None:
        if op == ReduceOp.AVG:
            buffer[...] /= world.size
        _write_back(tensor, buffer, copied)
    return _start(request, f"all_reduce of shape {tuple(array.shape)}", world, async_op, finish)


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False
              ) -> Work | None:
    """Copy ``tensor`` of process ``src`` into ``tensor`` of every other process.

    Example::

        >>> # every rank now holds rank 0's values
        >>> dist.broadcast(model_weight, src=0)  # doctest: +SKIP
    """
    world = _group(group)
    array = _array(tensor, "broadcast")
    if not 0 <= src < world.size:
        raise ValueError(f"broadcast: src={src} is not a rank of a world of size {world.size}")
    buffer, copied = _mpi.contiguous(array)
    request = world.comm.Ibcast(buffer, root=src)
    return _start(request, f"broadcast of shape {tuple(array.shape)}", world, async_op,
                  lambda: _write_back(tensor, buffer, copied))


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with process ``r``'s ``tensor`` (same shape and dtype everywhere).

    Example::

        >>> out = [latte.empty(3) for _ in range(dist.get_world_size())]  # doctest: +SKIP
        >>> dist.all_gather(out, latte.full((3,), float(dist.get_rank())))  # doctest: +SKIP
    """
    world = _group(group)
    array = _array(tensor, "all_gather")
    if len(tensor_list) != world.size:
        raise ValueError(f"all_gather: tensor_list has {len(tensor_list)} tensors, expected one "
                         f"per process ({world.size})")
    for i, out in enumerate(tensor_list):
        if tuple(out.shape) != tuple(array.shape) or out._data.dtype != array.dtype:
            raise ValueError(f"all_gather: tensor_list[{i}] has shape {tuple(out.shape)} and "
                             f"dtype {out.dtype}, input has shape {tuple(array.shape)} and dtype "
                             f"{tensor.dtype}")
    send = np.ascontiguousarray(array)
    gathered = np.empty((world.size,) + array.shape, dtype=array.dtype)
    request = world.comm.Iallgather(send, gathered)

    def finish() -> None:
        for out, part in zip(tensor_list, gathered):
            out._data[...] = part
            out._vc[0] += 1
    return _start(request, f"all_gather of shape {tuple(array.shape)}", world, async_op, finish)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: Any = None,
                           async_op: bool = False) -> Work | None:
    """Concatenate every process's ``input_tensor`` along dim 0 into ``output_tensor``:
    ``(world_size * N, *)`` from ``(N, *)``."""
    world = _group(group)
    array = _array(input_tensor, "all_gather_into_tensor")
    out = _array(output_tensor, "all_gather_into_tensor")
    expected = (world.size * (array.shape[0] if array.ndim else 1),) + array.shape[1:]
    if tuple(out.shape) != expected or out.dtype != array.dtype:
        raise ValueError(f"all_gather_into_tensor: output of shape {tuple(out.shape)} "
                         f"({output_tensor.dtype}) does not fit {world.size} inputs of shape "
                         f"{tuple(array.shape)} ({input_tensor.dtype}); expected {expected}")
    buffer, copied = _mpi.contiguous(out)
    request = world.comm.Iallgather(np.ascontiguousarray(array), buffer)
    return _start(request, "all_gather_into_tensor", world, async_op,
                  lambda: _write_back(output_tensor, buffer, copied))


def reduce_scatter(output: Tensor, input_list: Sequence[Tensor], op: str = ReduceOp.SUM,
                   group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce ``input_list[r]`` over all processes into ``output`` of process ``r``.

    Example::

        >>> # 2 processes, each with inputs [a, b]: rank 0 gets sum of a's, rank 1 of b's
        >>> dist.reduce_scatter(out, [a, b])  # doctest: +SKIP
    """
    world = _group(group)
    out = _array(output, "reduce_scatter")
    if len(input_list) != world.size:
        raise ValueError(f"reduce_scatter: input_list has {len(input_list)} tensors, expected "
                         f"one per process ({world.size})")
    for i, t in enumerate(input_list):
        if tuple(t.shape) != tuple(out.shape) or t._data.dtype != out.dtype:
            raise ValueError(f"reduce_scatter: input_list[{i}] has shape {tuple(t.shape)} and "
                             f"dtype {t.dtype}, output has shape {tuple(out.shape)} and dtype "
                             f"{output.dtype}")
    send = np.stack([t._data for t in input_list])
    return _reduce_scatter_block(output, send, op, world, async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: str = ReduceOp.SUM,
                          group: Any = None, async_op: bool = False) -> Work | None:
    """Reduce ``input`` of shape ``(world_size * N, *)`` over processes; process ``r`` gets rows
    ``[r * N, (r + 1) * N)`` of the result in ``output`` of shape ``(N, *)``."""
    world = _group(group)
    out = _array(output, "reduce_scatter_tensor")
    array = _array(input, "reduce_scatter_tensor")
    if array.size != world.size * out.size or array.dtype != out.dtype:
        raise ValueError(f"reduce_scatter_tensor: input of shape {tuple(array.shape)} "
                         f"({input.dtype}) does not split into {world.size} outputs of shape "
                         f"{tuple(out.shape)} ({output.dtype})")
    return _reduce_scatter_block(output, np.ascontiguousarray(array), op, world, async_op)


def _reduce_scatter_block(output: Tensor, send: np.ndarray, op: str, world: _World,
                          async_op: bool) -> Work | None:
    out = output._data
    if op == ReduceOp.AVG and out.dtype.kind not in "fc":
        raise TypeError(f"reduce_scatter: ReduceOp.AVG needs a floating tensor, got "
                        f"{output.dtype}")
    buffer, copied = _mpi.contiguous(out)
    request = world.comm.Ireduce_scatter_block(send, buffer, _mpi.reduce_op(op))

    def finish() -> None:
        if op == ReduceOp.AVG:
            buffer[...] /= world.size
        _write_back(output, buffer, copied)
    return _start(request, f"reduce_scatter of shape {tuple(out.shape)}", world, async_op,
                  finish)


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Work | None:
    """Wait until every process has reached this call."""
    world = _group(group)
    return _start(world.comm.Ibarrier(), "barrier", world, async_op, None)
