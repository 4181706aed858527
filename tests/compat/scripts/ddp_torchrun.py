"""Data-parallel training written for torchrun: init_process_group("gloo") from env://,
DistributedSampler, DistributedDataParallel, a rank-0 checkpoint, destroy_process_group.

Run it as ``torchrun --nproc-per-node 2 ddp_torchrun.py`` (PyTorch) or
``latte run --nproc 2 ddp_torchrun.py`` (Latte). Alone, it is a world of one process.
"""
import argparse
import os

import _compat_dump
import torch
import torch.distributed as dist
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batch-size", type=int, default=8, help="per process")
parser.add_argument("--checkpoint", default="ddp_checkpoint.pt")
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

# a lone process (no torchrun) is rank 0 of a world of 1, as in the DDP tutorial's setup()
for name, value in (("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0"),
                    ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "29512")):
    os.environ.setdefault(name, value)


def main():
    dist.init_process_group(backend="gloo", init_method="env://")
    rank, world = dist.get_rank(), dist.get_world_size()
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cpu")
    assert rank == int(os.environ["RANK"]) and world == int(os.environ["WORLD_SIZE"])

    x = _compat_dump.fixed_randn(64, 6)
    y = (x[:, :3].sum(1) > 0).long()
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank,
                                 shuffle=not args.no_shuffle)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler)

    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 2)).to(device)
    _compat_dump.init_model(model, args)
    ddp_model = DDP(model, device_ids=None if device.type == "cpu" else [local_rank])
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.1, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(ddp_model(xb.to(device)), yb.to(device))
            loss.backward()
            optimizer.step()
            # the mean loss over every process's batch: the loss of the concatenated batch
            mean = loss.detach().clone()
            dist.all_reduce(mean, op=dist.ReduceOp.SUM)
            losses.append(mean.item() / world)
        if rank == 0:
            torch.save({"epoch": epoch, "model": ddp_model.module.state_dict(),
                        "optimizer": optimizer.state_dict()}, args.checkpoint)
        dist.barrier()
    state = torch.load(args.checkpoint, weights_only=True)["model"]
    for k, v in ddp_model.module.state_dict().items():
        assert torch.equal(state[k], v), k
    if rank == 0:
        print(f"world {world}: final loss {losses[-1]:.5f}")
        _compat_dump.dump(args, ddp_model.module, losses=losses)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
