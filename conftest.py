"""Doctests of the library: every module under ``latte/`` is collected as pytest's doctest module
(as ``--doctest-modules`` would, without also importing the files under ``tests/``).

Every example in a docstring runs with ``latte`` and ``torch`` (Latte itself, as users import it)
already imported and the seed fixed, so an example that no longer matches Latte's output fails.
Modules that need an optional dependency are skipped when it is missing.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _pytest.doctest import DoctestModule

_LIBRARY = Path(__file__).parent / "latte"

# modules that run code when imported (the multiprocessing entry point)
collect_ignore = ["latte/compat/_mp_main.py"]

# module path prefix -> the optional package its doctests import
_OPTIONAL = {
    "latte/distributed": "mpi4py", "latte/nn/parallel": "mpi4py", "latte/onnx": "onnx",
    "latte/utils/tensorboard": "tensorboard", "latte/utils/viz.py": "graphviz",
    "latte/train/plots.py": "matplotlib", "latte/cupy": "cupy", "latte/_cupy_backend.py": "cupy",
    "latte/safetensors.py": "safetensors", "latte/ops/compiled": "numba",
}
collect_ignore += [p for p, dep in _OPTIONAL.items() if importlib.util.find_spec(dep) is None]
# examples written as illustrations before the doctests ran (they need a model or data in
# scope): to be made runnable, as the optimizers' were
collect_ignore += ["latte/cli/data.py", "latte/optim/swa_utils.py", "latte/train/tta.py",
                   "latte/vision/transforms/batch.py"]


@pytest.fixture(autouse=True)
def _latte_namespace(request: pytest.FixtureRequest) -> None:
    """``latte`` (also as ``torch``) in every doctest's namespace, with a fixed seed, run in a
    temporary folder."""
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import latte
    latte.manual_seed(0)
    # examples that write files (latte.save) write them in a fresh folder, not the repository
    request.getfixturevalue("monkeypatch").chdir(request.getfixturevalue("tmp_path"))
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update(latte=latte, torch=latte, nn=latte.nn, F=latte.nn.functional)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Each module of ``latte/`` as a doctest module (``__main__.py`` files are never imported)."""
    if file_path.suffix == ".py" and _LIBRARY in file_path.parents and \
            file_path.name != "__main__.py":
        return DoctestModule.from_parent(parent, path=file_path)
    return None
