"""Data-loading throughput of Latte's DataLoader against PyTorch's, measured in the same run.

Two figures, in images per second, each the median of ``--rounds`` interleaved rounds (round r
runs latte then torch, so a busy machine slows both alike):

  (a) a TensorDataset of MNIST-sized arrays (60,000 x 1 x 28 x 28 float32 + int64 labels),
      batch 128, shuffle=True, one full epoch                  target: latte >= 200,000 img/s
  (b) a torchvision-style per-sample pipeline: MNIST images through PIL, ToTensor and
      Normalize for every sample, then default_collate; batch 128, shuffle. Latte runs
      ``latte.vision.datasets.MNISTSample`` (4,000 real digits) with ``latte.vision.transforms``;
      PyTorch runs the same arrays through the same steps as torchvision's MNIST, ToTensor and
      Normalize do (torchvision itself is not a dependency)     target: latte >= torch

    python benchmarks/bench_data.py              # 5 rounds
    python benchmarks/bench_data.py --rounds 9
    python benchmarks/bench_data.py --workers 2  # (b) again with 2 worker processes each

Without PyTorch the latte figures are printed alone; without pillow or latte.vision, (b) is
skipped with a note.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import latte
from latte.utils.data import DataLoader, TensorDataset

N, BATCH = 60_000, 128
MEAN, STD = 0.1307, 0.3081


def epoch_rate(loader: Any) -> float:
    """Images per second over one full pass of ``loader``."""
    start = time.perf_counter()
    n = 0
    for images, _ in loader:
        n += images.shape[0]
    return n / (time.perf_counter() - start)


def interleaved(makers: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    """Median images/s per framework over ``rounds`` rounds, frameworks alternating."""
    rates: dict[str, list] = {name: [] for name in makers}
    for _ in range(rounds):
        for name, make in makers.items():
            rates[name].append(epoch_rate(make()))
    return {name: statistics.median(r) for name, r in rates.items()}


def tensor_dataset_makers(torch: Any) -> dict[str, Callable[[], Any]]:
    rng = np.random.default_rng(0)
    images = rng.random((N, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, N)
    ds = TensorDataset(latte.from_numpy(images), latte.from_numpy(labels))
    makers = {"latte": lambda: DataLoader(ds, batch_size=BATCH, shuffle=True)}
    if torch is not None:
        tds = torch.utils.data.TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
        makers["torch"] = lambda: torch.utils.data.DataLoader(tds, batch_size=BATCH,
                                                              shuffle=True)
    return makers


def pipeline_makers(torch: Any, workers: int) -> dict[str, Callable[[], Any]] | str:
    try:
        from PIL import Image  # noqa: F401

        from latte.vision import datasets, transforms
    except ImportError as e:
        return f"skipped: {e}"
    ds = datasets.MNISTSample(train=True, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))]))
    kwargs = dict(batch_size=BATCH, shuffle=True, num_workers=workers)
    makers = {"latte": lambda: DataLoader(ds, **kwargs)}
    if torch is not None:
        tds = _torchvision_style(torch)(ds.data.numpy(), ds.targets.numpy())
        makers["torch"] = lambda: torch.utils.data.DataLoader(tds, **kwargs)
    return makers


def _torchvision_style(torch: Any) -> type:
    """torchvision's MNIST + ToTensor + Normalize, step for step, without torchvision."""
    from PIL import Image

    class TorchMNIST(torch.utils.data.Dataset):
        def __init__(self, data: np.ndarray, targets: np.ndarray) -> None:
            self.data = torch.from_numpy(data)
            self.targets = torch.from_numpy(targets)
            self.mean = torch.tensor([MEAN]).view(-1, 1, 1)
            self.std = torch.tensor([STD]).view(-1, 1, 1)

        def __len__(self) -> int:
            return len(self.data)

        def __getitem__(self, i: int) -> tuple:
            img, target = self.data[i], int(self.targets[i])
            img = Image.fromarray(img.numpy(), mode="L")                  # MNIST.__getitem__
            arr = torch.from_numpy(np.array(img, np.uint8, copy=True))     # F.to_tensor
            t = arr.view(img.size[1], img.size[0], 1).permute(2, 0, 1).contiguous()
            t = t.to(torch.float32).div(255)
            t = t.sub(self.mean).div(self.std)                             # F.normalize
            return t, target

    return TorchMNIST


def report(title: str, rates: dict[str, float], target: str) -> None:
    print(f"\n{title}")
    for name, rate in rates.items():
        print(f"  {name:6s} {rate:>12,.0f} images/s")
    if "torch" in rates:
        print(f"  latte / torch = {rates['latte'] / rates['torch']:.2f}x")
    print(f"  target: {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0,
                        help="also run (b) with this many worker processes")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: latte figures only")
    print(f"median of {args.rounds} interleaved rounds, one epoch each")

    rates = interleaved(tensor_dataset_makers(torch), args.rounds)
    report("(a) TensorDataset 60,000 x 1 x 28 x 28 float32, batch 128, shuffle", rates,
           "latte >= 200,000 images/s")

    for workers in sorted({0, args.workers}):
        makers = pipeline_makers(torch, workers)
        title = (f"(b) MNIST (4,000 digits) + ToTensor + Normalize per sample, batch 128, "
                 f"shuffle, num_workers={workers}")
        if isinstance(makers, str):
            print(f"\n{title}\n  {makers}")
            continue
        report(title, interleaved(makers, args.rounds), "latte >= torch")


if __name__ == "__main__":
    main()
