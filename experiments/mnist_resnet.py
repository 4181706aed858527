"""MNIST ResNet with augmentation and MultiStepLR (the reference reached 99.5% test).

Base: the MNIST ResNet of latte.vision.models (3x3 conv 16 + BN + ReLU, residual stages
2x16, 2x32/2, 2x64/2, global average pool, FC 64->10), SGD lr 0.1 momentum 0.9 weight decay
5e-4, batch 128, 15 epochs, MultiStepLR x0.1 at epochs 8 and 12, augmentation: with p=0.5,
RandomRotation(45) then ColorJitter(brightness=0.3, contrast=0.3). Variant: no augmentation.
On this CPU-only machine an epoch takes minutes: use --epochs to shorten.

Data: the full MNIST (--data-dir or $LATTE_DATA), else the shipped 5,000-digit sample.
--quick: 2 batches a run.

    python experiments/mnist_resnet.py [--quick] [--epochs N] [--data-dir DIR]
"""
from __future__ import annotations

import sys

import _common

from latte.cli.config import TrainConfig

BASE = TrainConfig(model="mnist_resnet", dataset="mnist", optimizer="sgd", lr=0.1, momentum=0.9,
                   weight_decay=5e-4, batch_size=128, epochs=15, scheduler="multistep",
                   milestones="8,12", gamma=0.1, augment=True, val_split=0.1, seed=0)

VARIANTS = [("augmented", {}), ("no_augmentation", {"augment": False})]


def main(argv: list[str] | None = None) -> None:
    args = _common.parser(__doc__, "runs/mnist_resnet").parse_args(argv)
    _common.run(BASE, VARIANTS, args)


if __name__ == "__main__":
    main(sys.argv[1:])
