"""Convolutional training steps, Latte against PyTorch (CPU) in the same run: time and memory.

One training step is forward, cross-entropy, backward and the optimizer's update, on a fixed
random batch. Five models (issue 14's table):

  lenet     conv 1->32, pool, conv 32->64, pool, fc 3136->128->10; MNIST 1x28x28, batch 64, Adam
  mnist_resnet  the zoo's ``mnist_resnet`` (16/32/64 channels, BatchNorm), batch 64, SGD
  resnet18  the zoo's ResNet-18 with the CIFAR stem, 3x32x32, batch 128, SGD
  c5l3      the zoo's C5L3 on CIFAR 3x32x32, batch 128, Adam
  vgg_bn    conv3x3 64, 128, 256, each with BatchNorm + ReLU + 2x2 max pool, fc 4096->10;
            CIFAR 3x32x32, batch 256, SGD

Latte runs its zoo models, PyTorch a twin defined here with the same layers and state_dict keys
(Latte loads the twin's initial weights, so both start from the same point). Each time is the
median of ``--rounds`` interleaved rounds (round r runs latte, then torch), each step timed
after 0.15 s of untimed ones of the same framework (``bench_core.settled_time``); the ratio is
Latte/PyTorch. Memory is the peak RSS growth over ``--mem-steps`` steps above the RSS once model,
optimizer and batch exist, each framework and model in a fresh process (``bench_core``'s VmHWM
reading).

    python benchmarks/bench_conv_step.py                     # every model (several minutes)
    python benchmarks/bench_conv_step.py --quick             # tiny batches, a smoke run
    python benchmarks/bench_conv_step.py --only lenet --threads 1
    python benchmarks/bench_conv_step.py --profile lenet     # time per op kind, fwd and bwd
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
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core as core  # noqa: E402  (timing, reports, VmHWM reading)
import bench_nn  # noqa: E402  (framework import with nn/optim, thread limits)

NAMES = ("latte", "torch")


# --- PyTorch twins (written against the shared API: they build Latte models too) -------------
def _basic_block(nn: Any, cin: int, cout: int, stride: int) -> Any:
    """torchvision's BasicBlock, with the zoo's attribute names."""

    class BasicBlock(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x: Any) -> Any:
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += identity
            return self.relu(out)

    return BasicBlock()


def _resnet(nn: Any, cin: int, widths: tuple, stem: int) -> Any:
    """Stem conv3x3 + BN + ReLU, two basic blocks per width (stride 2 after the first stage),
    global average pool, fc: the zoo's MNISTResNet and CIFAR ResNet-18 layouts."""

    class ResNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, stem, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(stem)
            self.relu = nn.ReLU(inplace=True)
            planes = stem
            for i, width in enumerate(widths):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", nn.Sequential(
                    _basic_block(nn, planes, width, stride), _basic_block(nn, width, width, 1)))
                planes = width
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(planes, 10)
            self.layers = len(widths)

        def forward(self, x: Any) -> Any:
            x = self.relu(self.bn1(self.conv1(x)))
            for i in range(self.layers):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(self.avgpool(x).flatten(1))

    return ResNet()


def lenet(nn: Any) -> Any:
    return bench_nn.lenet(nn)


def mnist_resnet_twin(nn: Any) -> Any:
    return _resnet(nn, 1, (16, 32, 64), 16)


def resnet18_twin(nn: Any) -> Any:
    return _resnet(nn, 3, (64, 128, 256, 512), 64)


def c5l3_twin(nn: Any) -> Any:
    """The zoo's C5L3 (no BatchNorm): the same Sequential indices, so the same keys."""
    layers: list = []
    cin = 3
    for i, width in enumerate((128, 256, 512, 512, 256)):
        layers += [nn.Conv2d(cin, width, 3, padding=1), nn.ReLU(inplace=True)]
        if i in (0, 1, 4):
            layers += [nn.MaxPool2d(2), nn.Dropout(0.3)]
        cin = width
    head: list = [nn.Flatten()]
    for fan_in, fan_out in ((4096, 512), (512, 256), (256, 128)):
        head += [nn.Linear(fan_in, fan_out), nn.ReLU(inplace=True), nn.Dropout(0.5)]
    head.append(nn.Linear(128, 10))

    class C5L3(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.classifier = nn.Sequential(*head)

        def forward(self, x: Any) -> Any:
            return self.classifier(self.features(x))

    return C5L3()


def vgg_bn(nn: Any) -> Any:
    layers: list = []
    cin = 3
    for width in (64, 128, 256):
        layers += [nn.Conv2d(cin, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                   nn.ReLU(inplace=True), nn.MaxPool2d(2)]
        cin = width
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(256 * 4 * 4, 10))


def _zoo(name: str) -> Callable[[Any], Any]:
    def build(nn: Any) -> Any:
        from latte.vision import models
        if name == "resnet18":
            return models.resnet18(num_classes=10, stem="cifar")
        return getattr(models, name)()
    return build


# name: (latte builder, torch builder, input shape, batch, optimizer)
MODELS = {
    "lenet": (lenet, lenet, (1, 28, 28), 64, "adam"),
    "mnist_resnet": (_zoo("mnist_resnet"), mnist_resnet_twin, (1, 28, 28), 64, "sgd"),
    "resnet18": (_zoo("resnet18"), resnet18_twin, (3, 32, 32), 128, "sgd"),
    "c5l3": (_zoo("c5l3"), c5l3_twin, (3, 32, 32), 128, "adam"),
    "vgg_bn": (vgg_bn, vgg_bn, (3, 32, 32), 256, "sgd"),
}
MEMORY_MODELS = ("lenet", "mnist_resnet", "resnet18")


def make_step(name: str, model_name: str, quick: bool) -> tuple[Callable[[], float], dict]:
    """A training-step closure for framework ``name``, and the phases' hooks for profiling."""
    build_latte, build_torch, shape, batch, optim = MODELS[model_name]
    if quick:
        batch = 4
    import torch
    torch.manual_seed(0)
    state = {k: v.detach().numpy().copy() for k, v in build_torch(torch.nn).state_dict().items()}
    mod = bench_nn.import_framework(name)
    model = (build_latte if name == "latte" else build_torch)(mod.nn)
    model.load_state_dict({k: mod.tensor(v) for k, v in state.items()})
    model.train()
    if optim == "adam":
        opt = mod.optim.Adam(model.parameters(), lr=1e-3)
    else:
        opt = mod.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = mod.tensor(rng.standard_normal((batch,) + shape, dtype=np.float32))
    y = mod.tensor(rng.integers(0, 10, batch))
    loss_fn = mod.nn.CrossEntropyLoss()
    phase = {"name": "forward"}

    def step() -> float:
        phase["name"] = "forward"
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        phase["name"] = "backward"
        loss.backward()
        phase["name"] = "optimizer"
        opt.step()
        phase["name"] = "other"
        return loss.item()
    return step, phase


# --- memory: one fresh process per framework and model ----------------------------------------
def memory_child(name: str, model_name: str, steps: int, quick: bool) -> None:
    """Print the peak RSS growth of ``steps`` steps above the RSS once everything exists."""
    core.load_runtime(name)
    step, _ = make_step(name, model_name, quick)
    growth = core.peak_growth(lambda: [step() for _ in range(steps)])
    print(json.dumps({"growth": growth}))


def memory_growth(name: str, model_name: str, steps: int, quick: bool,
                  threads: int | None) -> float:
    cmd = [sys.executable, __file__, "--memory-child", name, "--only", model_name,
           "--mem-steps", str(steps)] + (["--quick"] if quick else []) \
        + ([f"--threads={threads}"] if threads else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["growth"]


# --- profile: time per op class, forward and backward ----------------------------------------
def profile(model_name: str, steps: int, quick: bool) -> None:
    """Exclusive time of every Latte op's forward and backward, by the step's phase.

    An op's ``forward`` run while ``loss.backward()`` executes is backward work (a conv's input
    gradient is a ConvTranspose2d forward): it is listed under the backward phase. Times are
    exclusive: an op's backward excludes the ops it applies.
    """
    from latte.autograd.function import Op

    step, phase = make_step("latte", model_name, quick)
    times: dict = defaultdict(float)
    stack: list = [0.0]

    def wrap(cls: type, kind: str, fn: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                children = stack.pop()
                times[(phase["name"], f"{cls.__name__}.{kind}")] += elapsed - children
                stack[-1] += elapsed
        return timed

    def subclasses(cls: type) -> list:
        out = []
        for sub in cls.__subclasses__():
            out += [sub] + subclasses(sub)
        return out

    for cls in set(subclasses(Op)):
        for kind in ("forward", "backward"):
            if kind in cls.__dict__:
                setattr(cls, kind, wrap(cls, kind, cls.__dict__[kind]))
    step()
    step()
    times.clear()
    total = 0.0
    for _ in range(steps):
        start = time.perf_counter()
        step()
        total += time.perf_counter() - start
    per_step = total / steps
    in_ops = defaultdict(float)
    for (ph, _), value in times.items():
        in_ops[ph] += value
    print(f"\nlatte {model_name}: {per_step * 1e3:.1f} ms/step over {steps} steps "
          f"(op times exclusive; 'rest' is autograd bookkeeping, Python and the optimizer's "
          f"own loop)")
    print(f"  {'phase':9s} {'op':34s} {'ms':>8s} {'share':>7s}")
    rows = sorted(times.items(), key=lambda kv: -kv[1])
    for (ph, op), value in rows:
        share = value / total
        if share < 0.005:
            continue
        print(f"  {ph:9s} {op:34s} {value / steps * 1e3:8.2f} {share:7.1%}")
    rest = total - sum(in_ops.values())
    print(f"  {'':9s} {'rest (outside ops)':34s} {rest / steps * 1e3:8.2f} {rest / total:7.1%}")
    for ph in ("forward", "backward", "optimizer"):
        print(f"  {ph:9s} {'all ops':34s} {in_ops[ph] / steps * 1e3:8.2f} "
              f"{in_ops[ph] / total:7.1%}")


def limit_threads(n: int) -> None:
    """``bench_nn.limit_threads``; without threadpoolctl, restart with the BLAS variables set
    (NumPy reads them when it loads its BLAS, so they must be set before the import)."""
    try:
        bench_nn.limit_threads(n)
    except SystemExit:
        if os.environ.get("OPENBLAS_NUM_THREADS") != str(n):
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(n), OMP_NUM_THREADS=str(n),
                       MKL_NUM_THREADS=str(n), LATTE_NUM_THREADS=str(n))
            os.execve(sys.executable, [sys.executable] + sys.argv, env)
        import torch
        torch.set_num_threads(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="batch 4, 2 rounds: a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for NumPy's BLAS and PyTorch (default: their own)")
    parser.add_argument("--only", choices=tuple(MODELS), action="append",
                        help="run only this model (repeatable)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory figures")
    parser.add_argument("--mem-steps", type=int, default=4, help="steps in a memory run (4)")
    parser.add_argument("--profile", choices=tuple(MODELS), help="time per latte op kind")
    parser.add_argument("--memory-child", choices=NAMES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        limit_threads(args.threads)
    only = args.only or list(MODELS)
    if args.memory_child:
        memory_child(args.memory_child, only[0], args.mem_steps, args.quick)
        return
    if args.profile:
        profile(args.profile, 2 if args.quick else 5, args.quick)
        return

    rounds = args.rounds or (2 if args.quick else 5)
    available = {n: bench_nn.import_framework(n) for n in NAMES}
    core.print_header(available)
    if any(isinstance(m, str) for m in available.values()):
        raise SystemExit("bench_conv_step needs both latte and torch")
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; medians of {rounds} "
          f"interleaved rounds")
    gc.collect()
    gc.freeze()
    summary = []
    for model_name in only:
        steps = {n: make_step(n, model_name, args.quick)[0] for n in NAMES}
        for fn in steps.values():
            fn()
            fn()  # warm-up: lazy imports, caches, the optimizer's first-step state
        values = core.measure(list(NAMES), rounds,
                              lambda n, fns=steps: core.settled_time(fns[n], 1))
        steps.clear()  # free this model before the next
        _, _, shape, batch, optim = MODELS[model_name]
        core.report(f"{model_name}: {'x'.join(map(str, shape))}, batch "
                    f"{4 if args.quick else batch}, {optim}, one training step", "ms", 1e3,
                    values, "torch", "time ratio")
        row = [model_name, values["latte"] / values["torch"]]
        if not args.no_memory and model_name in MEMORY_MODELS and Path("/proc/self").exists():
            mem = {n: statistics.median(memory_growth(n, model_name, args.mem_steps, args.quick,
                                                      args.threads) for _ in range(1))
                   for n in NAMES}
            core.report(f"{model_name}: peak RSS growth over {args.mem_steps} steps", "MiB",
                        1 / 2**20, mem, "torch", "memory ratio")
            row.append(mem["latte"] / max(mem["torch"], 1))
        summary.append(row)
    print(f"\nsummary (latte/torch), load average now "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"  {'model':14s} {'time':>6s} {'memory':>7s}")
    for row in summary:
        mem = f"{row[2]:7.2f}" if len(row) > 2 else f"{'-':>7s}"
        print(f"  {row[0]:14s} {row[1]:6.2f} {mem}")


if __name__ == "__main__":
    main()
