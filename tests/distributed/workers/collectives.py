"""Every collective on every rank, for several dtypes and shapes; prints ``rank R ok``."""
from datetime import timedelta

import numpy as np

import latte
import latte.distributed as dist
from latte.utils.data import DistributedSampler

dist.init_process_group("mpi", timeout=timedelta(seconds=30))
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi"

SHAPES = [(), (5,), (3, 4), (2, 3, 2)]
DTYPES = [np.float32, np.float64, np.int32, np.int64, np.float16]


def local(shape, dtype, r):
    """Rank r's input: distinct, small values that every reduction computes exactly."""
    size = int(np.prod(shape))
    return (np.arange(size).reshape(shape) % 3 + r + 1).astype(dtype)


for dtype in DTYPES:
    for shape in SHAPES:
        inputs = [local(shape, dtype, r) for r in range(world)]
        for op, expect in ((dist.ReduceOp.SUM, np.sum(inputs, axis=0)),
                           (dist.ReduceOp.MAX, np.max(inputs, axis=0)),
                           (dist.ReduceOp.MIN, np.min(inputs, axis=0)),
                           (dist.ReduceOp.PRODUCT, np.prod(inputs, axis=0))):
            t = latte.tensor(inputs[rank])
            assert dist.all_reduce(t, op=op) is None
            assert t.dtype.np == dtype, (t.dtype, dtype)
            np.testing.assert_array_equal(t.numpy(), expect.astype(dtype), err_msg=str(op))
        if np.dtype(dtype).kind == "f":
            t = latte.tensor(inputs[rank])
            dist.all_reduce(t, op=dist.ReduceOp.AVG)
            np.testing.assert_allclose(t.numpy(), np.mean(inputs, axis=0), rtol=1e-3)

        src = world - 1
        t = latte.tensor(inputs[rank])
        dist.broadcast(t, src=src)
        np.testing.assert_array_equal(t.numpy(), inputs[src])

        gathered = [latte.zeros(shape, dtype=latte.tensor(inputs[0]).dtype) for _ in range(world)]
        dist.all_gather(gathered, latte.tensor(inputs[rank]))
        for r in range(world):
            np.testing.assert_array_equal(gathered[r].numpy(), inputs[r])

        # input_list[j] of rank r is local(shape, dtype, r) * (j + 1): rank j gets sum_r of it
        out = latte.tensor(np.zeros(shape, dtype=dtype))
        dist.reduce_scatter(out, [latte.tensor(inputs[rank] * (j + 1)) for j in range(world)])
        np.testing.assert_array_equal(out.numpy(), np.sum(inputs, axis=0) * (rank + 1))

# a non-contiguous tensor is reduced in place (through a copy written back)
base = latte.tensor(np.arange(12.0).reshape(3, 4))
view = base.t()
version = view._version
dist.all_reduce(view)
np.testing.assert_array_equal(base.numpy(), np.arange(12.0).reshape(3, 4) * world)
assert view._version > version

# async: Work.wait() completes the operation
t = latte.full((1000,), float(rank))
work = dist.all_reduce(t, async_op=True)
assert work.wait() and work.is_completed()
np.testing.assert_array_equal(t.numpy(), np.full(1000, sum(range(world)), dtype=np.float32))

# tensor-to-tensor forms
out = latte.zeros(2 * world, 3)
dist.all_gather_into_tensor(out, latte.full((2, 3), float(rank)))
np.testing.assert_array_equal(out.numpy(), np.repeat(np.arange(world, dtype=np.float32), 6)
                              .reshape(2 * world, 3))
out = latte.zeros(2)
dist.reduce_scatter_tensor(out, latte.arange(2 * world, dtype=latte.float32))
np.testing.assert_array_equal(out.numpy(), np.array([2 * rank, 2 * rank + 1]) * world)

# bad input names the problem
for call, words in ((lambda: dist.broadcast(latte.zeros(2), src=world), "src"),
                    (lambda: dist.all_gather([latte.zeros(2)] * world, latte.zeros(3)), "shape"),
                    (lambda: dist.all_reduce(latte.tensor([1, 2]), op=dist.ReduceOp.AVG),
                     "floating"),
                    (lambda: dist.all_reduce(latte.zeros(2), op="MEAN"), "unknown op")):
    try:
        call()
    except (ValueError, TypeError) as err:
        assert words in str(err), err
    else:
        raise AssertionError(f"no error for {words}")

# DistributedSampler with the world's defaults: every index once (plus padding) per epoch
n = 10
for drop_last in (False, True):
    for epoch in (0, 1):
        sampler = DistributedSampler(range(n), seed=3, drop_last=drop_last)
        sampler.set_epoch(epoch)
        mine = list(sampler)
        assert len(mine) == len(sampler)
        shares = [latte.zeros(len(mine), dtype=latte.int64) for _ in range(world)]
        dist.all_gather(shares, latte.tensor(mine))
        everything = np.concatenate([s.numpy() for s in shares])
        if drop_last:
            assert len(everything) == (n // world) * world
            assert len(set(everything.tolist())) == len(everything)
        else:
            assert len(everything) == -(-n // world) * world
            assert set(everything.tolist()) == set(range(n))

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {rank} ok", flush=True)
