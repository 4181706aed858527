"""The inference presets that pretrained weights carry: ``weights.transforms()``."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from latte import dtypes
from latte.tensor import Tensor
from latte.vision.transforms import functional as F
from latte.vision.transforms.functional import InterpolationMode

__all__ = ["ImageClassification"]


class ImageClassification:
    """torchvision's ImageNet preset: resize, center-crop, to float in ``[0, 1]``, normalise.

    Takes a PIL image or a ``(..., C, H, W)`` tensor (uint8 or float) and returns a float
    tensor ``(..., C, crop_size, crop_size)``.

    Args:
        crop_size (int): side of the square center crop.
        resize_size (int): the shorter side after the resize (default 256).
        mean, std (sequence of float): per-channel normalisation (ImageNet's by default).
        interpolation (InterpolationMode): resize interpolation (default bilinear).
        antialias (bool): antialias when downsizing tensors (default True).

    Example::

        >>> ImageClassification(crop_size=224)(latte.rand(3, 300, 400)).shape
        latte.Size([3, 224, 224])
    """

    def __init__(self, *, crop_size: int, resize_size: int = 256,
                 mean: Sequence[float] = (0.485, 0.456, 0.406),
                 std: Sequence[float] = (0.229, 0.224, 0.225),
                 interpolation: InterpolationMode = InterpolationMode.BILINEAR,
                 antialias: bool | None = True) -> None:
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def __call__(self, img: Any) -> Tensor:
        img = F.resize(img, self.resize_size, interpolation=self.interpolation,
                       antialias=self.antialias)
        img = F.center_crop(img, self.crop_size)
        if not isinstance(img, Tensor):
            img = F.pil_to_tensor(img)
        img = F.convert_image_dtype(img, dtypes.float32)
        return F.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self) -> str:
        lines = [f"crop_size={self.crop_size}", f"resize_size={self.resize_size}",
                 f"mean={self.mean}", f"std={self.std}", f"interpolation={self.interpolation}"]
        return self.__class__.__name__ + "(\n    " + "\n    ".join(lines) + "\n)"
