"""Hogwild training in the shape of PyTorch's examples/mnist_hogwild: one model in shared
memory (``model.share_memory()``), several ``torch.multiprocessing`` processes updating it
with no locks, then a test in the parent. Synthetic, clearly separable data: both frameworks
reach full accuracy, whatever order the racing updates land in."""
import argparse

import _compat_dump
import torch
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser(description="Hogwild on synthetic data")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--num-processes", type=int, default=2)
parser.add_argument("--batch-size", type=int, default=16)
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--start-method", default="spawn")
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


def dataset(seed, n=256):
    x = _compat_dump.fixed_randn(n, 8, seed=seed) * 2
    centers = _compat_dump.fixed_randn(4, 8, seed=99) * 4
    y = torch.arange(n) // 2 % 4  # every process sees every class
    return TensorDataset(x * 0.3 + centers[y], y)


def train(rank, args, model):
    torch.manual_seed(args.seed + rank)
    full = dataset(seed=0)
    part = torch.utils.data.Subset(full, list(range(rank, len(full), args.num_processes)))
    loader = DataLoader(part, batch_size=args.batch_size, shuffle=not args.no_shuffle)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.5)
    model.train()
    for epoch in range(1, args.epochs + 1):
        for data, target in loader:
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
        print(f"{mp.current_process().name} epoch {epoch} loss {loss.item():.4f}")


def test(model):
    loader = DataLoader(dataset(seed=1), batch_size=64)
    model.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            output = model(data)
            loss += F.nll_loss(output, target, reduction="sum").item()
            correct += output.argmax(dim=1).eq(target).sum().item()
    n = len(loader.dataset)
    print(f"Test set: average loss {loss / n:.4f}, accuracy {correct}/{n}")
    return correct / n


if __name__ == "__main__":
    args = parser.parse_args()
    mp.set_start_method(args.start_method, force=True)
    torch.manual_seed(args.seed)
    model = Net()
    _compat_dump.init_model(model, args)
    model.share_memory()  # gradients are allocated lazily, so they are not shared here
    before = test(model)
    processes = []
    for rank in range(args.num_processes):
        p = mp.Process(target=train, args=(rank, args, model))
        p.start()
        processes.append(p)
    for p in processes:
        p.join()
        assert p.exitcode == 0, f"{p.name} exited with {p.exitcode}"
    after = test(model)
    assert after > before, "the workers' updates did not reach the shared model"
    _compat_dump.dump(args, None, accuracy=[after])
