"""Print Latte's import graph problems: import circles, upward imports and hidden imports.

Reads every module under ``latte/`` with ``ast`` (nothing is imported), resolves each
``import``/``from ... import`` to the Latte module it loads, and reports

* the import circles (strongly connected components of more than one module),
* the imports that run from a lower layer to a higher one (layers as in ``pyproject.toml``'s
  import-linter contract, lowest first),
* the imports made inside a function body (``--local``), which is how a circle used to hide.

Run: ``python tools/import_graph.py`` (exit status 1 when there is a circle or an upward import).
"""
from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first, the same order as the import-linter contract. A module belongs to the first
# (longest) prefix that matches it.
LAYERS: list[tuple[str, ...]] = [
    ("latte.dtypes", "latte._storage", "latte.backend", "latte._cupy_backend", "latte._threads"),
    ("latte.autograd",),
    ("latte.ops",),
    ("latte._size", "latte.return_types", "latte._out_argument", "latte.random", "latte.cuda",
     "latte._functional",
     "latte.creation", "latte.special", "latte.linalg", "latte._linalg_factorizations",
     "latte._tensor", "latte.tensor",
     "latte.functional", "latte.sparse"),
    ("latte.distributed",),
    ("latte.nn",),
    ("latte.optim", "latte.utils", "latte.distributions", "latte.serialization",
     "latte.safetensors"),
    ("latte.vision", "latte.train", "latte.cli", "latte.compat", "latte.multiprocessing",
     "latte.onnx"),
    ("latte",),
]


def layer_of(module: str) -> int:
    """Index in LAYERS of the most specific prefix naming ``module``."""
    best, best_len = len(LAYERS) - 1, 0
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or module.startswith(prefix + ".") or (
                prefix.endswith("_tensor") and module.startswith(prefix))
            if matches and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def module_files() -> dict[str, Path]:
    files = {}
    for path in sorted((ROOT / "latte").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        files[".".join(parts)] = path
    return files


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest Latte module that ``name`` (a module or a name inside one) refers to."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]):
    """Yield (target module, line, inside a function?) for each Latte import of ``module``."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            local = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = _resolve(alias.name, modules)
                    if target:
                        yield target, child.lineno, in_function
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in child.names:
                    target = _resolve(f"{base}.{alias.name}", modules) or _resolve(base, modules)
                    if target:
                        yield target, child.lineno, in_function
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # typing-only imports never run
            yield from visit(child, local)

    yield from visit(tree, False)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_ancestor(package: str, module: str) -> bool:
    """Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first: not a real edge back."""
    return module.startswith(package + ".")


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of two or more modules, largest first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components, key=len, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true",
                        help="also list every import made inside a function")
    args = parser.parse_args(argv)
    modules = module_files()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    upward, local = [], []
    for module, path in modules.items():
        for target, line, in_function in imports_of(module, path, modules):
            if target == module or _is_ancestor(target, module):
                continue
            graph[module].add(target)
            where = f"{path.relative_to(ROOT)}:{line}"
            if in_function:
                local.append(f"{where} -> {target}")
            if layer_of(target) > layer_of(module) and not _is_ancestor(module, target):
                upward.append(f"{where} ({module}, layer {layer_of(module)}) -> {target} "
                              f"(layer {layer_of(target)})")
    cycles = strongly_connected(graph)
    print(f"{len(modules)} modules, {sum(map(len, graph.values()))} import edges")
    print(f"import circles: {len(cycles)}")
    for component in cycles:
        print(f"  {len(component)} modules: {', '.join(component)}")
    print(f"upward imports: {len(upward)}")
    for line in upward:
        print(f"  {line}")
    print(f"imports inside functions: {len(local)}")
    if args.local:
        for line in local:
            print(f"  {line}")
    return 1 if cycles or upward else 0


if __name__ == "__main__":
    sys.exit(main())
