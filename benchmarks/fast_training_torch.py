"""The PyTorch twin of ``experiments/fast_training.py``: that very script, run on PyTorch.

Latte's API is PyTorch's, so the twin is the Latte script with its three imports of ``latte``
pointed at ``torch`` (the substitution below): same net, batches, schedule, look-ahead and
test-time augmentation (the batches, schedule and whitening come from
``experiments/fast_recipes.py``, NumPy only). Only the initial random weights differ, as
each framework draws its own.

    python benchmarks/fast_training_torch.py --recipe cifar10 --data-dir ../shared/data [--quick]
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
IMPORTS = {"import latte\n": "import torch as latte\n",
           "from latte import nn\n": "from torch import nn\n",
           "from latte.nn import functional as F\n": "from torch.nn import functional as F\n"}


def load_on_torch(script: Path) -> types.ModuleType:
    """``script`` as a module whose imports of Latte are imports of PyTorch."""
    source = script.read_text()
    for latte_import, torch_import in IMPORTS.items():
        if latte_import not in source:
            raise RuntimeError(f"{script} no longer has the line {latte_import!r}")
        source = source.replace(latte_import, torch_import)
    sys.path.insert(0, str(script.parent))
    module = types.ModuleType(f"{script.stem}_torch")
    module.__file__ = str(script)
    exec(compile(source, str(script), "exec"), module.__dict__)
    return module


if __name__ == "__main__":
    load_on_torch(EXPERIMENTS / "fast_training.py").main()
