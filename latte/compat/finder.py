"""The import hook that makes ``import torch`` (and ``torchvision``) give Latte's modules.

A ``sys.meta_path`` finder answers for every module under ``torch`` and ``torchvision``. Each
is a :class:`ProxyModule`: attribute lookups go to the compat surface first (PyTorch-only names
such as ``torch.compile``), then to the Latte module it maps to, then to a submodule, and
otherwise fail with an ``AttributeError`` that names the PyTorch attribute Latte lacks.
Classes are Latte's own, so ``torch.Tensor is latte.Tensor`` and ``isinstance`` checks hold.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

from latte.compat import torch_surface

__all__ = ["ProxyModule", "TorchFinder", "latte_name"]

_ROOTS = {"torch": "latte", "torchvision": "latte.vision"}
# PyTorch modules whose Latte counterpart is not at the same dotted path
_RENAMED = {
    "torchvision.transforms.v2": "latte.vision.transforms",
}


def latte_name(name: str) -> str:
    """The Latte module a PyTorch module name maps to (``torch.nn`` -> ``latte.nn``)."""
    if name in _RENAMED:
        return _RENAMED[name]
    root, _, rest = name.partition(".")
    return _ROOTS[root] + ("." + rest if rest else "")


def _missing(name: str, attr: str) -> AttributeError:
    return AttributeError(
        f"module '{name}' has no attribute '{attr}': Latte does not have {name}.{attr} yet "
        "(latte.compat runs PyTorch code on Latte, which implements part of PyTorch's API)")


class ProxyModule(types.ModuleType):
    """A PyTorch module seen by a script: Latte's module plus the compat surface."""

    def __init__(self, name: str, target: types.ModuleType | None,
                 surface: dict[str, Any]) -> None:
        super().__init__(name, getattr(target, "__doc__", None))
        self.__path__: list[str] = []  # a package: the finder resolves its submodules
        self._latte_target = target
        if target is not None:  # vars(torch.nn) and models.__dict__[arch] list Latte's names
            self.__dict__.update({k: v for k, v in vars(target).items()
                                  if not k.startswith("_") and not isinstance(v, types.ModuleType)})
        self.__dict__.update(surface)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)  # dunder probes (copy, pickle, inspect) fail plainly
        target = self.__dict__.get("_latte_target")
        if target is not None and hasattr(target, attr):
            value = getattr(target, attr)
            if not isinstance(value, types.ModuleType):
                return value
        sub = f"{self.__name__}.{attr}"
        if _has_module(sub):
            return importlib.import_module(sub)
        raise _missing(self.__name__, attr)

    def __dir__(self) -> list[str]:
        target = self.__dict__.get("_latte_target")
        names = set(self.__dict__) | set(dir(target) if target is not None else ())
        return sorted(n for n in names if not n.startswith("_latte"))

    def __repr__(self) -> str:
        return f"<module '{self.__name__}' (Latte, via latte.compat)>"


def _has_module(name: str) -> bool:
    """Whether a PyTorch module name has a Latte module or a compat surface behind it."""
    if name in sys.modules or name in torch_surface.SURFACES:
        return True
    try:
        return importlib.util.find_spec(latte_name(name)) is not None
    except (ImportError, ValueError):
        return False


class TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads ``torch.*`` and ``torchvision.*`` as proxies of Latte's modules."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in _ROOTS:
            return None
        if not _has_module(fullname):
            raise ModuleNotFoundError(
                f"No module named '{fullname}': Latte does not have {fullname} yet "
                "(latte.compat maps PyTorch's modules onto Latte's)", name=fullname)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        name = spec.name
        target = None
        try:
            target = importlib.import_module(latte_name(name))
        except ModuleNotFoundError as e:
            # only a surface-only module (torch.amp, torch.backends ...) may lack a Latte module
            wanted = latte_name(name)
            ours = e.name is not None and (wanted + ".").startswith(e.name + ".")
            if not ours or name not in torch_surface.SURFACES:
                raise
        return ProxyModule(name, target, torch_surface.surface(name))

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the proxy is complete when created."""
