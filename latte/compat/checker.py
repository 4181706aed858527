"""``latte run --check SCRIPT.py``: the torch names a script uses that Latte lacks, found
without running it.

The script is parsed (``ast``); its imports of ``torch``/``torchvision`` give the names it binds
(``import torch.nn as nn``, ``from torch.utils.data import DataLoader``), and every attribute
chain starting from one of them (``nn.functional.gelu``, ``torch.backends.cudnn.benchmark``) is
looked up through the compat layer, as the script would see it. Attributes read on other
objects are checked against PyTorch's Tensor methods: ``x.is_xpu`` is reported when Latte's
Tensor lacks ``is_xpu`` (only "if ``x`` is a tensor": the checker cannot know types). Names
built at run time (``getattr(models, arch)``) are not seen.

Example::

    $ latte run --check train.py
    train.py: 2 torch names Latte lacks
      line 14: torch.fft.rfft
      line 31: Tensor.is_conj (x.is_conj, if x is a tensor)
"""
from __future__ import annotations

import ast
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import latte
from latte.compat import install, installed, uninstall

__all__ = ["Missing", "check_source", "check_file", "main"]

_ROOTS = ("torch", "torchvision")
_TENSOR_NAMES = Path(__file__).with_name("torch_tensor_names.txt")
# names that are rarely tensors: a method's own object, and modules scripts commonly import
_NOT_TENSORS = {"self", "cls", "os", "sys", "np", "math", "random", "time", "json", "args",
                "argparse", "shutil", "pickle", "logging", "warnings", "re", "collections"}
# Tensor attributes of PyTorch whose names other objects carry far more often
_GENERIC = {"name", "names", "data", "values"}


@dataclass(frozen=True)
class Missing:
    """One name the script uses that Latte lacks: ``name`` as PyTorch spells it, the line."""

    name: str
    line: int
    note: str = ""

    def __str__(self) -> str:
        return f"line {self.line}: {self.name}" + (f" ({self.note})" if self.note else "")


def _torch_tensor_names() -> set[str]:
    """PyTorch's Tensor attributes, less those that lists, dicts, strings, numbers and NumPy
    arrays share (``history.index`` is much more likely a list's)."""
    lines = _TENSOR_NAMES.read_text().splitlines()
    common = set().union(*(dir(t) for t in (list, dict, str, set, int, float, np.ndarray)))
    return {n for n in lines if n and not n.startswith("#")} - common - _GENERIC


def _chain(node: ast.Attribute) -> tuple[str, list[str]] | None:
    """``a.b.c`` as (``a``, [``b``, ``c``]); ``None`` when it does not start at a name."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, attrs[::-1]


def _bindings(tree: ast.AST) -> tuple[dict[str, str], list[tuple[str, int]]]:
    """The local names bound to torch things, and the imported names with their lines."""
    bound: dict[str, str] = {}
    imported: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.partition(".")[0] in _ROOTS:
                    imported.append((alias.name, node.lineno))
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:
                        root = alias.name.partition(".")[0]
                        bound[root] = root
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.partition(".")[0] in _ROOTS:
                for alias in node.names:
                    if alias.name == "*":
                        imported.append((node.module, node.lineno))
                        continue
                    full = f"{node.module}.{alias.name}"
                    imported.append((full, node.lineno))
                    bound[alias.asname or alias.name] = full
    return bound, imported


class _Resolver:
    """Looks torch names up through the compat layer, remembering what it found."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[bool, Any]] = {}

    def lookup(self, dotted: str) -> tuple[bool, Any]:
        if dotted in self._cache:
            return self._cache[dotted]
        parent, _, attr = dotted.rpartition(".")
        if not parent:
            found = self._module(dotted)
        else:
            ok, owner = self.lookup(parent)
            found = (False, None)
            if ok:
                try:
                    found = (True, getattr(owner, attr))
                except Exception:  # noqa: BLE001 (a property that raises counts as missing)
                    found = self._module(dotted)
        self._cache[dotted] = found
        return found

    @staticmethod
    def _module(name: str) -> tuple[bool, Any]:
        try:
            return True, importlib.import_module(name)
        except ImportError:
            return False, None

    def first_missing(self, dotted: str) -> str | None:
        """The shortest prefix of ``dotted`` that does not resolve, or ``None``."""
        parts = dotted.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            if not self.lookup(prefix)[0]:
                return prefix
        return None


def check_source(source: str, filename: str = "<script>") -> list[Missing]:
    """The torch names ``source`` uses that Latte lacks, in order of first use."""
    tree = ast.parse(source, filename)
    bound, imported = _bindings(tree)
    was_installed = installed()
    install()
    try:
        return _check(tree, bound, imported, _Resolver())
    finally:
        if not was_installed:
            uninstall()


def _check(tree: ast.AST, bound: dict[str, str], imported: list[tuple[str, int]],
           resolver: _Resolver) -> list[Missing]:
    found: dict[str, Missing] = {}

    def report(name: str, line: int, note: str = "") -> None:
        if name not in found or found[name].line > line:
            found[name] = Missing(name, line, note)

    for name, line in imported:
        missing = resolver.first_missing(name)
        if missing is not None:
            report(missing, line)
    torch_tensor = _torch_tensor_names()
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue
        chain = _chain(node)
        if chain is None:
            continue  # f().foo, (x + y).foo: too little is known of what they are
        head, attrs = chain
        if head in bound:
            missing = resolver.first_missing(".".join([bound[head], *attrs]))
            if missing is not None:
                report(missing, node.lineno)
            continue
        if head in _NOT_TENSORS:
            continue
        for attr in attrs:
            if attr in torch_tensor and not hasattr(latte.Tensor, attr):
                report(f"Tensor.{attr}", node.lineno, f"{head}.{attr}, if {head} is a tensor")
                break
    return sorted(found.values(), key=lambda m: (m.line, m.name))


def check_file(path: str) -> list[Missing]:
    """:func:`check_source` on the file at ``path``."""
    return check_source(Path(path).read_text(), path)


def main(path: str) -> int:
    """Print the report for ``path``; 0 when Latte has every name, 1 when some are missing."""
    try:
        missing = check_file(path)
    except FileNotFoundError:
        print(f"latte run --check: no such script: {path}", file=sys.stderr)
        return 2
    except SyntaxError as e:
        print(f"latte run --check: {path} does not parse: {e}", file=sys.stderr)
        return 2
    if not missing:
        print(f"{path}: Latte has every torch name the script uses (as far as a static "
              "reading sees)")
        return 0
    print(f"{path}: {len(missing)} torch name{'s' if len(missing) > 1 else ''} Latte lacks")
    for m in missing:
        print(f"  {m}")
    return 1
