"""``DatasetFolder`` and ``ImageFolder``: one sub-folder per class, as torchvision's.

Layout::

    root/dog/xxx.png
    root/dog/xxy.jpeg
    root/cat/123.png
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from latte.utils.data import Dataset

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "find_classes", "make_dataset",
           "pil_loader", "default_loader", "has_file_allowed_extension", "is_image_file"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename: str, extensions: str | tuple[str, ...]) -> bool:
    exts = (extensions,) if isinstance(extensions, str) else tuple(extensions)
    return filename.lower().endswith(tuple(e.lower() for e in exts))


def is_image_file(filename: str) -> bool:
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory: str | os.PathLike) -> tuple[list[str], dict[str, int]]:
    """Sorted class folder names (hidden ones skipped) and their indices."""
    classes = sorted(e.name for e in os.scandir(directory)
                     if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {c: i for i, c in enumerate(classes)}


def make_dataset(directory: str | os.PathLike, class_to_idx: dict[str, int],
                 extensions: str | tuple[str, ...] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> list[tuple[str, int]]:
    """``(path, class_index)`` for every valid file, classes in index order, files sorted."""
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at "
                         "the same time")
    if is_valid_file is None:
        def is_valid_file(path: str) -> bool:  # noqa: F811 (closure over extensions)
            return has_file_allowed_extension(path, extensions)
    instances, empty = [], []
    for cls, idx in sorted(class_to_idx.items(), key=lambda kv: kv[1]):
        found = 0
        for dirpath, _, files in sorted(os.walk(Path(directory) / cls, followlinks=True)):
            for name in sorted(files):
                path = os.path.join(dirpath, name)
                if is_valid_file(path):
                    instances.append((path, idx))
                    found += 1
        if not found:
            empty.append(cls)
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
        if extensions is not None:
            exts = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {exts}"
        raise FileNotFoundError(msg)
    return instances


def pil_loader(path: str) -> Any:
    """Open an image with pillow and convert it to RGB (pillow is required here)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("ImageFolder needs pillow to read images: pip install pillow") \
            from None
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def default_loader(path: str) -> Any:
    return pil_loader(path)


class DatasetFolder(Dataset):
    """Samples ``(loader(path), class_index)`` from a folder with one sub-folder per class.

    Attributes as torchvision: ``classes``, ``class_to_idx``, ``samples`` (list of
    ``(path, index)``), ``targets``.

    Example::

        >>> ds = DatasetFolder("root", loader=np.load, extensions=(".npy",))  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike, loader: Callable[[str], Any],
                 extensions: tuple[str, ...] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        self.root = os.fspath(Path(root).expanduser())
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{self.root} is not a folder")
        self.transform, self.target_transform = transform, target_transform
        self.loader, self.extensions = loader, extensions
        self.classes, self.class_to_idx = self.find_classes(self.root)
        self.samples = self.make_dataset(self.root, self.class_to_idx, extensions,
                                         is_valid_file, allow_empty)
        self.targets = [s[1] for s in self.samples]

    @staticmethod
    def make_dataset(directory: str, class_to_idx: dict[str, int],
                     extensions: tuple[str, ...] | None = None,
                     is_valid_file: Callable[[str], bool] | None = None,
                     allow_empty: bool = False) -> list[tuple[str, int]]:
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory: str) -> tuple[list[str], dict[str, int]]:
        return find_classes(directory)

    def __getitem__(self, index: int) -> tuple:
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}"]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        return "\n".join(lines)


class ImageFolder(DatasetFolder):
    """Images in class folders: ``dataset[i]`` is ``(RGB PIL image, class_index)``.

    ``imgs`` is an alias of ``samples``. Needs pillow unless a ``loader`` is given.

    Example::

        >>> ds = ImageFolder("flowers/train", transform=transforms.ToTensor())  # doctest: +SKIP
        >>> ds.classes, ds[0][0].shape        # (['daisy', 'rose'], (3, H, W))  # doctest: +SKIP
    """

    def __init__(self, root: str | os.PathLike, transform: Callable | None = None,
                 target_transform: Callable | None = None,
                 loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform, target_transform, is_valid_file, allow_empty)
        self.imgs = self.samples
