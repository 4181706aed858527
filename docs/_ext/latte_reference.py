"""Writes the API reference pages from the code when the build starts, so they list exactly
the public names each namespace has today (``__all__`` where it is set, else the names without
a leading underscore).

Each namespace gets one page: a summary table per kind (classes, functions, other objects),
then the autodoc entries. The pages go to ``docs/reference/`` (generated, not in git).
"""
from __future__ import annotations

import importlib
import inspect
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the page writers run without Sphinx too (tests/test_docs_pages.py)
    from sphinx.application import Sphinx

# the namespaces of the reference, in the order of its table of contents
NAMESPACES = [
    "latte", "latte.nn", "latte.nn.functional", "latte.nn.init", "latte.optim",
    "latte.optim.lr_scheduler", "latte.autograd", "latte.linalg", "latte.special",
    "latte.utils.data", "latte.vision.datasets", "latte.vision.transforms",
    "latte.vision.models", "latte.vision.utils", "latte.distributed", "latte.train",
    "latte.compat", "latte.autograd.functional", "latte.nn.utils.parametrize",
    "latte.nn.utils.parametrizations", "latte.nn.utils.prune", "latte.testing", "latte.func",
    "latte.sparse",
]


def public_names(module: types.ModuleType) -> list[str]:
    """The names a user reaches in ``module``, submodules left out (they get their own page)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return sorted(n for n in dict.fromkeys(names)
                  if not isinstance(getattr(module, n), types.ModuleType))


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _title(text: str, underline: str = "=") -> str:
    return f"{text}\n{underline * len(text)}\n"


def home(obj: Any) -> str | None:
    """The namespace whose page describes a class reachable from several: the one its
    ``__module__`` lies deepest under (``latte.autograd`` for ``latte.no_grad``)."""
    module = getattr(obj, "__module__", None) or ""
    under = [ns for ns in NAMESPACES if module == ns or module.startswith(ns + ".")]
    return max(under, key=len) if under else None


def namespace_page(name: str) -> str:
    """The reST of one namespace's page."""
    module = importlib.import_module(name)
    by_kind: dict[str, list[str]] = {"class": [], "function": [], "data": []}
    for n in public_names(module):
        by_kind[_kind(getattr(module, n))].append(n)
    out = [_title(f"``{name}``"), f".. automodule:: {name}\n   :no-members:\n",
           f".. currentmodule:: {name}\n"]
    for kind, heading in (("class", "Classes"), ("function", "Functions")):
        if by_kind[kind]:
            out.append(f".. rubric:: {heading}\n\n.. autosummary::\n   :nosignatures:\n\n"
                       + "".join(f"   {n}\n" for n in by_kind[kind]))
    if by_kind["data"]:  # dtypes, layouts, constants: their value says what they are
        rows = "".join(f"   * - ``{n}``\n     - ``{_short_repr(getattr(module, n))}``\n"
                       for n in by_kind["data"])
        out.append(".. rubric:: Other objects\n\n.. list-table::\n   :header-rows: 1\n\n"
                   "   * - name\n     - value\n" + rows)
    for n in by_kind["class"]:
        # Sphinx files a class under its own module's name too: described once, at its home
        where = home(getattr(module, n))
        elsewhere = where is not None and where != name and hasattr(
            importlib.import_module(where), n)
        out.append(f".. autoclass:: {n}\n   :members:\n   :undoc-members:\n"
                   + ("   :no-index:\n" if elsewhere else ""))
    for n in by_kind["function"]:
        out.append(f".. autofunction:: {n}\n")
    return "\n".join(out)


def _short_repr(obj: Any) -> str:
    text = repr(obj).replace("`", "'").replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def _write_if_changed(path: Path, text: str) -> None:
    # an unchanged page keeps its mtime, so an incremental build does not reread it
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def write_reference(app: Sphinx) -> None:
    """``builder-inited``: one page per namespace plus the reference index."""
    folder = Path(app.srcdir) / "reference"
    folder.mkdir(exist_ok=True)
    for name in NAMESPACES:
        _write_if_changed(folder / f"{name}.rst", namespace_page(name))
    toc = "".join(f"   {name}\n" for name in NAMESPACES)
    _write_if_changed(folder / "index.rst", _title("API reference") + (
        "\nGenerated from the code's docstrings at every build: each page lists the public "
        "names of one namespace.\n\n.. toctree::\n   :maxdepth: 1\n\n" + toc))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", write_reference)
    return {"parallel_read_safe": True, "version": "1"}
