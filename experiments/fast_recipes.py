"""What the fast recipes' Latte script and its PyTorch twin share, in NumPy only.

The recipe follows the published fast CIFAR-10 trainings (Page's "How to train your ResNet",
Jordan's airbench): a small VGG-like net without residuals whose first layer is a fixed 2x2
patch-whitening convolution, label smoothing, alternating flips and random 2-pixel translations,
Nesterov SGD on a summed loss with a short warm-up and a linear decay, a look-ahead weight
average every five steps, and flip + translate test-time augmentation.

Both frameworks get their batches, learning-rate factors and whitening weights from here, so
they see the same images in the same order with the same augmentation: only the arithmetic of
the two frameworks differs.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

CIFAR10 = {
    "dataset": "cifar10",
    "mean": (0.4914, 0.4822, 0.4465),
    "std": (0.2470, 0.2435, 0.2616),
    "flip": True,
    "epochs": 10,
    "batch_size": 1024,
    "lr": 11.5,              # per 1024 examples, on the summed loss
    "momentum": 0.85,
    "weight_decay": 0.0153,  # per 1024 examples
    "bias_scaler": 64.0,     # BatchNorm biases learn 64x faster (no extra weight decay)
    "label_smoothing": 0.2,
    "whiten_bias_epochs": 3,  # the whitening layer's bias trains for the first epochs only
    "translate": 2,
    "widths": (64, 256, 256),
    "batchnorm_momentum": 0.6,  # of the running average (PyTorch's momentum is 1 - this)
    "scaling_factor": 1 / 9,
    "tta_level": 2,          # 0 none, 1 mirror, 2 mirror + 1-pixel translations
    "eval_batch_size": 2000,
}

# The same recipe for handwritten digits: no flips (a mirrored digit is another glyph), a
# narrower net, a lighter label smoothing.
MNIST = dict(CIFAR10, dataset="mnist", mean=(0.1307,), std=(0.3081,), flip=False, epochs=6,
             batch_size=512, widths=(32, 64, 128), label_smoothing=0.1, tta_level=2)

RECIPES = {"cifar10": CIFAR10, "mnist": MNIST}

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load(recipe: dict, root: str | Path | None) -> Arrays:
    """Train and test images as uint8 ``(N, C, H, W)`` and labels as int64, from ``root`` or
    ``$LATTE_DATA`` (their ``mnist/`` or ``cifar-10-batches-py/`` folders)."""
    # Latte's readers of the official files (IDX, pickled batches), used for NumPy arrays only
    from latte.vision.datasets import CIFAR10, MNIST
    if root is not None:
        os.environ["LATTE_DATA"] = str(root)  # where both readers look besides their root
    if recipe["dataset"] == "mnist":
        train, test = (MNIST(root or ".", train=t) for t in (True, False))
        return (train.data.numpy()[:, None], train.targets.numpy().astype(np.int64),
                test.data.numpy()[:, None], test.targets.numpy().astype(np.int64))
    train, test = (CIFAR10(root or ".", train=t) for t in (True, False))
    return (np.ascontiguousarray(train.data.transpose(0, 3, 1, 2)),
            np.asarray(train.targets, dtype=np.int64),
            np.ascontiguousarray(test.data.transpose(0, 3, 1, 2)),
            np.asarray(test.targets, dtype=np.int64))


def normalize(images: np.ndarray, recipe: dict) -> np.ndarray:
    """uint8 images to float32, standardised per channel."""
    mean = np.asarray(recipe["mean"], dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(recipe["std"], dtype=np.float32).reshape(1, -1, 1, 1)
    return (images.astype(np.float32) / 255 - mean) / std


def whitening_weights(images: np.ndarray, eps: float = 5e-4) -> np.ndarray:
    """The ``(8C, C, 2, 2)`` kernel that whitens 2x2 patches of ``images`` (normalised floats):
    each eigenvector of the patches' second moment scaled by ``1/sqrt(eigenvalue)``, and its
    negative (so a ReLU-like activation after it keeps both signs)."""
    n, c, h, w = images.shape
    windows = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(2, 3))
    patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * 4).astype(np.float64)
    eigenvalues, eigenvectors = np.linalg.eigh(patches.T @ patches / len(patches))
    scaled = eigenvectors.T[::-1] / np.sqrt(eigenvalues[::-1, None] + eps)
    kernel = scaled.reshape(-1, c, 2, 2)
    return np.concatenate([kernel, -kernel]).astype(np.float32)


def lr_factor(step: int, total_steps: int, start: float = 0.2, peak: float = 0.23,
              end: float = 0.07) -> float:
    """The triangular schedule: ``start`` to 1 over the first ``peak`` of training, then a
    linear decay to ``end``."""
    return float(np.interp(step, [0, int(peak * total_steps), total_steps], [start, 1.0, end]))


def lookahead_decay(step: int, total_steps: int) -> float:
    """How much of the averaged weights the look-ahead keeps at ``step``: rising from 0 to
    0.95**5 as training ends, so early steps follow the net and late ones average it."""
    return 0.95 ** 5 * (step / total_steps) ** 3


def translate(images: np.ndarray, offsets: np.ndarray, pad: int) -> np.ndarray:
    """Shift each image by its ``(dy, dx)`` in ``[-pad, pad]``, filling by reflection: one
    vectorised slice per distinct offset, not one per image."""
    padded = np.pad(images, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="reflect")
    out = np.empty_like(images)
    h, w = images.shape[2:]
    for dy in range(2 * pad + 1):
        for dx in range(2 * pad + 1):
            pick = (offsets[:, 0] == dy) & (offsets[:, 1] == dx)
            out[pick] = padded[pick, :, dy:dy + h, dx:dx + w]
    return out


class EpochBatches:
    """The training batches of every epoch: a fresh order, random translations, and (with
    ``recipe["flip"]``) flips that alternate per image (random in the first epoch, the opposite
    one in every odd epoch)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, recipe: dict,
                 seed: int = 0) -> None:
        self.images, self.labels, self.recipe = images, labels, recipe
        self.batch_size, self.pad = recipe["batch_size"], recipe["translate"]
        self.rng = np.random.default_rng(seed)
        self.flipped_first = self.rng.random(len(images)) < 0.5

    def __len__(self) -> int:
        return len(self.images) // self.batch_size  # the last partial batch is dropped

    def epoch(self, epoch: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(normalised float32 images, labels)`` batches of ``epoch``."""
        images = self.images
        if self.recipe["flip"]:
            flip = self.flipped_first ^ bool(epoch % 2)
            images = np.where(flip[:, None, None, None], images[..., ::-1], images)
        offsets = self.rng.integers(0, 2 * self.pad + 1, size=(len(images), 2))
        images = translate(images, offsets, self.pad)
        order = self.rng.permutation(len(images))
        for i in range(len(self)):
            pick = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield normalize(images[pick], self.recipe), self.labels[pick]
