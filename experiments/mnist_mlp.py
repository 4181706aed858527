"""MNIST MLP: one factor at a time around a base setting, as in the reference reports.

Base: one hidden layer of 256 ReLU units, SGD lr 0.05 momentum 0.9, batch 64, cross-entropy,
10 epochs, 10% of the training set held out for validation. Variants change one thing:
hidden size 64-512, depth 2, momentum 0, no bias, dropout 0.2/0.5, L2 1e-4, MSE loss, early
stopping (patience 2 on val_loss, best weights restored). The reference reports test
accuracies of 95-98%, best MLP 97.9%.

Data: the full MNIST (--data-dir or $LATTE_DATA); without it the 5,000-digit sample shipped
with latte (4,000 train / 1,000 test), which the table then names. --quick: 2 batches a run.

    python experiments/mnist_mlp.py [--quick] [--data-dir DIR] [--out runs/mnist_mlp]
"""
from __future__ import annotations

import sys

import _common

from latte.cli.config import TrainConfig

BASE = TrainConfig(model="mlp", dataset="mnist", hidden="256", optimizer="sgd", lr=0.05,
                   momentum=0.9, batch_size=64, epochs=10, val_split=0.1, seed=0)

VARIANTS = [
    ("base", {}),
    ("hidden64", {"hidden": "64"}),
    ("hidden128", {"hidden": "128"}),
    ("hidden512", {"hidden": "512"}),
    ("depth2", {"hidden": "256,256"}),
    ("momentum0", {"momentum": 0.0}),
    ("no_bias", {"bias": False}),
    ("dropout0.2", {"dropout": 0.2}),
    ("dropout0.5", {"dropout": 0.5}),
    ("l2_1e-4", {"weight_decay": 1e-4}),
    ("mse", {"loss": "mse", "lr": 0.5}),
    ("early_stop", {"patience": 2, "epochs": 30}),
]


def main(argv: list[str] | None = None) -> None:
    args = _common.parser(__doc__, "runs/mnist_mlp").parse_args(argv)
    _common.run(BASE, VARIANTS, args)


if __name__ == "__main__":
    main(sys.argv[1:])
