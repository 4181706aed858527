"""Writes the generated half of "Coming from PyTorch" when the build starts, from the code
itself: the import hook's module map (``latte.compat.finder``), the PyTorch-only names the
compat surface adds (``latte.compat.torch_surface``), PyTorch's Tensor attributes Latte has and
lacks (``latte/compat/torch_tensor_names.txt``), the op registry the parity tests run
(``tests/op_db.py``) and the script corpus run under both frameworks
(``tests/compat/_compat_corpus.py``). Nothing here is typed by hand, so it cannot drift.
"""
from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import latte
from latte.compat import finder, torch_surface

if TYPE_CHECKING:  # the page writers run without Sphinx too (tests/test_docs_pages.py)
    from sphinx.application import Sphinx

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "tests" / "compat" / "scripts"


def _first_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) if (inspect.isclass(obj) or inspect.isroutine(obj)) else None
    if doc and obj.__doc__ is not None:
        return doc.strip().splitlines()[0].strip()
    return ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _script_imports() -> dict[str, list[str]]:
    """``torch``/``torchvision`` modules the corpus scripts import, with the scripts."""
    used: dict[str, list[str]] = {}
    for path in sorted(SCRIPTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for n in names:
                if n.partition(".")[0] in ("torch", "torchvision") and finder._has_module(n):
                    used.setdefault(n, []).append(path.stem)
    return used


def module_map() -> str:
    rows = []
    modules = sorted(set(_script_imports()) | set(torch_surface.SURFACES))
    for name in modules:
        target = finder.latte_name(name)
        try:
            __import__(target)
            latte_col = f"``{target}``"
        except ModuleNotFoundError:
            latte_col = "(the compat surface only)"
        added = sorted(torch_surface.surface(name))
        rows.append(f"| ``{name}`` | {latte_col} | {', '.join(f'``{a}``' for a in added)} |")
    renamed = ", ".join(f"``{k}`` → ``{v}``" for k, v in sorted(finder._RENAMED.items()))
    roots = ", ".join(f"``{k}`` → ``{v}``" for k, v in finder._ROOTS.items())
    return (f"`latte run` maps {roots} (and every submodule to the same path below it); "
            f"renamed: {renamed}. The modules the compatibility corpus imports, and those the "
            "compat surface adds names to:\n\n"
            "| PyTorch module | Latte module | names the compat surface adds |\n|---|---|---|\n"
            + "\n".join(rows) + "\n")


def surface_table() -> str:
    rows = []
    for name in sorted(torch_surface.SURFACES):
        for attr, obj in sorted(torch_surface.surface(name).items()):
            # a callable without a docstring is a stub whose name says it all; a value is shown
            what = _first_line(obj) or ("" if callable(obj) else f"``{_cell(repr(obj))[:60]}``")
            rows.append(f"| ``{name}.{attr}`` | {_cell(what)} |")
    return ("PyTorch names that have no place in Latte's core but that scripts touch: each is "
            "accepted, and here is what it does under Latte.\n\n"
            "| name | under Latte |\n|---|---|\n" + "\n".join(rows) + "\n")


def tensor_coverage() -> str:
    lines = torch_surface.__file__
    text = (Path(lines).with_name("torch_tensor_names.txt")).read_text().splitlines()
    names = [n for n in text if n and not n.startswith("#")]
    missing = [n for n in names if not hasattr(latte.Tensor, n)]
    return (f"Of the {len(names)} public attributes of PyTorch 2.13's `torch.Tensor`, Latte's "
            f"`Tensor` has {len(names) - len(missing)}. `latte run --check SCRIPT.py` lists the "
            f"ones a script uses that Latte lacks. The {len(missing)} missing:\n\n"
            + ", ".join(f"`{n}`" for n in missing) + "\n")


def op_registry() -> str:
    sys.path.insert(0, str(REPO / "tests"))
    try:
        import op_db
    finally:
        sys.path.remove(str(REPO / "tests"))
    ops = sorted({op.name for op in op_db.OPS})
    return (f"{len(ops)} ops are in the op registry (`tests/op_db.py`): each is gradient-checked "
            "in float64 and compared with PyTorch (values and gradients) on several sample "
            "inputs (scalars, broadcasting, non-contiguous views):\n\n"
            + ", ".join(f"`{n}`" for n in ops) + "\n")


def corpus_table() -> str:
    sys.path.insert(0, str(REPO / "tests" / "compat"))
    try:
        import _compat_corpus
    finally:
        sys.path.remove(str(REPO / "tests" / "compat"))
    rows = []
    for case in _compat_corpus.CORPUS:
        doc = ast.get_docstring(ast.parse((SCRIPTS / case.script).read_text())) or ""
        first = doc.strip().splitlines()[0] if doc.strip() else ""
        how = "values compared" if case.compare else "runs (random stream differs)"
        rows.append(f"| `{case.script}` | {_cell(first)} | {how} |")
    return (f"These {len(rows)} PyTorch scripts (`tests/compat/scripts`) run unchanged under "
            "`latte run` and, in `make test` and `make compat`, under PyTorch from the same "
            f"initial weights; their losses and weights agree to {_compat_corpus.TOLERANCE:g} "
            "relative:\n\n| script | what it is | checked |\n|---|---|---|\n"
            + "\n".join(rows) + "\n")


SECTIONS = {"module_map": module_map, "surface": surface_table, "tensor": tensor_coverage,
            "ops": op_registry, "corpus": corpus_table}


def write_pages(app: Sphinx) -> None:
    """``builder-inited``: one Markdown file per section, included by coming_from_pytorch.md."""
    folder = Path(app.srcdir) / "_generated"
    folder.mkdir(exist_ok=True)
    for name, make in SECTIONS.items():
        path, text = folder / f"{name}.md", make()
        if not path.exists() or path.read_text() != text:
            path.write_text(text)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", write_pages)
    return {"parallel_read_safe": True, "version": "1"}
