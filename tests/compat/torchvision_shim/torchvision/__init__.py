"""A tiny stand-in for torchvision, written with torch, for the PyTorch side of the corpus
comparison only (the real torchvision does not import beside the pinned torch build)."""
from torchvision import datasets, models, transforms, utils  # noqa: F401

__version__ = "0.0.0+shim"
