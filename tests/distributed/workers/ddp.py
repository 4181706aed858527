"""DDP on N processes against one process training on the concatenated batch; prints
``rank R ok``."""
from datetime import timedelta

import numpy as np

import latte
import latte.distributed as dist
from latte import nn, optim
from latte.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=timedelta(seconds=30))
rank, world = dist.get_rank(), dist.get_world_size()
PER_RANK = 4


class Net(nn.Module):
    """No BatchNorm; ``fc2`` runs twice, so its weights get two gradient contributions."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 3)

    def forward(self, x):
        h = self.fc2(self.fc1(x).tanh()).tanh()
        return self.fc3(self.fc2(h).tanh())


def make(dtype, seed):
    latte.manual_seed(seed)
    return Net().to(dtype)


def batch(dtype, step):
    """The global batch of a step, identical on every rank."""
    g = np.random.default_rng(100 + step)
    x = latte.tensor(g.standard_normal((PER_RANK * world, 6)), dtype=dtype)
    y = latte.tensor(g.standard_normal((PER_RANK * world, 3)), dtype=dtype)
    return x, y


def shard(t):
    return t[rank * PER_RANK:(rank + 1) * PER_RANK]


def assert_same(a, b, tol, what):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        err = np.abs(p.detach().numpy() - q.detach().numpy()).max()
        assert err <= tol, f"{what}: {name} differs by {err}"


OPTIMIZERS = {"sgd": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
              "adam": lambda ps: optim.Adam(ps, lr=0.01)}

for dtype, tol in ((latte.float64, 1e-10), (latte.float32, 1e-5)):
    for name, make_opt in OPTIMIZERS.items():
        ref = make(dtype, 0)
        # ranks start from different weights: DDP must broadcast rank 0's; tiny buckets so
        # that fc2's bucket leaves before fc1's gradients exist
        model = DDP(make(dtype, 0 if rank == 0 else rank + 7), bucket_cap_mb=1e-4)
        assert_same(model.module, ref, 0.0, "initial broadcast")
        ref_opt, opt = make_opt(ref.parameters()), make_opt(model.parameters())
        for step in range(3):
            x, y = batch(dtype, step)
            ref_opt.zero_grad()
            nn.functional.mse_loss(ref(x), y).backward()
            ref_opt.step()
            opt.zero_grad()
            nn.functional.mse_loss(model(shard(x)), shard(y)).backward()
            opt.step()
            assert_same(model.module, ref, tol, f"{dtype} {name} step {step}")

# gradient accumulation: no_sync micro-batches, then a synced one
ref = make(latte.float64, 0)
model = DDP(make(latte.float64, 0))
calls = []
all_reduce = dist.all_reduce


def counting_all_reduce(tensor, *args, **kwargs):
    calls.append(tensor.numel())
    return all_reduce(tensor, *args, **kwargs)


dist.all_reduce = counting_all_reduce
for step in range(3):
    x, y = batch(latte.float64, step)
    nn.functional.mse_loss(ref(x), y).backward()
    if step < 2:
        with model.no_sync():
            nn.functional.mse_loss(model(shard(x)), shard(y)).backward()
        assert not calls, "no_sync must not communicate"
    else:
        nn.functional.mse_loss(model(shard(x)), shard(y)).backward()
for p, q in zip(model.parameters(), ref.parameters()):
    np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=0, atol=1e-12)
assert sum(calls) == sum(p.numel() for p in ref.parameters())

# buckets: six 64x64 layers (16.25 KiB each in float32); a 0.03 MB cap closes a bucket every
# second layer, in reverse order, so 3 all_reduce calls per step, launched during backward
model = DDP(nn.Sequential(*[nn.Linear(64, 64) for _ in range(6)]), bucket_cap_mb=0.03)
params = list(model.parameters())
layer = 64 * 64 + 64
ready_at_launch = []


def recording_all_reduce(tensor, *args, **kwargs):
    calls.append(tensor.numel())
    ready_at_launch.append(sum(p.grad is not None for p in params))
    return all_reduce(tensor, *args, **kwargs)


dist.all_reduce = recording_all_reduce
for _ in range(2):
    calls.clear()
    ready_at_launch.clear()
    model.zero_grad()
    model(latte.randn(PER_RANK, 64)).square().sum().backward()
    assert calls == [2 * layer] * 3, calls
    assert model.bucket_sizes == [2 * layer] * 3
    # the first bucket left while the first layers' gradients were still to be computed
    assert ready_at_launch[0] == 4 and ready_at_launch[-1] == len(params), ready_at_launch
    for p in params:  # every gradient is the average, so equal on all ranks
        gathered = [latte.zeros(p.shape) for _ in range(world)]
        dist.all_gather(gathered, p.grad)
        for g in gathered:
            np.testing.assert_array_equal(g.numpy(), p.grad.numpy())
dist.all_reduce = all_reduce
model = DDP(nn.Sequential(*[nn.Linear(64, 64) for _ in range(6)]), bucket_cap_mb=25)
assert model.bucket_sizes == [6 * layer]

# SyncBatchNorm: global-batch statistics, equal to one process on the concatenated batch
latte.manual_seed(0)
ref = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2)).double()
latte.manual_seed(0)
plain = nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 2)).double()
model = DDP(nn.parallel.SyncBatchNorm.convert_sync_batchnorm(plain))
assert isinstance(model.module[1], nn.parallel.SyncBatchNorm)
ref_opt, opt = optim.SGD(ref.parameters(), lr=0.1), optim.SGD(model.parameters(), lr=0.1)
for step in range(2):
    x, y = batch(latte.float64, step)
    x = x[:, :5].clone().requires_grad_()
    y = y[:, :2]
    ref_opt.zero_grad()
    ref_out = ref(x)
    nn.functional.mse_loss(ref_out, y).backward()
    ref_opt.step()
    xs = shard(x).detach().requires_grad_()
    opt.zero_grad()
    out = model(xs)
    nn.functional.mse_loss(out, shard(y)).backward()
    opt.step()
    np.testing.assert_allclose(out.detach().numpy(), shard(ref_out).detach().numpy(), atol=1e-12)
    # each rank's loss is its shard's mean: its input gradient is world x the global one
    np.testing.assert_allclose(xs.grad.numpy(), world * shard(x.grad).numpy(), atol=1e-12)
    assert_same(model.module, ref, 1e-10, f"SyncBatchNorm step {step}")
    for a, b in zip(model.module.buffers(), ref.buffers()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-12)



def gathered(t):
    parts = [latte.zeros(t.shape, dtype=t.dtype) for _ in range(world)]
    dist.all_gather(parts, t.detach().contiguous())
    return [part.numpy() for part in parts]


# BatchNorm statistics are per process; broadcast_buffers gives every process rank 0's
# before each forward
latte.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
model(latte.randn(6, 3) + rank)
means = gathered(model.module[1].running_mean)
assert np.abs(means[0] - means[1]).max() > 0.05
model.eval()
model(latte.randn(6, 3))
model.train()
for m in gathered(model.module[1].running_mean):
    np.testing.assert_array_equal(m, means[0])


class Branchy(nn.Module):
    """``used_by_rank0`` takes part only on rank 0; ``never`` never does."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(3, 2)
        self.used_by_rank0 = nn.Linear(3, 2)
        self.never = nn.Linear(3, 2)

    def forward(self, x):
        out = self.body(x)
        return out + self.used_by_rank0(x) if rank == 0 else out


latte.manual_seed(0)
model = DDP(Branchy(), bucket_cap_mb=1e-5)
x = latte.ones(4, 3)
model(x)  # a forward without backward (say, a validation loss) is forgotten
model(x).sum().backward()
assert model.module.never.weight.grad is None
for p in (model.module.body.weight, model.module.used_by_rank0.weight):
    grads = gathered(p.grad)
    np.testing.assert_array_equal(grads[0], grads[1])
np.testing.assert_allclose(model.module.used_by_rank0.weight.grad.numpy(),
                           np.full((2, 3), 4.0 / world))


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 1)
        self.b = nn.Linear(3, 1)

    def forward(self, x):
        return self.a(x), self.b(x)


model = DDP(TwoHeads(), bucket_cap_mb=1e-5)
model(x)[0].sum().backward()  # head b's gradients never come
try:
    model(x)
except RuntimeError as err:
    assert "did not reduce every gradient bucket" in str(err), err
else:
    raise AssertionError("a half-reduced backward went unnoticed")

dist.destroy_process_group()
print(f"rank {rank} ok", flush=True)
