"""Latte's layers and small CNN training steps against PyTorch (CPU) and Chainer 7.8, same run.

Each figure is the median of ``--rounds`` interleaved rounds (round r runs latte, torch, chainer
one after the other, so a busy machine slows all three alike):

  (a) Conv2d(32->64, 3x3, pad 1) on 64x32x14x14, forward + backward   target: latte <= 2x torch
  (b) MaxPool2d(2) on 64x32x28x28, forward + backward
  (c) BatchNorm2d(64) on 64x64x14x14 (training mode), forward + backward
  (d) one training step of a LeNet-style CNN, batch 64 (conv 1->32, pool, conv 32->64, pool,
      linear 3136->128->10; cross-entropy; SGD momentum)              target: latte <= 2x torch
  (e) one training step of an MNIST ResNet (174,970 parameters), batch 64
                                                                      target: latte <= 3x torch
  (f) memory of a LeNet training loop: peak RSS minus RSS after the imports, each framework in
      its own fresh process                                           target: latte <= 2x torch

    python benchmarks/bench_nn.py            # the full run (a few minutes)
    python benchmarks/bench_nn.py --quick    # a smoke run
    python benchmarks/bench_nn.py --profile  # cProfile of latte's LeNet and ResNet steps
    python benchmarks/bench_nn.py --threads 1  # every library on one thread (a busy machine)

Every framework starts from the same weights and data (drawn with NumPy). Frameworks or layers
that are missing are skipped with a note.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_core as core  # noqa: E402  (shared helpers: timing, reports, Chainer shims)

BATCH = 64
LR, MOMENTUM = 0.01, 0.9
RESNET_PARAMETERS = 174_970


def import_framework(name: str) -> Any:
    """As ``bench_core.import_framework``, with ``latte.nn`` and ``latte.optim`` loaded."""
    module = core.import_framework(name)
    if name == "latte" and not isinstance(module, str):
        import latte.nn  # noqa: F401
        import latte.optim  # noqa: F401
    return module


# --- models (Latte and PyTorch share the code: the same API) ------------------------------------
def lenet(nn: Any) -> Any:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def resnet(nn: Any) -> Any:
    """conv3x3 1->16 + BN + ReLU; 2 basic blocks each of 16, 32 (stride 2), 64 (stride 2)
    channels; global average pool; linear 64->10."""

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                              nn.BatchNorm2d(cout))

        def forward(self, x: Any) -> Any:
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + self.shortcut(x))

    layers = [nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def shared_state(build: Callable[[Any], Any]) -> dict:
    """The model's initial state as NumPy arrays, drawn once by PyTorch's initialisers."""
    import torch
    torch.manual_seed(0)
    return {k: v.detach().numpy().copy() for k, v in build(torch.nn).state_dict().items()}


def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, BATCH)


# --- training steps ------------------------------------------------------------------------------
def train_step(name: str, build: Callable[[Any], Any], state: dict) -> Callable[[], float]:
    """A function doing one forward, cross-entropy, backward and SGD-momentum update."""
    x_np, y_np = batch()
    if name == "chainer":
        return _chainer_step(build, state, x_np, y_np)
    mod = import_framework(name)
    model = build(mod.nn)
    model.load_state_dict({k: mod.tensor(v) for k, v in state.items()})
    model.train()
    opt = mod.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    x, y = mod.tensor(x_np), mod.tensor(y_np)
    loss_fn = mod.nn.CrossEntropyLoss()

    def step() -> float:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _chainer_step(build: Callable, state: dict, x_np: np.ndarray,
                  y_np: np.ndarray) -> Callable[[], float]:
    import chainer
    import chainer.functions as F
    model = _chainer_lenet(state) if build is lenet else _chainer_resnet(state)
    opt = chainer.optimizers.MomentumSGD(lr=LR, momentum=MOMENTUM)
    opt.setup(model)
    target = y_np.astype(np.int32)

    def step() -> float:
        loss = F.softmax_cross_entropy(model(x_np), target)
        model.cleargrads()
        loss.backward()
        opt.update()
        return float(loss.array)
    return step


def _chainer_lenet(state: dict) -> Any:
    import chainer
    import chainer.functions as F
    import chainer.links as L

    class LeNet(chainer.Chain):
        def __init__(self) -> None:
            super().__init__()
            with self.init_scope():
                self.c1 = L.Convolution2D(1, 32, 3, pad=1)
                self.c2 = L.Convolution2D(32, 64, 3, pad=1)
                self.f1 = L.Linear(3136, 128)
                self.f2 = L.Linear(128, 10)

        def forward(self, x: Any) -> Any:
            h = F.max_pooling_2d(F.relu(self.c1(x)), 2)
            h = F.max_pooling_2d(F.relu(self.c2(h)), 2)
            return self.f2(F.relu(self.f1(h)))

    model = LeNet()
    for link, key in ((model.c1, "0"), (model.c2, "3"), (model.f1, "7"), (model.f2, "9")):
        link.W.array[...] = state[f"{key}.weight"]
        link.b.array[...] = state[f"{key}.bias"]
    return model


def _chainer_resnet(state: dict) -> Any:
    import chainer
    import chainer.functions as F
    import chainer.links as L

    def conv(cin: int, cout: int, k: int, stride: int) -> Any:
        return L.Convolution2D(cin, cout, k, stride, k // 2, nobias=True)

    class Block(chainer.Chain):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.project = stride != 1 or cin != cout
            with self.init_scope():
                self.conv1, self.bn1 = conv(cin, cout, 3, stride), L.BatchNormalization(cout)
                self.conv2, self.bn2 = conv(cout, cout, 3, 1), L.BatchNormalization(cout)
                if self.project:
                    self.convs, self.bns = conv(cin, cout, 1, stride), L.BatchNormalization(cout)

        def forward(self, x: Any) -> Any:
            h = F.relu(self.bn1(self.conv1(x)))
            s = self.bns(self.convs(x)) if self.project else x
            return F.relu(self.bn2(self.conv2(h)) + s)

    class ResNet(chainer.Chain):
        def __init__(self) -> None:
            super().__init__()
            with self.init_scope():
                self.conv, self.bn = conv(1, 16, 3, 1), L.BatchNormalization(16)
                self.blocks = chainer.ChainList(*[
                    Block(cin, cout, stride) for cin, cout, stride in
                    ((16, 16, 1), (16, 16, 1), (16, 32, 2), (32, 32, 1), (32, 64, 2),
                     (64, 64, 1))])
                self.fc = L.Linear(64, 10)

        def forward(self, x: Any) -> Any:
            h = F.relu(self.bn(self.conv(x)))
            for block in self.blocks:
                h = block(h)
            return self.fc(F.average(h, axis=(2, 3)))

    return ResNet()  # Chainer's own initial weights: the step's time does not depend on them


# --- single layers ------------------------------------------------------------------------------
def layer_step(name: str, layer: str) -> Callable[[], None]:
    """Forward + backward of one layer on a fixed input, with a fixed output gradient."""
    rng = np.random.default_rng(0)
    shape = {"conv": (BATCH, 32, 14, 14), "pool": (BATCH, 32, 28, 28),
             "bn": (BATCH, 64, 14, 14)}[layer]
    x_np = rng.standard_normal(shape, dtype=np.float32)
    if name == "chainer":
        import chainer
        import chainer.functions as F
        import chainer.links as L
        link = {"conv": lambda: L.Convolution2D(32, 64, 3, pad=1),
                "pool": lambda: (lambda h: F.max_pooling_2d(h, 2)),
                "bn": lambda: L.BatchNormalization(64)}[layer]()

        def run() -> None:
            x = chainer.Variable(x_np)
            y = link(x)
            y.grad = np.ones_like(y.array)
            y.backward()
        return run
    mod = import_framework(name)
    nn = mod.nn
    module = {"conv": lambda: nn.Conv2d(32, 64, 3, padding=1), "pool": lambda: nn.MaxPool2d(2),
              "bn": lambda: nn.BatchNorm2d(64)}[layer]()
    x = mod.tensor(x_np).requires_grad_()
    grad = None

    def run() -> None:
        nonlocal grad
        y = module(x)
        if grad is None:
            grad = mod.ones(tuple(y.shape))
        y.backward(grad)
    return run


# --- memory: a fresh process per framework -------------------------------------------------------
def memory_child(name: str, steps: int) -> None:
    """Run ``steps`` LeNet steps; print peak RSS minus the RSS after the imports, in bytes."""
    module = import_framework(name)
    if isinstance(module, str):
        raise SystemExit(module)
    state = shared_state(lenet)
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS, see bench_core.memory_child
    except OSError:
        pass
    baseline = core._status_bytes("VmRSS")
    step = train_step(name, lenet, state)
    for _ in range(steps):
        step()
    print(json.dumps({"growth": core._status_bytes("VmHWM") - baseline}))


def memory_growth(name: str, steps: int) -> float:
    out = subprocess.run([sys.executable, __file__, "--memory-child", name, "--steps", str(steps)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["growth"]


def limit_threads(n: int) -> None:
    """Run NumPy's BLAS, Latte's own pool and PyTorch on ``n`` threads: on a shared machine,
    spinning thread pools make multi-threaded timings swing far more than single-threaded
    ones."""
    import torch

    import latte
    torch.set_num_threads(n)
    latte.set_num_threads(n)  # its elementwise passes and convolution chunks
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise SystemExit("--threads needs threadpoolctl (pip install threadpoolctl)") from None
    threadpool_limits(n)


def profile_latte(steps: int) -> None:
    import cProfile
    import pstats
    for title, build in (("LeNet", lenet), ("ResNet", resnet)):
        step = train_step("latte", build, shared_state(build))
        step()
        profiler = cProfile.Profile()
        profiler.runcall(lambda run=step: [run() for _ in range(steps)])
        print(f"\n=== latte, {steps} {title} steps: top functions by own time ===")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for BLAS and PyTorch (default: each library's own)")
    parser.add_argument("--profile", action="store_true", help="cProfile latte's CNN steps")
    parser.add_argument("--memory-child", choices=core.FRAMEWORKS, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=50, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.steps)
        return
    if args.profile:
        profile_latte(10)
        return
    if args.threads:
        limit_threads(args.threads)
    rounds = args.rounds or (2 if args.quick else 5)
    repeat, mem_steps = (1, 5) if args.quick else (5, 50)

    available = {n: import_framework(n) for n in core.FRAMEWORKS}
    core.print_header(available)
    names = [n for n in core.FRAMEWORKS if not isinstance(available[n], str)]
    if "torch" not in names:
        raise SystemExit("bench_nn needs PyTorch: it draws the shared initial weights")
    import torch
    count = sum(p.numel() for p in resnet(torch.nn).parameters())
    assert count == RESNET_PARAMETERS, f"the MNIST ResNet has {count} parameters"
    print(f"\nmedians of {rounds} interleaved rounds")

    def run(title: str, unit_scale: float, make: Callable[[str], Callable], target: str,
            needs: str | None = None) -> None:
        ok = [n for n in names if needs is None or n != "latte" or hasattr(available[n].nn, needs)]
        skipped = sorted(set(names) - set(ok))
        fns = {n: make(n) for n in ok}
        for fn in fns.values():
            fn()
            fn()  # warm-up: lazy imports, caches, the optimizer's first-step state
        values = core.measure(ok, rounds, lambda n: core.time_call(fns[n], repeat))
        core.report(title + (f" (skipped: {', '.join(skipped)})" if skipped else ""), "ms",
                    unit_scale, values, "torch", target)

    run("(a) Conv2d(32->64, 3x3, pad 1), 64x32x14x14, forward + backward", 1e3,
        lambda n: layer_step(n, "conv"), "latte <= 2x torch")
    run("(b) MaxPool2d(2), 64x32x28x28, forward + backward", 1e3,
        lambda n: layer_step(n, "pool"), "as fast as possible")
    run("(c) BatchNorm2d(64), 64x64x14x14, forward + backward", 1e3,
        lambda n: layer_step(n, "bn"), "as fast as possible", needs="BatchNorm2d")
    lenet_state = shared_state(lenet)
    run("(d) LeNet training step, batch 64", 1e3,
        lambda n: train_step(n, lenet, lenet_state), "latte <= 2x torch")
    resnet_state = shared_state(resnet)
    run(f"(e) MNIST ResNet ({RESNET_PARAMETERS:,} parameters) training step, batch 64", 1e3,
        lambda n: train_step(n, resnet, resnet_state), "latte <= 3x torch", needs="BatchNorm2d")

    if not Path("/proc/self/status").exists():
        print("\n(f) memory: skipped, it reads /proc/self/status (Linux only)")
        return
    values = core.measure(names, rounds, lambda n: memory_growth(n, mem_steps))
    core.report(f"(f) memory: peak RSS minus RSS after imports, {mem_steps} LeNet steps in a "
                f"fresh process", "MiB", 1 / 2**20, values, "torch", "latte <= 2x torch")


if __name__ == "__main__":
    main()
