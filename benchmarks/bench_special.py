"""Elementwise special functions, LayerNorm and grid_sample: Latte/PyTorch time in one run.

Each case runs the same code in both frameworks (``import latte as torch`` style): forward, or
forward + backward of ``(out * g).sum()`` with a fixed upstream ``g``. Every figure is the
median of ``--rounds`` interleaved rounds (latte then torch), so load slows both alike; read
the ratios. The machine's load average is printed first. On a loaded machine wall time says
little; ``--cpu`` times each call by the process's CPU time with PyTorch on one thread: the
work each framework does, fairly compared whatever the load.

    python benchmarks/bench_special.py             # every case
    python benchmarks/bench_special.py --cpu       # CPU time, both on one thread
    python benchmarks/bench_special.py --only gelu --rounds 7
    python benchmarks/bench_special.py --quick     # small sizes, a smoke run
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core as core  # noqa: E402  (shared helpers: timing, reports)


def _leaf(lib: Any, a: np.ndarray, grad: bool) -> Any:
    t = lib.tensor(a)
    return t.requires_grad_() if grad else t


def _runner(lib: Any, fn: Callable, arrays: list, backward: bool) -> Callable[[], None]:
    """A closure running ``fn`` on fresh leaves of ``arrays`` (forward, or forward + backward)."""
    leaves = [_leaf(lib, a, backward) for a in arrays]

    def run() -> None:
        for t in leaves:
            t.grad = None
        out = fn(lib, *leaves)
        if backward:
            upstream = lib.tensor(np.full(tuple(out.shape), 0.5, dtype=np.float32))
            (out * upstream).sum().backward()
    return run


def cases(quick: bool) -> dict:
    """name -> (fn(lib, *tensors), input arrays, backward?)."""
    rng = np.random.default_rng(0)
    n = 2 ** 16 if quick else 2 ** 21
    act = (8, 8, 16, 16) if quick else (64, 32, 32, 32)
    ln_big = (4, 64, 768) if quick else (64, 512, 768)
    ln_vit = (4, 197, 768) if quick else (32, 197, 768)
    gs = (2, 4, 16, 16) if quick else (16, 16, 64, 64)
    f32 = np.float32
    wide = (rng.standard_normal(n) * 3).astype(f32)
    unit = rng.uniform(-1, 1, n).astype(f32)
    out = {
        "erf fwd": (lambda lib, x: lib.erf(x), [wide], False),
        "erfc fwd": (lambda lib, x: lib.erfc(x), [wide], False),
        "erfinv fwd": (lambda lib, x: lib.erfinv(x), [unit], False),
        f"gelu fwd+bwd {act}": (lambda lib, x: lib.nn.functional.gelu(x),
                                [rng.standard_normal(act).astype(f32)], True),
    }
    for shape in (ln_big, ln_vit):
        d = shape[-1]
        out[f"layer_norm fwd+bwd {shape}"] = (
            lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (x.shape[-1],), w, b),
            [(1.0 + rng.standard_normal(shape)).astype(f32), rng.uniform(0.5, 1.5, d).astype(f32),
             (0.1 * rng.standard_normal(d)).astype(f32)], True)
    image = rng.standard_normal(gs).astype(f32)
    grid = rng.uniform(-1.1, 1.1, (gs[0], gs[2], gs[3], 2)).astype(f32)
    for padding in ("zeros", "border"):
        for align in (False, True):
            out[f"grid_sample {padding} align={align} fwd+bwd {gs}"] = (
                lambda lib, x, g, p=padding, a=align: lib.nn.functional.grid_sample(
                    x, g, padding_mode=p, align_corners=a), [image, grid], True)
    return out


def cpu_time_call(fn: Callable[[], Any], repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="calls per timed sample")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cpu", action="store_true",
                        help="process CPU time, PyTorch on one thread (for a loaded machine)")
    args = parser.parse_args()
    libs = {name: core.import_framework(name) for name in ("latte", "torch")}
    if args.cpu and not isinstance(libs["torch"], str):
        libs["torch"].set_num_threads(1)
    core.print_header(libs)
    print(f"  load average (1, 5, 15 min): {os.getloadavg()}")
    names = [n for n, m in libs.items() if not isinstance(m, str)]
    timer = cpu_time_call if args.cpu else core.time_call
    print(f"  clock: {'process CPU time, torch on 1 thread' if args.cpu else 'wall'}")
    print(f"\n{'case':52s} {'latte ms':>10s} {'torch ms':>10s} {'ratio':>7s}")
    for name, (fn, arrays, backward) in cases(args.quick).items():
        if args.only not in name:
            continue
        runs = {lib: _runner(libs[lib], fn, arrays, backward) for lib in names}
        for run in runs.values():
            run()  # warm-up: lazy set-up, caches
        times = core.measure(names, args.rounds,
                             lambda lib, runs=runs: timer(runs[lib], args.repeat))
        lt, tt = times.get("latte", float("nan")), times.get("torch", float("nan"))
        print(f"{name:52s} {lt * 1e3:10.2f} {tt * 1e3:10.2f} {lt / tt:7.2f}", flush=True)
    print(f"  load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
