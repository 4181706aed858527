"""Every public name of the API has a real docstring, and functions show their real signature.

Public = in the module's ``__all__`` or, without one, not starting with ``_``; only functions and
classes defined in Latte count (constants such as ``latte.float32`` and re-exported modules are
walked through their own entry). ``python tests/test_docstrings.py`` prints the count.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import re
import sys
import types

import pytest

MODULES = [
    "latte", "latte.nn", "latte.nn.functional", "latte.nn.init", "latte.optim",
    "latte.optim.lr_scheduler", "latte.autograd", "latte.utils.data", "latte.vision.datasets",
    "latte.vision.transforms", "latte.vision.models", "latte.distributed", "latte.train",
    "latte.cli.main", "latte.autograd.functional", "latte.nn.utils.parametrize",
    "latte.nn.utils.parametrizations", "latte.testing", "latte.func",
    "latte.distributions", "latte.distributions.transforms", "latte.distributions.constraints",
]
# the CLI's subcommands are private functions of latte.cli.main, named _cmd_<subcommand>
_CLI_PREFIX = "_cmd_"
_MIN_LENGTH = 20
# text the generators used to write when a method had no docstring of its own
_PLACEHOLDERS = [re.compile(p) for p in (
    r"^``latte\.\w+\(x, \.\.\.\)`` is ``x\.\w+\(\.\.\.\)``\.?$",
    r"^In-place ``\w+``\.?$",
    r"^``latte\.linalg\.\w+\(self, \.\.\.\)``\.?$",
)]


def _public_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    if module.__name__ == "latte.cli.main":
        names = [*names, *(n for n in dir(module) if n.startswith(_CLI_PREFIX))]
    return sorted(set(names))


@functools.cache
def public_api() -> list[tuple[str, object]]:
    """``(qualified name, object)`` for every public function and class, each object once."""
    seen: set[int] = set()
    found = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in _public_names(module):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or callable(obj)) or isinstance(obj, types.ModuleType):
                continue
            if not (getattr(obj, "__module__", None) or "").startswith("latte"):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            found.append((f"{module_name}.{name}", obj))
    return found


def docstring_problem(obj: object) -> str | None:
    """Why ``obj``'s docstring does not count (None when it does)."""
    # __doc__, not inspect.getdoc: a class without a docstring must not borrow its base's
    doc = obj.__doc__ if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not doc or not doc.strip():
        return "no docstring"
    text = inspect.cleandoc(doc)
    if len(text) < _MIN_LENGTH:
        return f"placeholder docstring {text!r}"
    if any(p.match(text) for p in _PLACEHOLDERS):
        return f"generated placeholder {text!r}"
    return None


def test_the_walk_finds_the_api():
    names = {name for name, _ in public_api()}
    assert len(names) > 650
    for expected in ("latte.exp", "latte.nn.Linear", "latte.optim.Adam", "latte.train.fit",
                     "latte.utils.data.DataLoader", "latte.cli.main._cmd_train"):
        assert expected in names


def test_the_checker_rejects_placeholders():
    def exp(input):
        """``latte.exp(x, ...)`` is ``x.exp(...)``."""

    def short():
        """Short."""

    def missing():
        pass
    assert docstring_problem(exp) and docstring_problem(short) and docstring_problem(missing)
    assert docstring_problem(docstring_problem) is None


@pytest.mark.parametrize("name", [name for name, _ in public_api()])
def test_public_name_has_a_docstring(name):
    obj = dict(public_api())[name]
    problem = docstring_problem(obj)
    assert problem is None, f"{name}: {problem}"


if __name__ == "__main__":
    api = public_api()
    missing = [(n, p) for n, o in api if (p := docstring_problem(o))]
    for n, p in missing if "-v" in sys.argv else []:
        print(f"{n}: {p}")
    print(f"{len(api) - len(missing)} of {len(api)} public names documented")
