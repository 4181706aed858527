"""``optimizer.step()`` speed: Latte against PyTorch's default (single-tensor, non-foreach) loop.

A model of about 1M float32 parameters in 20 tensors (10 weight matrices 316x316 and their 10
biases) with random gradients; each configuration (SGD with momentum, Adam, AdamW) times
``--steps`` steps per round, the two frameworks interleaved round by round, and prints the
median time per step of ``--rounds`` rounds and the ratio latte / torch.
Target: latte <= 1.5x torch.

    python benchmarks/bench_optim.py               # 7 rounds of 20 steps
    python benchmarks/bench_optim.py --threads 1   # torch on one thread, like NumPy's ufuncs
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

SHAPES = [(316, 316), (316,)] * 10  # 20 tensors, 1,001,720 parameters
CONFIGS = [("SGD", dict(lr=0.01, momentum=0.9)),
           ("Adam", dict(lr=1e-3)),
           ("AdamW", dict(lr=1e-3, weight_decay=1e-2))]


def make_optimizer(lib: Any, name: str, kwargs: dict[str, Any]) -> Any:
    """The optimizer over fresh parameters with gradients, its state already created."""
    rng = np.random.default_rng(0)
    params = []
    for shape in SHAPES:
        p = lib.tensor(rng.standard_normal(shape, dtype=np.float32), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape, dtype=np.float32) * 1e-2)
        params.append(p)
    if lib.__name__ == "torch":
        kwargs = dict(kwargs, foreach=False)
    opt = getattr(lib.optim, name)(params, **kwargs)
    opt.step()  # lazy state allocation stays out of the timings
    return opt


def time_steps(opt: Any, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        opt.step()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args()

    import torch

    import latte
    import latte.optim  # noqa: F401

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    n = sum(int(np.prod(s)) for s in SHAPES)
    print(f"{n:,} float32 parameters in {len(SHAPES)} tensors; torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads, foreach=False; numpy {np.__version__}")
    print(f"median of {args.rounds} interleaved rounds of {args.steps} steps")
    print(f"{'optimizer':<10}{'latte ms':>10}{'torch ms':>10}{'ratio':>8}")
    for name, kwargs in CONFIGS:
        ours = make_optimizer(latte, name, kwargs)
        ref = make_optimizer(torch, name, kwargs)
        times: dict[str, list[float]] = {"latte": [], "torch": []}
        for _ in range(args.rounds):
            times["latte"].append(time_steps(ours, args.steps))
            times["torch"].append(time_steps(ref, args.steps))
        a, b = statistics.median(times["latte"]), statistics.median(times["torch"])
        print(f"{name:<10}{a * 1e3:>10.3f}{b * 1e3:>10.3f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
