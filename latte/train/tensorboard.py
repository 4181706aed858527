"""What ``latte train --tensorboard`` logs each epoch: the history row's numbers, the weights'
and gradients' histograms, and (once) a grid of training images, into ``run_dir/tensorboard``.

``tensorboard --logdir runs`` then shows every run; ``latte sweep`` adds the HParams tab.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from latte.utils.tensorboard import SummaryWriter

__all__ = ["TensorBoardLogger"]

# history columns drawn on one chart each, grouped by what they measure
_GROUPS = {"loss": "loss", "acc": "accuracy", "top5": "accuracy", "lr": "lr", "time": "time"}


class TensorBoardLogger:
    """An ``on_epoch_end`` callback of ``latte.train.fit`` writing TensorBoard events."""

    def __init__(self, log_dir: str | Path, model: Any, sample_images: Any = None) -> None:
        self.writer = SummaryWriter(str(log_dir))
        self.model = model
        self.sample_images = sample_images

    def __call__(self, row: dict[str, Any]) -> None:
        epoch = int(row["epoch"])
        for key, value in row.items():
            if key != "epoch" and isinstance(value, (int, float)):
                group = next((g for suffix, g in _GROUPS.items() if key.endswith(suffix)), "misc")
                self.writer.add_scalar(f"{group}/{key}", value, epoch)
        for name, p in self.model.named_parameters():
            self.writer.add_histogram(f"weights/{name}", p.detach(), epoch)
            if p.grad is not None:
                self.writer.add_histogram(f"gradients/{name}", p.grad, epoch)
        if self.sample_images is not None:
            images = self.sample_images
            low, high = float(images.min()), float(images.max())
            self.writer.add_images("samples", (images - low) / max(high - low, 1e-12), epoch)
            self.sample_images = None  # the inputs do not change: once is enough
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
