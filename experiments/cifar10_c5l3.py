"""CIFAR-10 C5L3 variants: Adam vs SGD, dropout, BatchNorm, extra augmentation.

Base: C5L3 (five 3x3 convs 128-256-512-512-256, three linear layers 512-256-128, ReLU,
max-pooling, dropout 0.3/0.5; about 7.3M parameters), Adam lr 1e-3, batch 128. The reference
trains 150 epochs on a GPU; on this CPU-only machine the default is 1 epoch per variant and the
table reports the time per epoch (epoch_time_s) so the full budget can be estimated.

Data: CIFAR-10 python batches (cifar-10-batches-py) from --data-dir or $LATTE_DATA; get them
with datasets.CIFAR10(root, download=True). --quick: 2 batches a run.

    python experiments/cifar10_c5l3.py [--quick] [--epochs N] [--data-dir DIR]
"""
from __future__ import annotations

import sys

import _common

from latte.cli.config import TrainConfig

BASE = TrainConfig(model="c5l3", dataset="cifar10", optimizer="adam", lr=1e-3, batch_size=128,
                   epochs=1, val_split=0.1, seed=0)

VARIANTS = [
    ("adam", {}),
    ("sgd", {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9}),
    ("no_dropout", {"dropout": 0.0}),
    ("batchnorm", {"model": "c5l3_bn"}),
    ("augmented", {"augment": True}),
]


def main(argv: list[str] | None = None) -> None:
    args = _common.parser(__doc__, "runs/cifar10_c5l3").parse_args(argv)
    _common.run(BASE, VARIANTS, args)


if __name__ == "__main__":
    main(sys.argv[1:])
