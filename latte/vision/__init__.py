"""``latte.vision``: image data sets, transforms and utilities with torchvision's API.

pillow is optional: without it data sets return NumPy arrays instead of PIL images and
``save_image`` writes PNG with its own small encoder.

Example::

    >>> from latte.vision import datasets, transforms
    >>> ds = datasets.MNISTSample(transform=transforms.ToTensor())
"""
from latte.vision import datasets, io, models, transforms, utils

__all__ = ["datasets", "io", "models", "transforms", "utils"]
