"""Latte's core speed and memory against PyTorch (CPU) and Chainer 7.8, measured in the same run.

Four figures, each the median of ``--rounds`` interleaved rounds (round r runs latte, torch,
chainer one after the other, so a busy machine slows all three alike):

  (a) autograd overhead: a chain of 10,000 elementwise ops on 100 floats, forward + backward,
      in microseconds per op                                    target: latte <= 3x torch
  (b) one training step of an MLP 784-512-64-10 (ReLU) at batch 128, float32: forward,
      cross-entropy, backward, hand-written SGD momentum update  target: latte <= 0.9x torch
  (c) ``import latte`` in a fresh interpreter                    target: < 0.3 s
  (d) memory of a 200-step run of (b): peak RSS minus RSS after the imports, each framework in
      its own fresh process                                      target: latte <= chainer

    python benchmarks/bench_core.py            # the full run (a few minutes)
    python benchmarks/bench_core.py --quick    # a smoke run (seconds)
    python benchmarks/bench_core.py --profile  # cProfile of latte on (a) and (b)

Frameworks that are not installed are skipped with a note. Chainer 7.8 predates NumPy 2: the
aliases NumPy removed are restored here, in this script only, before Chainer is imported.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

FRAMEWORKS = ("latte", "torch", "chainer")
MLP_SIZES = (784, 512, 64, 10)
BATCH = 128
LR, MOMENTUM = 0.01, 0.9

# Restores, before `import chainer`, the names NumPy 2 removed that Chainer 7.8 still uses.
CHAINER_SHIMS = """
import numpy as np
for _name, _value in (("int", int), ("float", float), ("bool", bool), ("object", object),
                      ("complex", complex), ("str", str)):
    if _name not in np.__dict__:
        setattr(np, _name, _value)
if "sctypes" not in np.__dict__:
    np.sctypes = {"int": [np.int8, np.int16, np.int32, np.int64],
                  "uint": [np.uint8, np.uint16, np.uint32, np.uint64],
                  "float": [np.float16, np.float32, np.float64],
                  "complex": [np.complex64, np.complex128],
                  "others": [bool, object, bytes, str, np.void]}
"""


def import_framework(name: str) -> Any:
    """The framework's module, or the reason it cannot be imported as a string."""
    try:
        if name == "latte":
            import latte
            return latte
        if name == "torch":
            import torch
            return torch
        exec(CHAINER_SHIMS, {})
        import chainer
        import chainer.functions  # noqa: F401  (the chain and MLP below use it)
        return chainer
    except Exception as e:  # any failure just means: skip this framework, and say why
        return f"{type(e).__name__}: {e}"


# --- (a) autograd overhead ------------------------------------------------------------------------
def chain_runner(name: str, n_ops: int) -> Callable[[], None]:
    """A function running ``n_ops`` alternating ``*1.01``, ``+0.01``, ``tanh``, then backward."""
    x0 = np.random.default_rng(0).random(100, dtype=np.float32)

    if name == "chainer":
        import chainer
        import chainer.functions as F

        def run() -> None:
            y = x = chainer.Variable(x0.copy())
            for i in range(n_ops):
                k = i % 3
                y = y * 1.01 if k == 0 else (y + 0.01 if k == 1 else F.tanh(y))
            F.sum(y).backward()
            assert x.grad is not None
        return run

    mod = import_framework(name)

    def run() -> None:
        y = x = mod.tensor(x0).requires_grad_()
        for i in range(n_ops):
            k = i % 3
            y = y * 1.01 if k == 0 else (y + 0.01 if k == 1 else y.tanh())
        y.sum().backward()
        assert x.grad is not None
    return run


# --- (b) MLP training step ------------------------------------------------------------------------
def mlp_data() -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Shared starting weights (nn.Linear's init), one input batch and its labels, from NumPy."""
    rng = np.random.default_rng(0)
    weights = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    x = rng.random((BATCH, MLP_SIZES[0]), dtype=np.float32)
    y = rng.integers(0, MLP_SIZES[-1], BATCH)
    return weights, x, y


def mlp_step(name: str) -> Callable[[], float]:
    """A function doing one training step of the MLP and returning the loss."""
    weights, x_np, y_np = mlp_data()
    if name == "latte":
        return _latte_step(weights, x_np, y_np)
    if name == "torch":
        return _torch_step(weights, x_np, y_np)
    return _chainer_step(weights, x_np, y_np)


def _latte_step(weights: list, x_np: np.ndarray, y_np: np.ndarray) -> Callable[[], float]:
    import latte
    import latte.nn.functional as F
    params = [latte.tensor(w).requires_grad_() for w in weights]
    velocities = [latte.zeros_like(p) for p in params]
    x, target = latte.tensor(x_np), latte.tensor(y_np)

    def step() -> float:  # the same calls as _torch_step's
        h = x
        for i in range(0, len(params), 2):
            h = F.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = F.relu(h)
        loss = F.cross_entropy(h, target)
        for p in params:
            p.grad = None
        loss.backward()
        with latte.no_grad():
            for p, v in zip(params, velocities):
                v.mul_(MOMENTUM).add_(p.grad)
                p.sub_(v, alpha=LR)
        return loss.item()
    return step


def _torch_step(weights: list, x_np: np.ndarray, y_np: np.ndarray) -> Callable[[], float]:
    import torch
    import torch.nn.functional as F
    params = [torch.tensor(w).requires_grad_() for w in weights]
    velocities = [torch.zeros_like(p) for p in params]
    x, target = torch.tensor(x_np), torch.tensor(y_np)

    def step() -> float:
        h = x
        for i in range(0, len(params), 2):
            h = F.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = F.relu(h)
        loss = F.cross_entropy(h, target)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p, v in zip(params, velocities):
                v.mul_(MOMENTUM).add_(p.grad)
                p.sub_(v, alpha=LR)
        return loss.item()
    return step


def _chainer_step(weights: list, x_np: np.ndarray, y_np: np.ndarray) -> Callable[[], float]:
    import chainer
    import chainer.functions as F
    params = [chainer.Parameter(w.copy()) for w in weights]
    velocities = [np.zeros_like(w) for w in weights]
    target = y_np.astype(np.int32)

    def step() -> float:
        h = x_np
        for i in range(0, len(params), 2):
            h = F.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = F.relu(h)
        loss = F.softmax_cross_entropy(h, target)
        for p in params:
            p.cleargrad()
        loss.backward()
        for p, v in zip(params, velocities):  # Chainer's arrays are plain NumPy arrays
            v *= MOMENTUM
            v += p.grad
            p.array -= LR * v
        return float(loss.array)
    return step


# --- (c) import time, (d) memory: fresh processes -----------------------------------------------
def import_seconds(name: str) -> float:
    """Seconds ``import <name>`` takes in a fresh interpreter (interpreter start excluded)."""
    setup = CHAINER_SHIMS if name == "chainer" else ""
    code = ("import time\nstart = time.perf_counter()\n" + setup +
            f"import {name}\nprint(time.perf_counter() - start)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _status_bytes(field: str) -> int:
    """A ``/proc/self/status`` memory field (``VmRSS``, ``VmHWM``) in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} missing from /proc/self/status")


def load_runtime(name: str) -> None:
    """Load a framework's lazily loaded runtime before a memory baseline: Latte's compiled
    kernels (Numba's runtime, ~100 MiB once per process, as PyTorch's libraries are loaded
    before theirs; docs/performance.md gives it beside the figures)."""
    if name == "latte":
        from latte.ops import compiled
        compiled.warm_up()


def peak_growth(run: Callable[[], Any]) -> int:
    """Bytes the peak RSS grows while ``run()`` runs, above the RSS just before it (Linux).

    ``VmHWM`` is this process's own peak, and writing 5 to ``clear_refs`` resets it to the
    current RSS, so what came before (imports, building the model) does not count."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # a kernel without peak reset: the earlier peak may then count too
    baseline = _status_bytes("VmRSS")
    run()
    return _status_bytes("VmHWM") - baseline


def memory_child(name: str, steps: int) -> None:
    """Run ``steps`` MLP steps and print peak RSS minus the RSS after the imports, in bytes.

    Linux only. Not ``getrusage``'s ``ru_maxrss``: it survives ``exec``, so a child would report
    its parent's peak. ``VmHWM`` is this process's own peak, and writing 5 to ``clear_refs``
    resets it to the current RSS, so what the imports held only briefly does not count.
    """
    module = import_framework(name)
    if isinstance(module, str):
        raise SystemExit(module)
    load_runtime(name)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass  # a kernel without peak reset: the imports' own peak may then count too
    baseline = _status_bytes("VmRSS")
    step = mlp_step(name)
    for _ in range(steps):
        step()
    print(json.dumps({"growth": _status_bytes("VmHWM") - baseline}))


def memory_growth(name: str, steps: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--memory-child", name, "--steps", str(steps)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["growth"]


# --- driver ---------------------------------------------------------------------------------------
def time_call(fn: Callable[[], Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def settled_time(fn: Callable[[], Any], repeat: int, settle_s: float = 0.15) -> float:
    """``time_call`` after untimed calls of ``fn`` for ``settle_s`` seconds (at least one).

    Both frameworks leave worker threads busy-waiting after their work: PyTorch's OpenMP
    workers ~9 ms after each parallel region (libgomp's default wait policy), NumPy's OpenBLAS
    workers ~50 ms after each product they share. Whatever runs next in this process then lacks
    a core: a Latte step right after a PyTorch step ran 131 against 123 ms after a Latte step,
    and PyTorch's MLP step right after one NumPy product on two threads 5.1 against 2.6 ms. A
    program that uses one framework never pays that, so neither framework is timed while the
    other's threads still spin."""
    end = time.perf_counter() + settle_s
    fn()
    while time.perf_counter() < end:
        fn()
    return time_call(fn, repeat)


def print_header(available: dict) -> None:
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, cpus {os.cpu_count()}")
    for name, module in available.items():
        if isinstance(module, str):
            print(f"  {name:8s} NOT AVAILABLE, skipped ({module})")
        else:
            print(f"  {name:8s} {getattr(module, '__version__', '?')}")
    if "torch" in available and not isinstance(available["torch"], str):
        print(f"  torch intra-op threads: {available['torch'].get_num_threads()}")
    if "latte" in available and not isinstance(available["latte"], str):
        from latte.ops import compiled
        state = "on" if compiled.enabled else "off" if compiled.available else "not installed"
        print(f"  latte compiled kernels (numba): {state}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS"):
        print(f"  {var}={os.environ.get(var, '(unset)')}")
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            print(f"  {info['user_api']}: {info['internal_api']} {info.get('version')} "
                  f"{info.get('architecture', '')} threads={info['num_threads']} "
                  f"({Path(info['filepath']).name})")
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        print(f"  numpy blas: {blas.get('name')} {blas.get('version')} "
              f"(pip install threadpoolctl for the runtime details)")


def measure(names: list, rounds: int, fn: Callable[[str], float]) -> dict:
    """``fn(name)`` for each framework, ``rounds`` interleaved times; the median per framework."""
    samples: dict = {n: [] for n in names}
    for _ in range(rounds):
        for n in names:
            samples[n].append(fn(n))
    return {n: statistics.median(s) for n, s in samples.items()}


def report(title: str, unit: str, scale: float, values: dict, ratio_to: str | None,
           target: str) -> None:
    print(f"\n{title}   [target: {target}]")
    for name, value in values.items():
        line = f"  {name:8s} {value * scale:10.3f} {unit}"
        if ratio_to in values and name != ratio_to:
            line += f"   {name}/{ratio_to} = {value / values[ratio_to]:.2f}x"
        print(line)


def profile_latte(n_ops: int, steps: int) -> None:
    """Print where latte spends its time on (a) and (b), by each function's own time."""
    import cProfile
    import pstats
    step = mlp_step("latte")
    step()
    jobs = ((f"a chain of {n_ops} ops", chain_runner("latte", n_ops)),
            (f"{steps} MLP steps", lambda: [step() for _ in range(steps)]))
    for title, job in jobs:
        job()  # warm-up, outside the profile
        profiler = cProfile.Profile()
        profiler.runcall(job)
        print(f"\n=== latte, {title}: top functions by own time ===")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(18)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run with tiny sizes")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5)")
    parser.add_argument("--profile", action="store_true", help="cProfile latte on (a) and (b)")
    parser.add_argument("--memory-child", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=200, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.steps)
        return

    rounds = args.rounds or (2 if args.quick else 5)
    n_ops, mlp_repeat, mem_steps = (300, 3, 10) if args.quick else (10_000, 20, 200)
    if args.profile:
        profile_latte(n_ops, mlp_repeat * 5)
        return

    available = {n: import_framework(n) for n in FRAMEWORKS}
    print_header(available)
    names = [n for n in FRAMEWORKS if not isinstance(available[n], str)]
    # Python's full garbage collections walk every tracked object in the process: without this,
    # the ~150,000 objects that importing torch and chainer creates would slow latte's graph
    # building (Python objects) far more than it would in a process with latte alone.
    gc.collect()
    gc.freeze()

    chains = {n: chain_runner(n, n_ops) for n in names}
    for run in chains.values():
        run()  # warm-up: first calls pay for lazy imports and caches
    values = measure(names, rounds, lambda n: time_call(chains[n], 1) / n_ops)
    print(f"\nmedians of {rounds} interleaved rounds")
    report(f"(a) autograd overhead: {n_ops} elementwise ops on 100 floats, forward + backward",
           "us/op", 1e6, values, "torch", "latte <= 3x torch")

    steps = {n: mlp_step(n) for n in names}
    for step in steps.values():
        step()
        step()
    values = measure(names, rounds, lambda n: time_call(steps[n], mlp_repeat))
    report(f"(b) MLP {'-'.join(map(str, MLP_SIZES))} ReLU, batch {BATCH}: one SGD-momentum step",
           "ms/step", 1e3, values, "torch", "latte <= 0.9x torch")

    values = measure(names, rounds, import_seconds)
    report("(c) import time in a fresh interpreter", "s", 1, values, None, "latte < 0.3 s")

    if not Path("/proc/self/status").exists():
        print("\n(d) memory: skipped, it reads /proc/self/status (Linux only)")
        return
    values = measure(names, rounds, lambda n: memory_growth(n, mem_steps))
    report(f"(d) memory: peak RSS minus RSS after imports, {mem_steps} MLP steps in a fresh "
           f"process", "MiB", 1 / 2**20, values, "chainer", "latte <= chainer")


if __name__ == "__main__":
    main()
