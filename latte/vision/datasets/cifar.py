"""CIFAR-10 and CIFAR-100, read from torchvision's folders with a restricted unpickler.

The batches are Python pickles. ``_SafeUnpickler`` resolves only the globals a NumPy array
needs (``numpy.core.multiarray._reconstruct``, ``ndarray``, ``dtype`` and ``_codecs.encode``
for Python 3 protocol-2 bytes), so a crafted file cannot run code; anything else is refused.
"""
from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from latte.vision.datasets.utils import download_and_extract_archive
from latte.vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "load_pickle"]


def _numpy_global(module: str, name: str) -> Any:
    import importlib
    for candidate in (module.replace("numpy.core", "numpy._core"), module):
        try:
            return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"cannot resolve {module}.{name}")


_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"),
            ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")}


class _SafeUnpickler(pickle.Unpickler):
    """Builds NumPy arrays and plain containers; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return _numpy_global(module, name)
        if (module, name) == ("_codecs", "encode"):
            import codecs
            return codecs.encode
        raise pickle.UnpicklingError(
            f"refusing to load global {module}.{name}: data files may only contain NumPy "
            "arrays and plain containers")


def load_pickle(path: str | os.PathLike) -> dict:
    """Load a CIFAR batch safely: keys become ``str`` (``encoding='latin1'``, as torchvision).

    Raises an error naming ``path`` if the file is corrupt, truncated or not a dict.
    """
    try:
        with open(path, "rb") as f:
            entry = _SafeUnpickler(f, encoding="latin1").load()
    except pickle.UnpicklingError as e:
        raise RuntimeError(f"{path}: {e}") from None
    except (EOFError, ValueError, TypeError, IndexError, KeyError) as e:
        raise RuntimeError(f"{path} is a corrupt or truncated pickle ({type(e).__name__}: "
                           f"{e})") from None
    if not isinstance(entry, dict):
        raise RuntimeError(f"{path}: expected a dict, got {type(entry).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training and 10,000 test 32x32 colour images in 10 classes.

    ``data`` is a uint8 NumPy array ``(N, 32, 32, 3)`` and ``targets`` a list of ints, as in
    torchvision; ``dataset[i]`` is ``(PIL RGB image, label)`` (the ``(32, 32, 3)`` array without
    pillow). The batches are looked for in ``root/cifar-10-batches-py``, then in
    ``$LATTE_DATA/cifar-10-batches-py``. Local batches are checked by content (shapes, dtype,
    labels) rather than by MD5, so re-pickled copies load; the downloaded archive is checked by
    its official MD5.

    Example::

        >>> ds = CIFAR10("data", train=False, transform=transforms.ToTensor())  # doctest: +SKIP
        >>> image, label = ds[0]            # (3, 32, 32) float32, 3 ("cat")  # doctest: +SKIP
    """

    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    label_key = "labels"
    num_classes = 10

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, *, allow_partial: bool = False) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        # Latte's extension: train on the training batches that are present (a partial copy, as
        # in ../shared/data) instead of refusing; ``missing_batches`` names the absent ones
        self.allow_partial = allow_partial
        folder = self._find()
        if folder is None and download:
            self.download()
            folder = self._find()
        if folder is None:
            local = self.root / self.base_folder
            missing = [n for n in self._needed() if not (local / n).is_file()]
            raise RuntimeError(f"Dataset not found: {type(self).__name__} needs "
                               f"{', '.join(missing)} in {local} (or in $LATTE_DATA/"
                               f"{self.base_folder}). Use download=True, or extract {self.url} "
                               f"into {self.root}")
        self.folder = folder
        names = [name for name, _ in (self.train_list if train else self.test_list)]
        self.missing_batches = [n for n in names if not (folder / n).is_file()]
        batches = [self._read_batch(folder / name) for name in names
                   if name not in self.missing_batches]
        self.data = np.concatenate([b[0] for b in batches]).reshape(-1, 3, 32, 32)
        self.data = np.ascontiguousarray(self.data.transpose(0, 2, 3, 1))  # HWC, as torchvision
        self.targets = [int(t) for b in batches for t in b[1]]
        self._labels = (self.targets, np.asarray(self.targets, dtype=np.int64))
        self._load_meta()

    def _find(self) -> Path | None:
        """The first of ``root/<base_folder>`` and ``$LATTE_DATA/<base_folder>`` with every file."""
        folders = [self.root / self.base_folder]
        if os.environ.get("LATTE_DATA"):
            folders.append(Path(os.environ["LATTE_DATA"]).expanduser() / self.base_folder)
        for folder in folders:
            if all((folder / n).is_file() for n in self._needed()):
                return folder
        if self.allow_partial and self.train:
            for folder in folders:
                if (folder / self.meta["filename"]).is_file() and \
                        any((folder / n).is_file() for n, _ in self.train_list):
                    return folder
        return None

    def _needed(self) -> list[str]:
        return [n for n, _ in (self.train_list if self.train else self.test_list)] + \
            [self.meta["filename"]]

    def _read_batch(self, path: Path) -> tuple[np.ndarray, list]:
        entry = load_pickle(path)
        if "data" not in entry or self.label_key not in entry:
            raise RuntimeError(f"{path}: expected keys 'data' and {self.label_key!r}, found "
                               f"{sorted(entry)}")
        data = np.asarray(entry["data"])
        labels = list(entry[self.label_key])
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            raise RuntimeError(f"{path}: expected uint8 data of shape (N, 3072), got "
                               f"{data.dtype} {data.shape}")
        if len(labels) != data.shape[0]:
            raise RuntimeError(f"{path} has {data.shape[0]} images but {len(labels)} labels")
        if labels and not 0 <= min(labels) <= max(labels) < self.num_classes:
            raise RuntimeError(f"{path}: labels outside 0..{self.num_classes - 1}")
        return data, labels

    def _load_meta(self) -> None:
        path = self.folder / self.meta["filename"]
        names = load_pickle(path).get(self.meta["key"])
        if not isinstance(names, list) or len(names) != self.num_classes:
            raise RuntimeError(f"{path}: expected {self.num_classes} names under "
                               f"{self.meta['key']!r}")
        self.classes = [n.decode() if isinstance(n, bytes) else n for n in names]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def download(self) -> None:
        """Fetch and extract the official archive (verified by its MD5) into ``root``."""
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple:
        return self._sample(self.data[index], self.targets[index])

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._labels[0] is not self.targets:  # targets were replaced: rebuild the array
            self._labels = (self.targets, np.asarray(self.targets, dtype=np.int64))
        return self.data, self._labels[1]

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: like :class:`CIFAR10` with 100 fine classes (``fine_labels``)."""

    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
    label_key = "fine_labels"
    num_classes = 100

