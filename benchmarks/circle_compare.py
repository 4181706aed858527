"""Train the circle demo with Latte and with PyTorch over many seeds and compare the error counts.

Both frameworks see identical data for a seed (checked here); only the weight initialisation
differs. The reference for this setup is about 34 +- 9 train / 37 +- 11 test errors out of 1000:
both frameworks should land in the same band.

    python benchmarks/circle_compare.py [--seeds 15] [--epochs 75] [--activation tanh]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "examples"), str(Path(__file__).resolve().parent)]

import circle  # noqa: E402  (examples/circle.py)
import circle_torch  # noqa: E402

import latte  # noqa: E402


def check_same_data(seed: int) -> None:
    """Fail loudly if latte's seeded draws and the NumPy ones the PyTorch run uses differ."""
    latte.manual_seed(seed)
    ours = circle.make_data(circle.N_POINTS) + circle.make_data(circle.N_POINTS)
    theirs = circle_torch.make_datasets(seed)
    for a, b in zip(ours, theirs):
        if not np.array_equal(a.numpy(), b):
            raise SystemExit(f"seed {seed}: latte and NumPy generate different data; the "
                             f"comparison would not be like for like")


def same_init_gap(seed: int, epochs: int, activation: str) -> tuple[bool, float]:
    """Train both frameworks from latte's initial weights: (same error counts?, max weight gap).

    With identical data and weights the two runs differ only by float32 rounding, so any
    difference in the means above comes from the initialisation draws alone.
    """
    import torch
    latte.manual_seed(seed)
    train_x, train_y = circle.make_data(circle.N_POINTS)
    test_x, test_y = circle.make_data(circle.N_POINTS)
    ours = circle.init_layers(circle.SIZES)
    theirs = [tuple(torch.tensor(t.detach().numpy()).requires_grad_() for t in layer)
              for layer in ours]
    circle.train(ours, train_x, train_y, epochs, activation)
    data = [torch.from_numpy(t.numpy()) for t in (train_x, train_y, test_x, test_y)]
    circle_torch.train(theirs, data[0], data[1], epochs, activation)
    same = (circle.count_errors(ours, train_x, train_y, activation) ==
            circle_torch.count_errors(theirs, data[0], data[1], activation) and
            circle.count_errors(ours, test_x, test_y, activation) ==
            circle_torch.count_errors(theirs, data[2], data[3], activation))
    gap = max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
              for la, lb in zip(ours, theirs) for a, b in zip(la, lb))
    return same, gap


def summary(values: list[int]) -> str:
    return f"{statistics.mean(values):5.1f} +- {statistics.stdev(values):4.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=75)
    parser.add_argument("--activation", choices=["tanh", "relu"], default="tanh")
    args = parser.parse_args()

    results: dict[str, dict[str, list[int]]] = {
        name: {"train": [], "test": [], "time": []} for name in ("latte", "torch")}
    runners = {"latte": circle.run, "torch": circle_torch.run}
    print(f"{'seed':>4}  {'latte train/test':>16}  {'torch train/test':>16}")
    for seed in range(args.seeds):
        check_same_data(seed)
        row = []
        for name, run in runners.items():
            start = time.perf_counter()
            train_errors, test_errors = run(seed, args.epochs, args.activation)
            results[name]["time"].append(time.perf_counter() - start)
            results[name]["train"].append(train_errors)
            results[name]["test"].append(test_errors)
            row.append(f"{train_errors:>7} / {test_errors:<6}")
        print(f"{seed:>4}  {row[0]:>16}  {row[1]:>16}", flush=True)

    print(f"\nerrors out of {circle.N_POINTS}, mean +- std over {args.seeds} seeds "
          f"({args.epochs} epochs, {args.activation}); reference: 34 +- 9 train / 37 +- 11 test")
    for name, r in results.items():
        print(f"{name:>6}: train {summary(r['train'])}   test {summary(r['test'])}   "
              f"median time per run {statistics.median(r['time']):.2f} s")

    checks = [same_init_gap(seed, args.epochs, args.activation) for seed in range(5)]
    print(f"\nfrom latte's initial weights (seeds 0-4): same error counts for "
          f"{sum(same for same, _ in checks)}/5 seeds, largest weight difference after "
          f"training {max(gap for _, gap in checks):.1e}")


if __name__ == "__main__":
    main()
