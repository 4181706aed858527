"""Image data sets with torchvision's API and folder layout, plus generated toy sets."""
from latte.vision.datasets.cifar import CIFAR10, CIFAR100
from latte.vision.datasets.folder import DatasetFolder, ImageFolder
from latte.vision.datasets.mnist import KMNIST, MNIST, FashionMNIST, MNISTSample
from latte.vision.datasets.synthetic import (
    Blobs,
    Circle,
    Spirals,
    make_blobs,
    make_circle,
    make_spirals,
)
from latte.vision.datasets.vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "MNISTSample", "CIFAR10", "CIFAR100",
           "DatasetFolder", "ImageFolder", "VisionDataset", "make_circle", "make_spirals",
           "make_blobs", "Circle", "Spirals", "Blobs"]
