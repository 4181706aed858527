"""``DistributedDataParallel``: one model replica per process, gradients averaged over MPI in
buckets that start reducing while backward is still running."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from latte import distributed as dist
from latte.autograd.grad_mode import is_grad_enabled
from latte.nn.modules.module import Module
from latte.tensor import Tensor

__all__ = ["DistributedDataParallel"]

# PyTorch's default of 25 MB suits fast GPU links; on CPUs over MPI a few MB already amortises
# the per-call latency while letting the first buckets start much earlier in backward
_DEFAULT_BUCKET_CAP_MB = 4.0
# the first bucket is small so that communication starts as soon as backward begins (as PyTorch)
_FIRST_BUCKET_MB = 1.0


class _Bucket:
    """Parameters of one dtype whose gradients are reduced by a single ``all_reduce``."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.offsets = np.cumsum([0] + [p.numel() for p in params]).tolist()
        self.flat = np.zeros(self.offsets[-1], dtype=params[0]._data.dtype)
        self.pending = 0
        self.work: dist.Work | None = None

    def pack(self) -> None:
        for p, start, stop in zip(self.params, self.offsets, self.offsets[1:]):
            if p.grad is None:  # unused in this step on this process: contributes zero
                self.flat[start:stop] = 0
            else:
                self.flat[start:stop] = p.grad._data.ravel()

    def unpack(self, scale: float) -> None:
        for p, start, stop in zip(self.params, self.offsets, self.offsets[1:]):
            chunk = self.flat[start:stop].reshape(p.shape)
            if p.grad is None:
                if not chunk.any():  # unused by every process: keep None, as PyTorch
                    continue
                p.grad = Tensor(np.empty_like(chunk))
            np.multiply(chunk, scale, out=p.grad._data, casting="unsafe")
            p.grad._vc[0] += 1


class DistributedDataParallel(Module):
    """Data parallelism over processes: wrap the model, train as usual, each process on its own
    share of every batch (``DistributedSampler``); after ``backward`` every process holds the
    gradients averaged over all processes, so identical optimizer steps keep the replicas equal.

    At construction the parameters and buffers of rank 0 are broadcast to all processes.
    Gradients are grouped, in reverse order of ``module.parameters()`` (roughly the order
    backward produces them), into buckets of at most ``bucket_cap_mb`` megabytes (default 4; the
    first bucket 1 MB); a bucket's non-blocking ``all_reduce`` starts as soon as the last of its
    gradients is accumulated, so communication overlaps the rest of backward, and the last
    gradient's hook waits for all of them. ``broadcast_buffers`` copies rank 0's buffers (e.g.
    BatchNorm running statistics) to all processes before each forward; BatchNorm batch
    statistics stay per process unless the model is converted with
    ``nn.SyncBatchNorm.convert_sync_batchnorm``.

    Parameters used a varying number of times, or not at all, in a step are found from the
    forward's graph, so ``find_unused_parameters`` is accepted for compatibility but never needed.

    Example::

        >>> dist.init_process_group("mpi")  # doctest: +SKIP
        >>> model = nn.parallel.DistributedDataParallel(Net())  # doctest: +SKIP
        >>> # grads now averaged over processes
        >>> loss_fn(model(x_local), y_local).backward()  # doctest: +SKIP
        >>> opt.step()  # doctest: +SKIP
        >>> # accumulate without communicating
        >>> with model.no_sync():  # doctest: +SKIP
        ...     loss_fn(model(x2), y2).backward()
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None,
                 dim: int = 0, broadcast_buffers: bool = True, process_group: Any = None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 ) -> None:
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("DistributedDataParallel: call latte.distributed."
                               "init_process_group() first (and launch with mpiexec)")
        if dim != 0:
            raise ValueError(f"DistributedDataParallel: only dim=0 is supported, got dim={dim}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.process_group = process_group
        self._world_size = dist.get_world_size(process_group)
        params: list[Tensor] = []
        seen: set[int] = set()
        for p in module.parameters():
            if p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                params.append(p)
        self.bucket_cap_mb = _DEFAULT_BUCKET_CAP_MB if bucket_cap_mb is None else bucket_cap_mb
        self._buckets = _make_buckets(params, self.bucket_cap_mb)
        self._bucket_of = {id(p): b for b in self._buckets for p in b.params}
        self._uses: dict[int, int] = {}
        self._next = 0
        self._armed = False
        self._started = False
        self._hooks = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]
        _broadcast_coalesced(list(module.parameters()) + list(module.buffers()), process_group)

    @property
    def bucket_sizes(self) -> list[int]:
        """Number of elements in each bucket, in launch order."""
        return [b.flat.size for b in self._buckets]

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self._armed:
            self._disarm()
        if self.broadcast_buffers and self._world_size > 1:
            _broadcast_coalesced(list(self.module.buffers()), self.process_group)
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync and self._world_size > 1:
            self._prepare_for_backward(output)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Forward and backward passes inside accumulate gradients locally; the first synced
        backward after them averages the accumulated gradients."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    # --- the reducer -----------------------------------------------------------------------
    def _prepare_for_backward(self, output: Any) -> None:
        """Count how many gradients each parameter will receive from this forward's graph.

        The engine accumulates a leaf once per edge that reaches it, so a weight used twice gets
        two hook calls; only after the last is its gradient complete.
        """
        uses = _count_leaf_uses(output, self._bucket_of)
        self._uses = uses
        self._next = 0
        self._armed = True
        self._started = False
        for b in self._buckets:
            b.pending = sum(1 for p in b.params if uses.get(id(p), 0) > 0)
            b.work = None

    def _disarm(self) -> None:
        """A forward whose backward never ran (evaluation with grad enabled) is forgotten; one
        whose backward stopped half way leaves processes with different gradients: an error."""
        if self._started:
            raise RuntimeError("DistributedDataParallel: the previous backward did not reduce "
                               "every gradient bucket: its loss did not depend on every output "
                               "of the forward that needed a gradient")
        self._armed = False

    def _grad_ready(self, param: Tensor) -> None:
        if not self._armed:
            return
        # buckets of parameters this forward did not use start with the first gradient, as in
        # PyTorch: a forward never followed by backward then leaves nothing in flight
        self._started = True
        key = id(param)
        left = self._uses.get(key, 0) - 1
        if left < 0:  # accumulated outside this forward's graph: not ours to count
            return
        self._uses[key] = left
        if left == 0:
            self._bucket_of[key].pending -= 1
            self._launch_ready()
        if self._armed and self._next:
            # MPICH moves non-blocking collectives forward only inside MPI calls: a cheap test
            # per gradient keeps the buckets in flight progressing during backward
            self._buckets[self._next - 1].work.is_completed()

    def _launch_ready(self) -> None:
        """Start every ready bucket in order: all processes must issue collectives identically."""
        buckets = self._buckets
        while self._next < len(buckets) and buckets[self._next].pending == 0:
            bucket = buckets[self._next]
            bucket.pack()
            bucket.work = dist.all_reduce(Tensor(bucket.flat), group=self.process_group,
                                          async_op=True)
            self._next += 1
        if self._next == len(buckets):
            self._armed = False
            scale = 1.0 / self._world_size
            for bucket in buckets:
                bucket.work.wait()
                bucket.unpack(scale)


def _make_buckets(params: list[Tensor], cap_mb: float) -> list[_Bucket]:
    """Reverse parameter order, one dtype per bucket, each bucket up to the cap (>= 1 param)."""
    cap = cap_mb * 2**20
    first_cap = min(cap, _FIRST_BUCKET_MB * 2**20)
    open_buckets: dict[Any, list[Tensor]] = {}
    sizes: dict[Any, int] = {}
    done: list[list[Tensor]] = []
    for p in reversed(params):
        dtype = p._data.dtype
        current = open_buckets.setdefault(dtype, [])
        current.append(p)
        sizes[dtype] = sizes.get(dtype, 0) + p._data.nbytes
        if sizes[dtype] >= (first_cap if not done else cap):
            done.append(current)
            open_buckets[dtype] = []
            sizes[dtype] = 0
    done.extend(b for b in open_buckets.values() if b)
    return [_Bucket(b) for b in done]


def _count_leaf_uses(output: Any, wanted: dict) -> dict[int, int]:
    """How many graph edges of ``output``'s autograd graph reach each wanted leaf."""
    uses: dict[int, int] = {}
    stack = [t.grad_fn for t in _tensors(output) if t.grad_fn is not None]
    seen = set(stack)
    while stack:
        node = stack.pop()
        for _, fn, _, leaf, _, _ in node._edges:
            if fn is not None:
                if fn not in seen:
                    seen.add(fn)
                    stack.append(fn)
            elif leaf is not None and id(leaf) in wanted:
                uses[id(leaf)] = uses.get(id(leaf), 0) + 1
    for t in _tensors(output):  # a parameter returned as is
        if t.grad_fn is None and id(t) in wanted:
            uses[id(t)] = uses.get(id(t), 0) + 1
    return uses


def _tensors(obj: Any) -> Iterator[Tensor]:
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors(item)


def _broadcast_coalesced(tensors: list[Tensor], group: Any) -> None:
    """Broadcast from rank 0 with one call per dtype instead of one per tensor."""
    if dist.get_world_size(group) == 1:
        return
    by_dtype: dict[Any, list[Tensor]] = {}
    for t in tensors:
        if t is not None:
            by_dtype.setdefault(t._data.dtype, []).append(t)
    for group_tensors in by_dtype.values():  # same insertion order on every process
        flat = np.concatenate([t._data.ravel() for t in group_tensors])
        dist.broadcast(Tensor(flat), src=0, group=group)
        start = 0
        for t in group_tensors:
            t._data[...] = flat[start:start + t._data.size].reshape(t._data.shape)
            t._vc[0] += 1
            start += t._data.size
