"""Latte's non-convolutional layers and losses against PyTorch (CPU), in the same run.

Each figure is the median of ``--rounds`` interleaved rounds (latte then torch), each round
timing ``--repeat`` calls; read the ratios:

  (a) cross-entropy forward + backward, logits 128x10 and 512x1000
  (b) BatchNorm1d(512) on 256x512 and LayerNorm(512) on 64x64x512, forward + backward
  (c) a training step of an MLP 784-512-256-10 built from nn.Linear/nn.ReLU/nn.Dropout,
      nn.CrossEntropyLoss, hand-written SGD, batch 128
  (d) Module call overhead: nn.Sequential of 50 nn.Identity, one call

    python benchmarks/bench_nn_core.py            # the full run (under a minute)
    python benchmarks/bench_nn_core.py --quick    # a smoke run

Both frameworks start from the same weights and data (drawn with NumPy).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core as core  # noqa: E402  (shared helpers: timing, reports)

NAMES = ["latte", "torch"]


def _tensor(lib: Any, array: np.ndarray, grad: bool = False) -> Any:
    return lib.tensor(array, requires_grad=grad)


def cross_entropy_case(lib: Any, n: int, c: int) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    x = _tensor(lib, rng.standard_normal((n, c)).astype(np.float32), True)
    t = _tensor(lib, rng.integers(0, c, n))

    def run() -> None:
        x.grad = None
        lib.nn.functional.cross_entropy(x, t, label_smoothing=0.1).backward()
    return run


def norm_case(lib: Any, kind: str) -> Callable[[], None]:
    rng = np.random.default_rng(1)
    if kind == "batch":
        layer = lib.nn.BatchNorm1d(512)
        x = _tensor(lib, rng.standard_normal((256, 512)).astype(np.float32), True)
    else:
        layer = lib.nn.LayerNorm(512)
        x = _tensor(lib, rng.standard_normal((64, 64, 512)).astype(np.float32), True)

    def run() -> None:
        x.grad = None
        layer(x).sum().backward()
    return run


def mlp_case(lib: Any) -> Callable[[], None]:
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.1), nn.Linear(512, 256),
                          nn.ReLU(), nn.Linear(256, 10))
    rng = np.random.default_rng(2)
    weights = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.05
               for k, v in model.state_dict().items()}
    model.load_state_dict({k: _tensor(lib, v) for k, v in weights.items()})
    x = _tensor(lib, rng.standard_normal((128, 784)).astype(np.float32))
    y = _tensor(lib, rng.integers(0, 10, 128))
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())

    def run() -> None:
        model.zero_grad()
        loss_fn(model(x), y).backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad * 0.01)
    return run


def call_overhead_case(lib: Any) -> Callable[[], None]:
    model = lib.nn.Sequential(*[lib.nn.Identity() for _ in range(50)])
    x = lib.zeros(1)
    return lambda: model(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="few repeats, for a smoke run")
    args = parser.parse_args()
    libs = {n: core.import_framework(n) for n in NAMES}
    core.print_header(libs)
    names = [n for n in NAMES if not isinstance(libs[n], str)]
    if "latte" in names:
        import latte.nn  # noqa: F401
    repeat = 2 if args.quick else 20
    cases = [
        ("(a) cross_entropy 128x10, fwd+bwd", lambda lib: cross_entropy_case(lib, 128, 10), 1e6,
         "us"),
        ("(a) cross_entropy 512x1000, fwd+bwd", lambda lib: cross_entropy_case(lib, 512, 1000),
         1e3, "ms"),
        ("(b) BatchNorm1d(512) 256x512, fwd+bwd", lambda lib: norm_case(lib, "batch"), 1e3, "ms"),
        ("(b) LayerNorm(512) 64x64x512, fwd+bwd", lambda lib: norm_case(lib, "layer"), 1e3, "ms"),
        ("(c) MLP 784-512-256-10 step, batch 128", mlp_case, 1e3, "ms"),
        ("(d) Sequential of 50 Identity, one call", call_overhead_case, 1e6, "us"),
    ]
    print(f"\nmedians of {args.rounds} interleaved rounds, {repeat} calls each")
    for title, make, scale, unit in cases:
        runners = {n: make(libs[n]) for n in names}
        values = core.measure(names, args.rounds,
                              lambda n, runners=runners: core.time_call(runners[n], repeat))
        core.report(title, unit, scale, values, "torch", "as close to torch as NumPy allows")


if __name__ == "__main__":
    main()
