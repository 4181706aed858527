"""The circle task, Latte against PyTorch: 15 runs each, same seeds and data, ReLU and Tanh.

Reuses examples/circle.py (Latte, tensors and autograd only) and benchmarks/circle_torch.py
(the same program in PyTorch): 2-25-25-25-2, MSE to one-hot targets, SGD lr 0.1 momentum 0.9,
batch 100, 75 epochs. For each seed both frameworks train on identical points (checked); only
the weight initialisation differs. The table gives the mean and standard deviation of the
train and test error counts out of 1,000, in the shape of the reference's (about 34 +- 9 train
and 37 +- 11 test errors for Tanh).

Data: generated, 1,000 training and 1,000 test points per seed (no files needed). Without
PyTorch installed only the Latte column is filled. --quick: 2 seeds, 2 epochs.

    python experiments/circle_vs_torch.py [--quick] [--seeds 15] [--out runs/circle_vs_torch]
"""
from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "examples"), str(ROOT / "benchmarks")]

import circle  # noqa: E402  (examples/circle.py)


def _frameworks() -> dict:
    runners = {"latte": circle.run}
    try:
        import circle_torch  # noqa: E402  (benchmarks/circle_torch.py; needs torch)
    except ImportError:
        print("PyTorch is not installed: only Latte runs", file=sys.stderr)
    else:
        runners["pytorch"] = circle_torch.run
    return runners


def _stat(values: list[int]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.1f} ± {sd:.1f}"


def main(argv: list[str] | None = None) -> list[dict]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2 seeds of 2 epochs")
    p.add_argument("--seeds", type=int, default=15)
    p.add_argument("--epochs", type=int, default=75)
    p.add_argument("--out", default="runs/circle_vs_torch")
    args = p.parse_args(argv)
    seeds, epochs = (2, 2) if args.quick else (args.seeds, args.epochs)
    rows = []
    for activation in ("relu", "tanh"):
        for name, run in _frameworks().items():
            train, test, times = [], [], []
            for seed in range(seeds):
                start = time.perf_counter()
                tr, te = run(seed, epochs, activation)
                times.append(time.perf_counter() - start)
                train.append(tr)
                test.append(te)
            rows.append({"activation": activation, "framework": name, "runs": seeds,
                         "train_errors": _stat(train), "test_errors": _stat(test),
                         "time_per_run_s": f"{statistics.median(times):.2f}"})
            print(rows[-1], flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keys = list(rows[0])
    md = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    md += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    header = (f"Circle task, errors out of {circle.N_POINTS} (mean ± std over {seeds} seeds, "
              f"{epochs} epochs); data generated per seed, identical for both frameworks.\n\n")
    (out / "results.md").write_text(header + "\n".join(md) + "\n")
    with open(out / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    print("\n" + header + "\n".join(md))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
