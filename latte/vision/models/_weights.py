"""Load ``weights=`` into a model: a local checkpoint path or a torchvision weights name.

Named weights (``'IMAGENET1K_V1'``, ``'DEFAULT'``) are torchvision's published files, used as
torchvision does: from ``$LATTE_HOME/checkpoints/`` (default ``~/.cache/latte/checkpoints/``),
else from PyTorch's own cache (``$TORCH_HOME/hub/checkpoints``) when a file is already there,
else downloaded into the first, from the mirrors in ``$LATTE_WEIGHTS_MIRRORS`` (comma
separated base URLs) and then the official server. A download is written atomically and checked
against the SHA-256 prefix in its file name; offline, the error names the URLs tried and where
to put the file by hand. Files load through the safe (weights-only) loader.
"""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from latte import nn
from latte.serialization import load
from latte.vision.datasets.utils import download_from_urls
from latte.vision.transforms._presets import ImageClassification

__all__ = ["checkpoint_dir", "torch_checkpoint_dir", "build", "read_weights",
           "extract_state_dict", "fetch_weights", "load_state_dict_from_url", "WEIGHTS",
           "WeightsEnum", "weights_enum", "legacy_pretrained"]

M = TypeVar("M", bound=nn.Module)

_BASE = "https://download.pytorch.org/models/"

# torchvision's published files, per architecture and weights name; "DEFAULT" is the last one.
WEIGHTS: dict[str, dict[str, str]] = {
    "resnet18": {"IMAGENET1K_V1": "resnet18-f37072fd.pth"},
    "resnet34": {"IMAGENET1K_V1": "resnet34-b627a593.pth"},
    "resnet50": {"IMAGENET1K_V1": "resnet50-0676ba61.pth",
                 "IMAGENET1K_V2": "resnet50-11ad3fa6.pth"},
    "vgg11": {"IMAGENET1K_V1": "vgg11-8a719046.pth"},
    "vgg11_bn": {"IMAGENET1K_V1": "vgg11_bn-6002323d.pth"},
    "vgg13": {"IMAGENET1K_V1": "vgg13-19584684.pth"},
    "vgg13_bn": {"IMAGENET1K_V1": "vgg13_bn-abd245e5.pth"},
    "vgg16": {"IMAGENET1K_V1": "vgg16-397923af.pth"},
    "vgg16_bn": {"IMAGENET1K_V1": "vgg16_bn-6c64b313.pth"},
    "vgg19": {"IMAGENET1K_V1": "vgg19-dcbb9e9d.pth"},
    "vgg19_bn": {"IMAGENET1K_V1": "vgg19_bn-c79401a0.pth"},
}

# The inference resize of each named file, where it is not torchvision's usual 256.
_RESIZE: dict[str, int] = {"resnet50-11ad3fa6.pth": 232}


class WeightsEnum(Enum):
    """torchvision's weights enums (``ResNet18_Weights.IMAGENET1K_V1``, ``.DEFAULT``): each
    member's value is its file name; ``url``, ``transforms()`` and ``meta`` as torchvision's.

    Example::

        >>> from latte.vision.models import ResNet18_Weights
        >>> ResNet18_Weights.DEFAULT.url
        'https://download.pytorch.org/models/resnet18-f37072fd.pth'
    """

    @property
    def url(self) -> str:
        """Where torchvision publishes this file."""
        return _BASE + self.value

    @property
    def meta(self) -> dict[str, Any]:
        """What is known about the weights without loading them."""
        return {"file_name": self.value, "num_classes": 1000}

    def transforms(self) -> ImageClassification:
        """The preprocessing the weights were evaluated with (resize, 224 crop, normalise)."""
        return ImageClassification(crop_size=224, resize_size=_RESIZE.get(self.value, 256))

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


def weights_enum(enum_name: str, arch: str) -> type[WeightsEnum]:
    """The ``WeightsEnum`` of ``arch``'s files in ``WEIGHTS``, with ``DEFAULT`` the last one."""
    members = dict(WEIGHTS[arch])
    members["DEFAULT"] = list(members.values())[-1]  # same value: an alias, as torchvision's
    enum = WeightsEnum(enum_name, members)
    enum.__doc__ = f"The pretrained weights of ``{arch}``: {', '.join(members)}."
    return enum


def legacy_pretrained(arch: str, weights: Any, kwargs: dict[str, Any]) -> Any:
    """torchvision's deprecated ``pretrained=True/False``: the ``DEFAULT`` weights or none."""
    if "pretrained" not in kwargs:
        return weights
    pretrained = kwargs.pop("pretrained")
    warnings.warn(f"{arch}: 'pretrained' is deprecated, use 'weights' instead "
                  "(pretrained=True means weights='DEFAULT')", UserWarning, stacklevel=4)
    if pretrained and weights is None:
        return "DEFAULT"
    return weights


def checkpoint_dir() -> Path:
    """Where named weights are looked for: ``$LATTE_HOME/checkpoints`` or ``~/.cache/latte/...``."""
    home = os.environ.get("LATTE_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "latte")
    return Path(home) / "checkpoints"


def torch_checkpoint_dir() -> Path:
    """PyTorch's cache of downloaded weights: ``$TORCH_HOME/hub/checkpoints``."""
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "torch")
    return Path(home) / "hub" / "checkpoints"


def _mirrors() -> list[str]:
    extra = [m.strip() for m in os.environ.get("LATTE_WEIGHTS_MIRRORS", "").split(",")]
    return [m if m.endswith("/") else m + "/" for m in extra if m] + [_BASE]


def _hash_prefix(filename: str) -> str | None:
    """torchvision's names end ``-<first hex digits of the SHA-256>.pth``."""
    match = re.search(r"-([0-9a-f]{6,})\.", filename)
    return match.group(1) if match else None


def fetch_weights(filename: str, urls: list[str] | None = None, *, progress: bool = True,
                  check_hash: bool = True, model_dir: str | os.PathLike | None = None) -> Path:
    """The local path of the weights file ``filename``: already in Latte's or PyTorch's
    cache, else downloaded from ``urls`` (default: the mirrors, then the official server)."""
    folder = Path(model_dir).expanduser() if model_dir is not None else checkpoint_dir()
    for candidate in (folder / filename, torch_checkpoint_dir() / filename):
        if candidate.is_file():
            return candidate
    urls = urls or [base + filename for base in _mirrors()]
    prefix = _hash_prefix(filename) if check_hash else None
    return download_from_urls(urls, folder, filename, progress=progress, sha256=prefix)


def load_state_dict_from_url(url: str, model_dir: str | os.PathLike | None = None,
                             map_location: Any = None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = True) -> dict[str, Any]:
    """``torch.hub.load_state_dict_from_url``: download ``url`` once into ``model_dir``
    (default ``$LATTE_HOME/checkpoints``) and load it; ``check_hash`` checks the SHA-256
    prefix in the file name."""
    filename = file_name or os.path.basename(url.split("?")[0])
    path = fetch_weights(filename, [url], progress=progress, check_hash=check_hash,
                         model_dir=model_dir)
    return load(path, map_location=map_location, weights_only=weights_only)


def extract_state_dict(obj: Any, source: str) -> dict[str, Any]:
    """The state_dict inside a loaded checkpoint: the dict itself, ``['model']`` or
    ``['state_dict']``; a ``module.`` prefix (DataParallel) is dropped."""
    if isinstance(obj, dict):
        for key in ("model", "state_dict", "model_state_dict"):
            if isinstance(obj.get(key), dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict):
        raise ValueError(f"{source}: expected a state_dict or a checkpoint dict with a 'model' "
                         f"or 'state_dict' entry, got {type(obj).__name__}")
    if obj and all(isinstance(k, str) and k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return obj


def _named_file(arch: str, name: str) -> Path:
    """The local file for torchvision's ``name`` weights of ``arch``, or a clear error."""
    known = WEIGHTS.get(arch, {})
    key = name.upper()
    if key == "DEFAULT" and known:
        key = list(known)[-1]
    if key not in known:
        choices = ", ".join(["DEFAULT", *known]) if known else "none (train it or pass a path)"
        raise ValueError(f"{arch}: weights {name!r} is neither an existing file nor a known "
                         f"weights name; known names: {choices}")
    return fetch_weights(known[key])


def read_weights(weights: Any, arch: str) -> dict[str, Any] | None:
    """The state_dict that ``weights`` gives: None, a path, a state_dict or a weights name."""
    if weights is None:
        return None
    if isinstance(weights, WeightsEnum):
        return read_weights(weights.name, arch)
    if isinstance(weights, dict):
        return extract_state_dict(weights, arch)
    path = Path(os.fspath(weights)).expanduser()
    if not path.is_file():
        looks_like_path = (isinstance(weights, Path) or os.sep in str(weights)
                           or path.suffix in (".pt", ".pth", ".ckpt", ".bin"))
        if looks_like_path:
            raise FileNotFoundError(f"{arch}: weights file not found: {path}")
        path = _named_file(arch, str(weights))
    return extract_state_dict(load(path, map_location="cpu"), str(path))


def build(factory: Callable[[], M], weights: Any, arch: str) -> M:
    """``factory()`` with ``weights`` loaded strictly (missing/unexpected keys, shapes raise).

    The weights are read first, so a missing file fails before a large model is allocated.
    """
    state = read_weights(weights, arch)
    model = factory()
    if state is not None:
        model.load_state_dict(state)
    return model
