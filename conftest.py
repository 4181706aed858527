"""Doctests of the library (``pytest --doctest-modules`` on ``latte/``, set in pyproject.toml).

Every example in a docstring runs with ``latte`` and ``torch`` (Latte itself, as users import it)
already imported and the seed fixed, so an example that no longer matches Latte's output fails.
Modules that need an optional dependency are skipped when it is missing.
"""
from __future__ import annotations

import importlib.util

import pytest

# modules that run code when imported (the multiprocessing entry point)
collect_ignore = ["latte/compat/_mp_main.py"]

# module path prefix -> the optional package its doctests import
_OPTIONAL = {
    "latte/distributed": "mpi4py", "latte/nn/parallel": "mpi4py", "latte/onnx": "onnx",
    "latte/utils/tensorboard": "tensorboard", "latte/utils/viz.py": "graphviz",
    "latte/train/plots.py": "matplotlib", "latte/cupy": "cupy", "latte/_cupy_backend.py": "cupy",
    "latte/safetensors.py": "safetensors",
}
collect_ignore += [p for p, dep in _OPTIONAL.items() if importlib.util.find_spec(dep) is None]


@pytest.fixture(autouse=True)
def _latte_namespace(request: pytest.FixtureRequest) -> None:
    """``latte`` (also as ``torch``) in every doctest's namespace, with a fixed seed."""
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import latte
    latte.manual_seed(0)
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update(latte=latte, torch=latte, nn=latte.nn, F=latte.nn.functional)
