"""Test accuracy against wall time of fast_training.py runs (Latte and its PyTorch twin).

    python experiments/plot_fast_training.py runs/latte_cifar10.json runs/torch_cifar10.json \
        --out experiments/fast_training_cifar10.png
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def plot(results: list[dict], out: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for result in results:
        history = result["history"]
        minutes = [row["wall_s"] / 60 for row in history]
        accuracy = [100 * row["test_acc"] for row in history]
        line, = ax.plot(minutes, accuracy, marker="o", label=f"{result['framework']} "
                        f"({100 * result['test_acc_tta']:.2f}% with TTA)")
        ax.plot([result["wall_s"] / 60], [100 * result["test_acc_tta"]], marker="*",
                markersize=12, color=line.get_color())
    ax.set_xlabel("wall time (minutes)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"fast recipe: {results[0]['recipe']}, per epoch; star: test-time augmentation")
    ax.set_ylim(bottom=max(0, min(100 * r["history"][0]["test_acc"] for r in results) - 5))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", nargs="+", type=Path, help="JSON files written by --out")
    p.add_argument("--out", type=Path, required=True, help="the PNG to write")
    args = p.parse_args(argv)
    plot([json.loads(path.read_text()) for path in args.results], args.out)


if __name__ == "__main__":
    main()
