"""Load ``weights=`` into a model: a local checkpoint path or a torchvision weights name.

Named weights (``'IMAGENET1K_V1'``, ``'DEFAULT'``) are never downloaded: Latte looks for
torchvision's file in ``$LATTE_HOME/checkpoints/`` (default ``~/.cache/latte/checkpoints/``)
and, when it is missing, says which URL to fetch and where to put it.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from latte import nn
from latte.serialization import load

__all__ = ["checkpoint_dir", "build", "read_weights", "extract_state_dict", "WEIGHTS"]

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
}


def checkpoint_dir() -> Path:
    """Where named weights are looked for: ``$LATTE_HOME/checkpoints`` or ``~/.cache/latte/...``."""
    home = os.environ.get("LATTE_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "latte")
    return Path(home) / "checkpoints"


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
    path = checkpoint_dir() / known[key]
    if not path.is_file():
        raise FileNotFoundError(
            f"{arch}: weights {name!r} ({key}) are not on disk and Latte does not download "
            f"them. Fetch {_BASE + known[key]} and put it at {path} "
            f"(the folder is $LATTE_HOME/checkpoints, default ~/.cache/latte/checkpoints).")
    return path


def read_weights(weights: Any, arch: str) -> dict[str, Any] | None:
    """The state_dict that ``weights`` gives: None, a path, a state_dict or a weights name."""
    if weights is None:
        return None
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
