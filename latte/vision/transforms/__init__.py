"""Image transforms with ``torchvision.transforms``' API (PIL images and CHW tensors/arrays).

Example::

    >>> from latte.vision import transforms as T
    >>> train_tf = T.Compose([T.RandomCrop(28, padding=2), T.ToTensor(),
    ...                       T.Normalize((0.1307,), (0.3081,))])
    >>> batch_tf = T.Compose([T.BatchRandomCrop(32, padding=4), T.BatchRandomHorizontalFlip()])

The ``Batch*`` transforms (``batch.py``) work on whole batches ``(N, C, H, W)`` at once.
"""
from latte.vision.transforms import functional
from latte.vision.transforms.batch import *  # noqa: F401,F403
from latte.vision.transforms.batch import __all__ as _batch_all
from latte.vision.transforms.functional import InterpolationMode
from latte.vision.transforms.transforms import *  # noqa: F401,F403
from latte.vision.transforms.transforms import __all__ as _all

__all__ = ["functional", "InterpolationMode", *_all, *_batch_all]
