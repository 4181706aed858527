"""Run PyTorch code on Latte: ``import torch`` and ``import torchvision`` give Latte's modules.

``install()`` puts the import hook in place (for notebooks); ``uninstall()`` removes it and
brings back whatever ``torch`` modules were imported before. From the shell,
``python -m latte.compat SCRIPT.py [args...]`` (or ``latte run``) runs a script with the hook.

Example::

    >>> import latte.compat
    >>> latte.compat.install()
    >>> import torch, torch.nn as nn
    >>> nn.Linear(2, 3)(torch.randn(4, 2)).shape
    latte.Size([4, 3])
    >>> latte.compat.uninstall()
"""
from __future__ import annotations

import sys
import types

from latte.compat.finder import ProxyModule, TorchFinder

__all__ = ["install", "uninstall", "installed", "ProxyModule", "TorchFinder"]

_finder: TorchFinder | None = None
_stashed: dict[str, types.ModuleType] = {}


def _torch_modules() -> list[str]:
    return [n for n in sys.modules if n.partition(".")[0] in ("torch", "torchvision")]


def install() -> None:
    """Map ``torch``/``torchvision`` imports to Latte from now on (calling it twice is fine).

    Modules of a real PyTorch already imported are set aside until :func:`uninstall`.
    """
    global _finder
    if _finder is not None:
        return
    for name in _torch_modules():
        _stashed[name] = sys.modules.pop(name)
    _finder = TorchFinder()
    sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the import hook and Latte's ``torch`` modules; restore those set aside."""
    global _finder
    if _finder is None:
        return
    sys.meta_path.remove(_finder)
    _finder = None
    for name in _torch_modules():
        if isinstance(sys.modules[name], ProxyModule):
            del sys.modules[name]
    sys.modules.update(_stashed)
    _stashed.clear()


def installed() -> bool:
    """Whether :func:`install` is in effect."""
    return _finder is not None
