"""The torchvision-style MNIST input pipeline, Latte against PyTorch, measured in the same run.

Both sides do the same per-sample work: index a uint8 image, make a PIL ``"L"`` image, ToTensor
(-> float32 (1, 28, 28) / 255), Normalize((0.1307,), (0.3081,)), then a DataLoader with batch 128
(shuffled, ``num_workers=0``) stacks the samples. torchvision does not import beside this pinned
torch build, so the PyTorch side's dataset and transforms are written here with torch tensors,
step for step as torchvision's ``MNIST``, ``ToTensor`` and ``Normalize`` do them.

Also printed, for reference: Latte's batched path (the dataset without a per-sample transform,
so each batch is one gather; ToTensor + Normalize then run once on the whole batch).

Figures are images per second, the median of ``--rounds`` interleaved rounds (latte, then
torch, then the batched path), each round reading ``--images`` images.

    python benchmarks/bench_vision.py              # real MNIST when found, else random digits
    python benchmarks/bench_vision.py --quick      # a smoke run

Real MNIST is read through ``$LATTE_DATA`` or ``../shared/data`` when present; otherwise the
benchmark writes 60,000 random 28x28 digits as IDX files in a temporary folder.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

MEAN, STD = (0.1307,), (0.3081,)
BATCH = 128


def data_root() -> tuple[str, str]:
    """A root folder for ``MNIST(root)`` and a description of the data in it."""
    shared = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
    if not os.environ.get("LATTE_DATA") and (shared / "mnist").is_dir():
        os.environ["LATTE_DATA"] = str(shared.resolve())
    from latte.vision.datasets import MNIST
    root = tempfile.mkdtemp(prefix="bench_vision_")
    try:
        MNIST(root, train=True)
        return root, "real MNIST (60,000 training images)"
    except RuntimeError:
        pass
    from latte.vision.datasets._idx import write_idx
    rng = np.random.default_rng(0)
    raw = Path(root) / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte", rng.integers(0, 256, (60000, 28, 28), np.uint8))
    write_idx(raw / "train-labels-idx1-ubyte", (np.arange(60000) % 10).astype(np.uint8))
    MNIST.content_md5s = {}  # random digits: header checks only
    return root, "random digits (real MNIST not found)"


def latte_loader(root: str) -> Iterable:
    import latte.utils.data as data
    from latte.vision import datasets, transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    ds = datasets.MNIST(root, train=True, transform=tf)
    return data.DataLoader(ds, batch_size=BATCH, shuffle=True)


def latte_batched_loader(root: str) -> Iterable:
    """No per-sample transform: each batch is one gather; the transforms run on the batch."""
    import latte
    import latte.utils.data as data
    from latte.vision import datasets, transforms
    ds = datasets.MNIST(root, train=True)
    norm = transforms.Normalize(MEAN, STD, inplace=True)
    loader = data.DataLoader(ds, batch_size=BATCH, shuffle=True)

    def batches() -> Iterable:
        for images, labels in loader:  # uint8 (B, 28, 28)
            x = transforms.ConvertImageDtype(latte.float32)(images.unsqueeze(1))
            yield norm(x), labels

    return _Reiterable(batches)


class _Reiterable:
    def __init__(self, make: Callable[[], Iterable]) -> None:
        self.make = make

    def __iter__(self):
        return iter(self.make())


def torch_loader(root: str) -> Iterable:
    """torchvision's MNIST + ToTensor + Normalize, written out with torch tensors."""
    import torch
    from PIL import Image

    from latte.vision.datasets import MNIST as LatteMNIST
    source = LatteMNIST(root, train=True)  # the same arrays, handed to torch once

    class TorchMNIST(torch.utils.data.Dataset):
        def __init__(self, transform: Callable) -> None:
            self.data = torch.from_numpy(source.data.numpy().copy())
            self.targets = torch.from_numpy(source.targets.numpy().copy())
            self.transform = transform

        def __len__(self) -> int:
            return len(self.data)

        def __getitem__(self, index: int):
            img, target = self.data[index], int(self.targets[index])
            img = Image.fromarray(img.numpy())
            return self.transform(img), target

    def to_tensor(pic):  # torchvision.transforms.functional.to_tensor for a PIL image
        img = torch.from_numpy(np.array(pic, np.uint8, copy=True))
        img = img.view(pic.size[1], pic.size[0], len(pic.getbands()))
        img = img.permute((2, 0, 1)).contiguous()
        return img.to(dtype=torch.get_default_dtype()).div(255)

    def normalize(tensor):  # torchvision.transforms.functional.normalize
        tensor = tensor.clone()
        mean = torch.as_tensor(MEAN, dtype=tensor.dtype).view(-1, 1, 1)
        std = torch.as_tensor(STD, dtype=tensor.dtype).view(-1, 1, 1)
        return tensor.sub_(mean).div_(std)

    def transform(img):
        return normalize(to_tensor(img))

    return torch.utils.data.DataLoader(TorchMNIST(transform), batch_size=BATCH, shuffle=True)


def images_per_second(loader: Iterable, n_images: int) -> float:
    seen, start = 0, time.perf_counter()
    while seen < n_images:
        for images, _ in loader:
            seen += images.shape[0]
            if seen >= n_images:
                break
    return seen / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.images = 1, 2048
    root, what = data_root()
    loaders = {"latte": latte_loader(root), "latte batched": latte_batched_loader(root)}
    try:
        loaders["torch"] = torch_loader(root)
    except ImportError as e:
        print(f"torch side skipped: {e}")
    results: dict[str, list[float]] = {name: [] for name in loaders}
    for _ in range(args.rounds):
        for name, loader in loaders.items():
            results[name].append(images_per_second(loader, args.images))
    print(f"MNIST pipeline ({what}), per-sample PIL -> ToTensor -> Normalize, batch {BATCH}, "
          f"shuffle, {args.images} images per round, median of {args.rounds} rounds")
    medians = {name: statistics.median(v) for name, v in results.items()}
    for name, value in medians.items():
        print(f"  {name:14s} {value:12,.0f} images/s")
    if "torch" in medians:
        print(f"  latte / torch: {medians['latte'] / medians['torch']:.2f}x "
              f"(target >= 1.0); batched path / torch: "
              f"{medians['latte batched'] / medians['torch']:.1f}x")


if __name__ == "__main__":
    main()
