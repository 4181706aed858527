"""``examples/circle.py`` line for line in PyTorch, to compare the two frameworks' results.

The data come from NumPy's PCG64 seeded with ``seed`` -- the very draws ``latte.manual_seed(seed)``
then ``latte.rand`` make -- so both frameworks train on identical points; the weights come from
each framework's own seeded generator, so the runs differ only in initialisation and rounding.

    python benchmarks/circle_torch.py --seed 0 --epochs 75 --activation tanh
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

N_POINTS = 1000
SIZES = [2, 25, 25, 25, 2]
BATCH_SIZE = 100
LR = 0.1
MOMENTUM = 0.9


def make_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in [0, 1]^2, float32 ``(n, 2)``, and their int64 labels ``(n,)``."""
    x = rng.random((n, 2), dtype=np.float32)
    radius = 1 / math.sqrt(2 * math.pi)
    inside = ((x - 0.5) ** 2).sum(axis=1) < radius**2
    return x, inside.astype(np.int64)


def make_datasets(seed: int, n: int = N_POINTS) -> tuple[np.ndarray, ...]:
    """``(train_x, train_y, test_x, test_y)``, drawn in that order from PCG64 seeded by ``seed``."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return make_data(rng, n) + make_data(rng, n)


def init_layers(sizes: list[int]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(weight, bias)`` per layer from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as ``nn.Linear``."""
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        w = torch.empty(fan_out, fan_in).uniform_(-bound, bound).requires_grad_()
        b = torch.empty(fan_out).uniform_(-bound, bound).requires_grad_()
        layers.append((w, b))
    return layers


def forward(layers: list, x: torch.Tensor, activation: str) -> torch.Tensor:
    for i, (w, b) in enumerate(layers):
        x = x @ w.t() + b
        if i < len(layers) - 1:
            x = x.tanh() if activation == "tanh" else x.relu()
    return x


def count_errors(layers: list, x: torch.Tensor, labels: torch.Tensor, activation: str) -> int:
    with torch.no_grad():
        predicted = forward(layers, x, activation).argmax(dim=1)
    return int((predicted != labels).sum())


def train(layers: list, x: torch.Tensor, labels: torch.Tensor, epochs: int,
          activation: str) -> None:
    targets = torch.stack([1 - labels, labels], dim=1).float()
    params = [p for layer in layers for p in layer]
    velocities = [torch.zeros_like(p) for p in params]
    for _ in range(epochs):
        for start in range(0, len(x), BATCH_SIZE):
            out = forward(layers, x[start:start + BATCH_SIZE], activation)
            loss = ((out - targets[start:start + BATCH_SIZE]) ** 2).mean()
            for p in params:
                p.grad = None
            loss.backward()
            with torch.no_grad():
                for p, v in zip(params, velocities):
                    v.mul_(MOMENTUM).add_(p.grad)
                    p.sub_(v, alpha=LR)


def run(seed: int = 0, epochs: int = 75, activation: str = "tanh",
        n_points: int = N_POINTS) -> tuple[int, int]:
    """Train a fresh network on the seed's data and return ``(train_errors, test_errors)``."""
    train_x, train_y, test_x, test_y = (torch.from_numpy(a) for a in make_datasets(seed, n_points))
    torch.manual_seed(seed)
    layers = init_layers(SIZES)
    train(layers, train_x, train_y, epochs, activation)
    return (count_errors(layers, train_x, train_y, activation),
            count_errors(layers, test_x, test_y, activation))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=75)
    parser.add_argument("--activation", choices=["tanh", "relu"], default="tanh")
    args = parser.parse_args()
    start = time.perf_counter()
    train_errors, test_errors = run(args.seed, args.epochs, args.activation)
    elapsed = time.perf_counter() - start
    print(f"train error: {train_errors} / {N_POINTS} ({train_errors / N_POINTS:.1%})")
    print(f"test error:  {test_errors} / {N_POINTS} ({test_errors / N_POINTS:.1%})")
    print(f"wall time:   {elapsed:.2f} s")


if __name__ == "__main__":
    main()
