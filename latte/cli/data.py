"""The data sets ``latte train`` knows, loaded as train/test pairs with their shapes.

Without augmentation the images are preloaded once as normalised float32 tensors, so batches
are single gathers. With batch augmentation (``--augment flip|crop|crop-flip``, ``--translate``)
the training images stay uint8 and each batch is augmented and normalised at once
(``BatchTransformLoader``); with ``--augment per-image`` the training set goes through PIL
transforms image by image.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import latte
from latte.tensor import Tensor
from latte.utils.data import Dataset, Subset, TensorDataset
from latte.vision import transforms as T

__all__ = ["DataBundle", "load_data", "split_train_val", "DatasetMissing",
           "BatchTransformLoader"]

# (dataset class name, mean, std) per channel, the usual published statistics
_IMAGE_SETS = {
    "mnist": ("MNIST", (0.1307,), (0.3081,)),
    "mnist-sample": ("MNISTSample", (0.1307,), (0.3081,)),
    "fashion-mnist": ("FashionMNIST", (0.2860,), (0.3530,)),
    "kmnist": ("KMNIST", (0.1918,), (0.3483,)),
    "cifar10": ("CIFAR10", (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}


class DatasetMissing(RuntimeError):
    """The data set's files are not on disk; the message says how to get them."""


@dataclass
class DataBundle:
    """Train and test sets plus what a model needs to know about them."""

    train: Dataset
    test: Dataset
    num_classes: int
    input_shape: tuple[int, ...]
    classes: list[str]
    description: str
    plain_train: Dataset | None = None  # the training images without augmentation
    # with batch augmentation, train holds uint8 images: these make batches of it model inputs
    train_batch_transform: Callable | None = None  # augment, then normalise
    batch_normalize: Callable | None = None  # normalise only (validation batches)


class BatchTransformLoader:
    """``loader``'s batches ``(x, y)`` with ``transform`` applied to each whole ``x``.

    Keeps the loader's ``len`` and ``sampler`` (so ``fit`` can call ``set_epoch``); the
    transform runs in this process, on the batch as the loader made it.

    Example::

        >>> loader = BatchTransformLoader(DataLoader(uint8_set, 512, shuffle=True),
        ...                               T.Compose([T.BatchRandomCrop(32, padding=4),
        ...                                          T.BatchNormalize(mean, std)]))
    """

    def __init__(self, loader: Iterable, transform: Callable) -> None:
        self.loader, self.transform = loader, transform

    @property
    def sampler(self) -> Any:
        return getattr(self.loader, "sampler", None)

    def __len__(self) -> int:
        return len(self.loader)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator:
        for x, y in self.loader:
            yield self.transform(x), y


@contextlib.contextmanager
def _data_dir(path: str | None) -> Iterator[None]:
    """Let the data sets search ``path`` the way they search ``$LATTE_DATA``."""
    if path is None:
        yield
        return
    old = os.environ.get("LATTE_DATA")
    os.environ["LATTE_DATA"] = str(path)
    try:
        yield
    finally:
        if old is None:
            del os.environ["LATTE_DATA"]
        else:
            os.environ["LATTE_DATA"] = old


def _uint8_images(ds: Any) -> np.ndarray:
    """The data set's images as one ``(N, C, H, W)`` uint8 array (CIFAR is stored HWC)."""
    data = np.asarray(getattr(ds.data, "_data", ds.data))
    return np.ascontiguousarray(data[:, None] if data.ndim == 3 else data.transpose(0, 3, 1, 2))


def _labels(ds: Any) -> Tensor:
    return Tensor(np.asarray(getattr(ds.targets, "_data", ds.targets), dtype=np.int64))


def _preload(ds: Any, mean: tuple, std: tuple) -> TensorDataset:
    """``(N, C, H, W)`` float32 normalised images and int64 labels, computed once."""
    x = _uint8_images(ds).astype(np.float32) / 255.0
    x = (x - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    return TensorDataset(Tensor(np.ascontiguousarray(x, dtype=np.float32)), _labels(ds))


def _augmentation(name: str, mean: tuple, std: tuple) -> Any:
    if name == "cifar10":
        ops = [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip()]
    else:  # the reference MNIST recipe: rotation and brightness/contrast, half of the time
        ops = [T.RandomApply([T.RandomRotation(45), T.ColorJitter(brightness=0.3, contrast=0.3)],
                             p=0.5)]
    return T.Compose([*ops, T.ToTensor(), T.Normalize(mean, std)])


def _missing_message(name: str, error: Exception, data_dir: str | None) -> str:
    return (f"the {name} data set is not on disk ({error}).\nGet it with one of:\n"
            f"  --data-dir DIR   a folder holding DIR/{_IMAGE_SETS[name][0]}/raw/ or "
            f"DIR/{name}/ with the original files\n"
            f"  export LATTE_DATA=DIR   the same, for every command\n"
            f"  python -c \"from latte.vision import datasets; "
            f"datasets.{_IMAGE_SETS[name][0]}('{data_dir or 'data'}', download=True)\"")


def load_data(name: str, data_dir: str | None = None, augment: bool = False, seed: int = 0,
              log: Any = print, batch_augment: Sequence[Callable] | None = None) -> DataBundle:
    """Load data set ``name``; ``mnist`` falls back to the shipped sample (and says so).

    ``augment`` puts the training set through the data set's per-image PIL pipeline;
    ``batch_augment`` (a list of batch transforms, possibly empty) keeps the training images
    uint8 instead and sets ``train_batch_transform`` to those transforms then normalisation.
    """
    if batch_augment is not None and name == "circle":
        raise ValueError("--augment flip/crop/crop-flip and --translate need an image data set, "
                         "not circle")
    if name == "circle":
        x, y = _circle(seed)
        return DataBundle(TensorDataset(x[:1000], y[:1000]), TensorDataset(x[1000:], y[1000:]),
                          2, (2,), ["outside", "inside"],
                          "circle: 1,000 train / 1,000 test points uniform in the unit square, "
                          "label 1 inside the disc of area 1/2 (generated)")
    from latte.vision import datasets
    cls_name, mean, std = _IMAGE_SETS[name]
    cls = getattr(datasets, cls_name)
    root = data_dir or os.environ.get("LATTE_DATA") or "data"
    partial = {"allow_partial": True} if name == "cifar10" else {}  # use the batches present
    with _data_dir(data_dir):
        try:
            train_raw, test_raw = cls(root, train=True, **partial), cls(root, train=False)
            if getattr(train_raw, "missing_batches", None):
                log(f"CIFAR-10: training on the batches present ({len(train_raw):,} images); "
                    f"missing {', '.join(train_raw.missing_batches)}")
        except RuntimeError as e:
            if "not found" not in str(e):
                raise
            if name != "mnist":
                raise DatasetMissing(_missing_message(name, e, data_dir)) from None
            log("Full MNIST not found (use --data-dir DIR or $LATTE_DATA to point at it, or "
                "download it: datasets.MNIST(root, download=True)); using the MNIST sample "
                "shipped with latte: 4,000 training and 1,000 test digits.")
            name, cls = "mnist-sample", datasets.MNISTSample
            train_raw, test_raw = cls(train=True), cls(train=False)
        where = "the shipped sample" if name == "mnist-sample" else _where(train_raw)
    plain_train, batch_tf, normalize = None, None, None
    if batch_augment is not None:
        train = TensorDataset(Tensor(_uint8_images(train_raw)), _labels(train_raw))
        normalize = T.BatchNormalize(mean, std)
        batch_tf = T.Compose([*batch_augment, normalize])
    else:
        train = _preload(train_raw, mean, std)
    if augment and batch_augment is None:
        plain_train = train
        with _data_dir(data_dir):  # the augmented copy searches the same folders as train_raw
            train = cls(root, train=True, transform=_augmentation(name, mean, std), **partial) \
                if name != "mnist-sample" else cls(train=True,
                                                   transform=_augmentation(name, mean, std))
    shape = tuple(train_raw.data.shape[1:]) if name != "cifar10" else (3, 32, 32)
    shape = (1, *shape) if len(shape) == 2 else shape
    description = (f"{name}: {len(train_raw):,} train / {len(test_raw):,} test images "
                   f"{'x'.join(map(str, shape))} from {where}")
    return DataBundle(train, _preload(test_raw, mean, std), len(train_raw.classes), shape,
                      list(train_raw.classes), description, plain_train, batch_tf, normalize)


def _where(ds: Any) -> str:
    """The folder the files were found in (the data sets search several)."""
    try:
        paths, _ = ds._find(ds._split_files())  # the MNIST family (MD5s are cached)
    except (AttributeError, TypeError):
        return str(ds.root)
    return str(paths[0].parent) if paths else str(ds.root)


def _circle(seed: int) -> tuple[Tensor, Tensor]:
    from latte.vision.datasets import make_circle
    return make_circle(2000, seed=seed)


def split_train_val(bundle: DataBundle, val_split: float,
                    seed: int) -> tuple[Dataset, Dataset | None]:
    """A seeded random split of the training set; validation never sees augmentation."""
    if val_split <= 0:
        return bundle.train, None
    n = len(bundle.train)
    n_val = max(1, int(round(n * val_split)))
    # its own generator: the split must not depend on (or move) the training RNG
    perm = latte.randperm(n, generator=latte.Generator().manual_seed(seed)).tolist()
    val_source = bundle.plain_train if bundle.plain_train is not None else bundle.train
    return Subset(bundle.train, perm[n_val:]), Subset(val_source, perm[:n_val])
