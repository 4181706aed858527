"""The GPU check (issue 8), to run by hand on a machine with an NVIDIA GPU, CuPy and PyTorch CUDA.

(a) runs the device test suite (``tests/device``) on real CuPy instead of the stand-in
    (``LATTE_TEST_DEVICE=cupy``): op, layer and optimizer parity between cuda and cpu;
(b) times one training step (forward + backward + SGD-momentum step) of the MLP
    784-512-64-10 (batch 64 and 512), LeNet (batch 128, 1x28x28) and ResNet-18 with the CIFAR
    stem (batch 128, 3x32x32) on Latte cuda and PyTorch cuda in the same run, and prints ms/step
    and the ratios against the issue's targets (MLP <= 2x, ResNet-18 <= 3x PyTorch).

Each timing sample synchronizes the GPU before reading the clock; warmup steps come first,
Latte and PyTorch samples are interleaved and the median is reported.

Usage::

    python benchmarks/gpu_check.py              # tests, then timings; exit 1 if either fails
    python benchmarks/gpu_check.py --no-tests   # timings only
    python benchmarks/gpu_check.py --standin    # the timing loop on the tests' stand-in GPU
                                                # (a smoke test of this script: numbers mean
                                                # nothing; PyTorch runs on its CPU)

Without CuPy or a GPU it says so and exits 0.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import latte  # noqa: E402
from latte import backend  # noqa: E402

# (name, batch, input shape, target ratio latte/torch or None)
CASES = [
    ("mlp", 64, (784,), 2.0),
    ("mlp", 512, (784,), 2.0),
    ("lenet", 128, (1, 28, 28), None),
    ("resnet18", 128, (3, 32, 32), 3.0),
]


# --- one architecture for both frameworks: ``fw`` is latte or torch -------------------------
def _mlp(fw: Any) -> Any:
    nn = fw.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def _lenet(fw: Any) -> Any:
    """Latte's zoo LeNet: two conv3x3-ReLU-MaxPool blocks (32, 64), then 3136-128-10."""
    nn = fw.nn
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def _resnet18(fw: Any) -> Any:
    """torchvision's ResNet-18 with the CIFAR stem (3x3/1 conv, no max pool)."""
    nn = fw.nn

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.down = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                       nn.BatchNorm2d(cout))
                         if stride != 1 or cin != cout else nn.Identity())

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + self.down(x))

    layers: list = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                         (512, 1)]:
        layers.append(Block(cin, cout, stride))
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)]
    return nn.Sequential(*layers)


MODELS = {"mlp": _mlp, "lenet": _lenet, "resnet18": _resnet18}


# --- timing -------------------------------------------------------------------------------
def _train_step(fw: Any, name: str, batch: int, shape: tuple, device: str) -> Callable:
    """A closure taking one SGD-momentum training step on random data already on ``device``."""
    fw.manual_seed(0)
    model = MODELS[name](fw).to(device)
    opt = fw.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = fw.nn.CrossEntropyLoss()
    x = fw.randn(batch, *shape, device=device)
    y = fw.randint(0, 10, (batch,), device=device)

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def _sample(step: Callable, sync: Callable, k: int) -> float:
    """Seconds per step over ``k`` steps, the GPU synchronized on both sides of the clock."""
    sync()
    start = time.perf_counter()
    for _ in range(k):
        step()
    sync()
    return (time.perf_counter() - start) / k


def _time_case(runners: dict, warmup: int, rounds: int, k: int) -> dict:
    for step, sync in runners.values():
        for _ in range(warmup):
            step()
        sync()
    samples: dict = {name: [] for name in runners}
    for _ in range(rounds):  # interleaved: a machine slowing down slows both alike
        for name, (step, sync) in runners.items():
            samples[name].append(_sample(step, sync, k))
    return {name: statistics.median(s) * 1e3 for name, s in samples.items()}


def _torch(standin: bool) -> tuple[Any, str] | None:
    """PyTorch and the device it times on, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    if torch.cuda.is_available():
        return torch, "cuda"
    if standin:
        return torch, "cpu"
    print("PyTorch has no CUDA here: timing Latte alone")
    return None


def run_benchmarks(args: argparse.Namespace) -> bool:
    """Print the timing table; True when every ratio meets its target."""
    torch_dev = _torch(args.standin)
    ok = True
    print(f"\n{'model':<10}{'batch':>6}{'latte ms':>11}{'torch ms':>11}{'ratio':>8}  target")
    for name, batch, shape, target in CASES:
        if args.only and name not in args.only:
            continue
        if args.standin:
            batch = min(batch, 4)  # the stand-in computes on the host: keep it a smoke test
        runners = {"latte": (_train_step(latte, name, batch, shape, "cuda"),
                             latte.cuda.synchronize)}
        if torch_dev is not None:
            torch, dev = torch_dev
            sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
            runners["torch"] = (_train_step(torch, name, batch, shape, dev), sync)
        ms = _time_case(runners, args.warmup, args.rounds, args.steps)
        line = f"{name:<10}{batch:>6}{ms['latte']:>11.3f}"
        if "torch" in ms:
            ratio = ms["latte"] / ms["torch"]
            verdict = "" if target is None else (
                f"<= {target:g}x " + ("ok" if ratio <= target else "MISSED"))
            ok &= target is None or ratio <= target
            line += f"{ms['torch']:>11.3f}{ratio:>8.2f}  {verdict}"
        print(line, flush=True)
    return ok


def run_tests() -> bool:
    """The device tests on real CuPy; True when they pass."""
    import importlib.util
    if importlib.util.find_spec("pytest") is None:
        print("pytest is not installed here: the device tests did not run")
        return False
    env = dict(os.environ, LATTE_TEST_DEVICE="cupy")
    cmd = [sys.executable, "-m", "pytest", "tests/device", "-q", "-p", "no:cacheprovider",
           "-rs"]
    print("$ LATTE_TEST_DEVICE=cupy " + " ".join(cmd[1:]), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode == 0


def _environment() -> None:
    gpu = backend.cuda_backend()
    print(f"latte device: {gpu.name}, {latte.cuda.device_count()} GPU(s), "
          f"{latte.cuda.get_device_name(0)}")
    if gpu.name == "cupy":
        print(f"cupy {gpu.xp.__version__}")
    try:
        import torch
        print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}")
    except ImportError:
        print("torch not installed: no PyTorch comparison")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--standin", action="store_true",
                        help="time on the tests' stand-in GPU (smoke test; no pytest run)")
    parser.add_argument("--no-tests", action="store_true", help="skip the device tests")
    parser.add_argument("--no-bench", action="store_true", help="skip the timings")
    parser.add_argument("--only", nargs="*", choices=sorted(MODELS), help="models to time")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=15, help="timed samples (median)")
    parser.add_argument("--steps", type=int, default=5, help="steps per timed sample")
    args = parser.parse_args(argv)

    if args.standin:
        sys.path.insert(0, os.path.join(ROOT, "tests", "device"))
        from standin import StandinBackend
        backend.set_cuda_backend(StandinBackend())
        args.no_tests = True
    elif backend.cuda_backend() is None:
        print(f"No GPU to check: {backend._cuda_problem}. Nothing was run. On a machine with "
              "an NVIDIA GPU: pip install -e '.[cuda13]' (or '.[cuda12]') and PyTorch with "
              "CUDA, then run this script again.")
        return 0
    _environment()
    ok = True
    if not args.no_tests:
        ok &= run_tests()
    if not args.no_bench:
        ok &= run_benchmarks(args)
    if args.standin:
        print("(stand-in run: the numbers above measure NumPy, not a GPU)")
        return 0
    print("\nGPU check " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
