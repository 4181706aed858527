"""``VisionDataset``: the shared base of the image data sets (root, transforms, repr, batching)."""
from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from latte.tensor import Tensor
from latte.utils.data import Dataset, GatheredSamples

__all__ = ["VisionDataset"]


@functools.cache
def pil_image_module() -> Any:
    """``PIL.Image`` when pillow is installed, else ``None`` (pillow is optional)."""
    try:
        from PIL import Image
    except ImportError:
        return None
    return Image


class VisionDataset(Dataset):
    """Base of Latte's image data sets, as torchvision's ``VisionDataset``.

    Subclasses set ``self._images`` (an array of samples along dim 0) and ``self._labels`` (an
    int64 array) to get the batched fast path: with no ``transform`` and no
    ``target_transform``, ``DataLoader`` gathers a whole batch with one fancy index
    (``__getitems__``) and yields ``(images, labels)`` tensors with the images' raw dtype.
    """

    def __init__(self, root: str | os.PathLike | None, transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else None
        self.transform = transform
        self.target_transform = target_transform

    def _to_image(self, array: np.ndarray) -> Any:
        """A PIL image when pillow is installed (as torchvision), else the array itself."""
        image_module = pil_image_module()
        return image_module.fromarray(array) if image_module is not None else array

    def _sample(self, image: np.ndarray, target: int) -> tuple:
        img = self._to_image(image)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __getitems__(self, indices: Sequence[int]) -> Any:
        """Many samples at once; one gather per column when there are no per-sample transforms."""
        if self.transform is not None or self.target_transform is not None:
            return [self[i] for i in indices]
        index = np.asarray(indices, dtype=np.intp)
        images, labels = self._arrays()
        return GatheredSamples((Tensor(np.take(images, index, axis=0)),
                                Tensor(np.take(labels, index, axis=0))))

    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None:
            lines.append(f"Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"Target transform: {self.target_transform!r}")
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + ln for ln in lines])
