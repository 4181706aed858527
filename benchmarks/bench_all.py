"""``make bench``: one table of Latte/PyTorch ratios, time per training step and peak memory.

Every workload is a training step (forward, loss, backward, update) built by the benchmark that
owns it: the MLP of ``bench_core``, the convolutional models of ``bench_conv_step``, the
Transformer encoder of ``bench_transformer`` and the LSTM of ``bench_rnn``. Each time is the
median of ``--rounds`` interleaved rounds in this one process (round r runs latte, then torch,
so a busy machine slows both alike), each timing after 0.15 s of untimed steps of the same
framework (``bench_core.settled_time``: both leave worker threads spinning after their work).
Memory is the peak RSS growth over ``--mem-steps`` steps above the RSS once model, optimizer
and batch exist, each framework and workload in a fresh process (``bench_core``'s VmHWM
reading).

    python benchmarks/bench_all.py               # the default threads (a few minutes)
    python benchmarks/bench_all.py --threads 1   # both frameworks on one thread
    python benchmarks/bench_all.py --quick       # tiny batches, a smoke run
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_conv_step as conv  # noqa: E402
import bench_core as core  # noqa: E402
import bench_nn  # noqa: E402
import bench_rnn  # noqa: E402
import bench_transformer  # noqa: E402

NAMES = ("latte", "torch")


def _sequence_step(module: Any, name: str) -> Callable[[], None]:
    """A step of ``bench_transformer`` or ``bench_rnn``: both frameworks from one state."""
    import torch
    torch.manual_seed(0)
    reference = module.build(torch, None)[0]
    state = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    built = module.build(bench_nn.import_framework(name), state)
    return lambda: module.step(*built)


def _conv(model: str) -> Callable[[str, bool], Callable[[], Any]]:
    return lambda name, quick: conv.make_step(name, model, quick)[0]


# name: (what it is, builder(framework, quick) -> step, steps per timing)
WORKLOADS: dict[str, tuple[str, Callable[[str, bool], Callable[[], Any]], int]] = {
    "mlp": ("MLP 784-512-64-10, b128, SGD momentum", lambda n, q: core.mlp_step(n), 20),
    "lenet": ("LeNet-style CNN, b64, Adam", _conv("lenet"), 3),
    "mnist_resnet": ("MNIST ResNet, b64, SGD", _conv("mnist_resnet"), 2),
    "resnet18": ("ResNet-18 CIFAR stem, b128, SGD", _conv("resnet18"), 1),
    "c5l3": ("C5L3 CIFAR, b128, Adam", _conv("c5l3"), 1),
    "vgg_bn": ("3x3 conv net 64-256 + BN, b256, SGD", _conv("vgg_bn"), 1),
    "transformer": ("TransformerEncoder 2x200, seq 35, b20",
                    lambda n, q: _sequence_step(bench_transformer, n), 3),
    "lstm": ("LSTM 2x256, seq 35, b20", lambda n, q: _sequence_step(bench_rnn, n), 3),
}
MEMORY = ("mlp", "lenet", "mnist_resnet", "resnet18", "transformer")


def memory_child(workload: str, name: str, steps: int, quick: bool) -> None:
    """Peak RSS growth of ``steps`` steps above the RSS once model, optimizer and batch exist
    (issue 20's measure: the first step's gradients and optimizer state count)."""
    core.load_runtime(name)
    step = WORKLOADS[workload][1](name, quick)
    print(json.dumps({"growth": core.peak_growth(lambda: [step() for _ in range(steps)])}))


def memory_growth(workload: str, name: str, steps: int, quick: bool,
                  threads: int | None) -> float:
    cmd = [sys.executable, __file__, "--memory-child", workload, name, "--mem-steps", str(steps)]
    cmd += (["--quick"] if quick else []) + ([f"--threads={threads}"] if threads else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["growth"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both frameworks (default: their own)")
    parser.add_argument("--only", action="append", choices=list(WORKLOADS),
                        help="run only these workloads (repeatable)")
    parser.add_argument("--mem-steps", type=int, default=4)
    parser.add_argument("--no-memory", action="store_true", help="time only")
    parser.add_argument("--memory-only", action="store_true", help="memory only")
    parser.add_argument("--quick", action="store_true", help="tiny batches and one round")
    parser.add_argument("--memory-child", nargs=2, metavar=("WORKLOAD", "FRAMEWORK"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        bench_nn.limit_threads(args.threads)
    if args.memory_child:
        memory_child(*args.memory_child, args.mem_steps, args.quick)
        return
    rounds = 1 if args.quick else args.rounds
    available = {n: core.import_framework(n) for n in NAMES}
    core.print_header(available)
    if any(isinstance(m, str) for m in available.values()):
        raise SystemExit("bench_all compares Latte with PyTorch: both must be installed")
    print(f"load average {os.getloadavg()[0]:.2f} at the start; threads: "
          f"{args.threads or 'default'}; medians of {rounds} interleaved rounds")
    gc.collect()
    gc.freeze()  # see bench_core: torch's objects must not slow latte's collections
    rows = []
    for key in args.only or WORKLOADS:
        title, build, repeat = WORKLOADS[key]
        if args.memory_only and key not in MEMORY:
            continue
        times = {n: float("nan") for n in NAMES}
        if not args.memory_only:
            steps = {n: build(n, args.quick) for n in NAMES}
            for step in steps.values():
                step()  # warm-up: lazy imports, first allocations
            times = core.measure(list(NAMES), rounds, lambda n, steps=steps, repeat=repeat:
                                 core.settled_time(steps[n], repeat))
            del steps
        mem = {}
        if key in MEMORY and not args.no_memory and Path("/proc/self/status").exists():
            mem = {n: memory_growth(key, n, args.mem_steps, args.quick, args.threads)
                   for n in NAMES}
        rows.append((key, title, times, mem))
        print(f"  {key}: latte {times['latte'] * 1e3:.1f} ms, torch {times['torch'] * 1e3:.1f} ms",
              flush=True)
        gc.collect()
    print("\n| workload | latte ms/step | torch ms/step | time ratio | latte MiB | torch MiB "
          "| memory ratio |\n|---|---|---|---|---|---|---|")
    for key, title, times, mem in rows:
        ratio = times["latte"] / times["torch"]
        memory = (f"{mem['latte'] / 2**20:.0f} | {mem['torch'] / 2**20:.0f} | "
                  f"{mem['latte'] / max(mem['torch'], 1):.2f}") if mem else "- | - | -"
        print(f"| {key}: {title} | {times['latte'] * 1e3:.1f} | {times['torch'] * 1e3:.1f} | "
              f"{ratio:.2f} | {memory} |")
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
