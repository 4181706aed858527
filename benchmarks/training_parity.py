"""Training parity with PyTorch, step by step, in float32 (``make parity``).

Latte's model and a PyTorch twin start from the same weights (Latte's init copied into the twin)
and see the same batches. PyTorch runs twice, the second time with the samples of every batch in
reverse order: the same arithmetic up to rounding, so the difference of its two loss curves is
PyTorch's own float32 spread, the band Latte's curve is held to.

    python benchmarks/training_parity.py            # one MNIST epoch per model, both accuracies
    python benchmarks/training_parity.py --steps 50 # the first 50 steps only (and the test set)

Needs the MNIST files in ../shared/data/mnist (relative to the repository root, or
``--data``); without them it says so and exits 0. The helpers here are shared with
``tests/train/test_training_parity.py``.
"""
from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path

import numpy as np

import latte
from latte import nn
from latte.vision import models

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "latte" / "vision" / "data" / "mnist_sample"
MODELS = ("mlp", "lenet", "resnet")


# --- data ---------------------------------------------------------------------------------------
def load_mnist(folder: Path, train: bool = True) -> tuple:
    """Images ``(N, 1, 28, 28)`` float32, normalised as usual, and labels ``(N,)`` int64."""
    prefix = "train" if train else "t10k"
    with gzip.open(folder / f"{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(folder / f"{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    x = ((images.astype(np.float32) / 255.0 - 0.1307) / 0.3081).astype(np.float32)
    return x, labels


def batches(x: np.ndarray, y: np.ndarray, size: int, steps: int | None = None,
            seed: int = 0) -> list:
    """One shuffled epoch (or its first ``steps`` batches) of ``(x, y)`` pairs."""
    order = np.random.default_rng(seed).permutation(len(x))
    out = []
    for start in range(0, len(x) - size + 1, size):
        idx = order[start:start + size]
        out.append((x[idx], y[idx]))
        if steps is not None and len(out) == steps:
            break
    return out


# --- the models and their twins -----------------------------------------------------------------
def latte_model(name: str) -> nn.Module:
    """A freshly initialised Latte model (seeded): ``mlp``, ``lenet`` or ``resnet``."""
    latte.manual_seed(0)
    if name == "mlp":
        return models.MLP(784, hidden_sizes=(256, 128), num_classes=10)
    if name == "lenet":
        return models.LeNet()
    return models.MNISTResNet()


def torch_twin(name: str, lmodel: nn.Module, dtype: object = None) -> object:
    """The PyTorch definition of the same model, holding ``lmodel``'s weights and buffers."""
    import torch
    tnn = torch.nn

    class Basic(tnn.Module):
        def __init__(self, inp: int, planes: int, stride: int = 1) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(inp, planes, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inp != planes:
                self.downsample = tnn.Sequential(tnn.Conv2d(inp, planes, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(planes))

        def forward(self, x: object) -> object:
            idt = x if self.downsample is None else self.downsample(x)
            out = torch.relu(self.bn1(self.conv1(x)))
            return torch.relu(self.bn2(self.conv2(out)) + idt)

    class ResNet(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 16, 3, 1, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(16)
            self.layer1 = tnn.Sequential(Basic(16, 16), Basic(16, 16))
            self.layer2 = tnn.Sequential(Basic(16, 32, 2), Basic(32, 32))
            self.layer3 = tnn.Sequential(Basic(32, 64, 2), Basic(64, 64))
            self.fc = tnn.Linear(64, 10)

        def forward(self, x: object) -> object:
            x = torch.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(x.mean((2, 3)))

    class MLP(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = tnn.Sequential(tnn.Flatten(), tnn.Linear(784, 256), tnn.ReLU(),
                                         tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))

        def forward(self, x: object) -> object:
            return self.layers(x)

    class LeNet(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = tnn.Sequential(
                tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2))
            self.classifier = tnn.Sequential(tnn.Flatten(), tnn.Linear(3136, 128), tnn.ReLU(),
                                             tnn.Identity(), tnn.Linear(128, 10))

        def forward(self, x: object) -> object:
            return self.classifier(self.features(x))

    tmodel = {"mlp": MLP, "lenet": LeNet, "resnet": ResNet}[name]()
    state = {k: torch.tensor(v.numpy()) for k, v in lmodel.state_dict().items()}
    tmodel.load_state_dict(state)
    return tmodel.to(dtype) if dtype is not None else tmodel


def optimizer(lib: object, name: str, params: object) -> object:
    """Adam (lr 1e-3) for the MLP and LeNet, SGD (lr 0.1, momentum 0.9) for the ResNet."""
    if name == "resnet":
        return lib.optim.SGD(params, lr=0.1, momentum=0.9)
    return lib.optim.Adam(params, lr=1e-3)


# --- runs ---------------------------------------------------------------------------------------
def train_losses(lib: object, name: str, model: object, data: list, reverse: bool = False,
                 dtype: object = None) -> list:
    """The loss of every step of training ``model`` on ``data`` (float32 unless ``dtype``);
    ``reverse`` hands every batch's samples in reverse order."""
    opt = optimizer(lib, name, model.parameters())
    dtype = dtype or lib.float32
    model.train()
    losses = []
    for x, y in data:
        if reverse:
            x, y = x[::-1].copy(), y[::-1].copy()
        opt.zero_grad()
        xt = lib.tensor(x, dtype=dtype)
        loss = lib.nn.functional.cross_entropy(model(xt), lib.tensor(y))
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return losses


def test_accuracy(lib: object, model: object, x: np.ndarray, y: np.ndarray,
                  size: int = 1000) -> float:
    """The fraction of ``x`` classified as ``y`` (eval mode, no gradients)."""
    model.eval()
    correct = 0
    with lib.no_grad():
        for start in range(0, len(x), size):
            logits = model(lib.tensor(x[start:start + size]))
            correct += int((logits.argmax(1).numpy() == y[start:start + size]).sum())
    return correct / len(x)


def curves(name: str, data: list) -> dict:
    """Loss curves of Latte, PyTorch, and PyTorch with every batch reversed."""
    import torch
    lmodel = latte_model(name)
    out = {"torch": train_losses(torch, name, torch_twin(name, lmodel), data),
           "torch_reversed": train_losses(torch, name, torch_twin(name, lmodel), data, True)}
    out["latte"] = train_losses(latte, name, lmodel, data)
    return out


def band_check(c: dict, factor: float = 4.0, floor: float = 1e-6) -> tuple:
    """Latte's largest distance to PyTorch's curve over the run, and the band it must stay in:
    ``factor`` times the largest distance between PyTorch's two runs, plus ``floor`` times the
    loss. Float32 training from one start diverges chaotically (a rounding difference grows
    step by step), so single steps of two runs differ by noisy amounts; their largest distances
    over a run are what is compared."""
    spread = float(np.max(np.abs(np.subtract(c["torch"], c["torch_reversed"]))))
    diff = float(np.max(np.abs(np.subtract(c["latte"], c["torch"]))))
    return diff, factor * spread + floor * float(np.max(np.abs(c["torch"])))


def one_step_error(name: str, x: np.ndarray, y: np.ndarray) -> dict:
    """After one training step from the same weights on batch ``(x, y)``: each framework's
    float32 parameters against PyTorch's float64 ones, relative to the update, the worst over the
    parameter tensors: ``max_p |p32 - p64| / |p64 - p0|``."""
    import torch
    lmodel = latte_model(name)
    start = {k: v.numpy().astype(np.float64) for k, v in lmodel.state_dict().items()}
    t64 = torch_twin(name, lmodel, torch.float64)
    t32 = torch_twin(name, lmodel)
    train_losses(torch, name, t64, [(x.astype(np.float64), y)], dtype=torch.float64)
    train_losses(torch, name, t32, [(x, y)])
    train_losses(latte, name, lmodel, [(x, y)])
    ref = {k: v.detach().numpy() for k, v in t64.named_parameters()}
    out = {}
    for tag, params in (("latte", {k: v.detach().numpy() for k, v in lmodel.named_parameters()}),
                        ("torch", {k: v.detach().numpy() for k, v in t32.named_parameters()})):
        errs = {k: np.linalg.norm(params[k] - ref[k]) / np.linalg.norm(ref[k] - start[k])
                for k in ref if np.linalg.norm(ref[k] - start[k]) > 0}
        worst = max(errs, key=errs.get)
        out[tag] = (float(errs[worst]), worst)
    return out


# --- the report ---------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "mnist")
    parser.add_argument("--steps", type=int, default=None, help="stop after this many steps")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--no-float64", action="store_true",
                        help="skip the PyTorch float64 run (the float32-vs-float64 distance)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: nothing to compare with")
        return 0
    if not (args.data / "train-images-idx3-ubyte.gz").exists():
        print(f"no MNIST in {args.data}: skipped (put the four IDX files there)")
        return 0
    x, y = load_mnist(args.data)
    xt, yt = load_mnist(args.data, train=False)
    data = batches(x, y, args.batch_size, args.steps)
    print(f"{len(data)} steps of batch {args.batch_size}, float32. Loss distances are the "
          f"largest over the run; the band is 4x PyTorch's reversed-batch spread.")
    print("| model | one-step param error latte | torch | max loss diff latte-torch | "
          "torch-reversed | torch32-torch64 | diff/band | test acc latte | torch | torch64 | "
          "time latte | torch |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models.split(","):
        err = one_step_error(name, *data[0])
        lmodel = latte_model(name)
        tmodel, rmodel = torch_twin(name, lmodel), torch_twin(name, lmodel)
        begin = time.perf_counter()
        lt = train_losses(latte, name, lmodel, data)
        t_latte = time.perf_counter() - begin
        begin = time.perf_counter()
        tt = train_losses(torch, name, tmodel, data)
        t_torch = time.perf_counter() - begin
        tr = train_losses(torch, name, rmodel, data, reverse=True)
        dist64, acc64 = float("nan"), float("nan")
        if not args.no_float64:  # how far float32 rounding alone moves PyTorch's own curve
            model64 = torch_twin(name, latte_model(name), torch.float64)  # the same start
            t64 = train_losses(torch, name, model64, [(a.astype(np.float64), b) for a, b in data],
                               dtype=torch.float64)
            dist64 = float(np.max(np.abs(np.subtract(tt, t64))))
            acc64 = test_accuracy(torch, model64, xt.astype(np.float64), yt)
        diff, band = band_check({"latte": lt, "torch": tt, "torch_reversed": tr})
        spread = float(np.max(np.abs(np.subtract(tt, tr))))
        acc_l = test_accuracy(latte, lmodel, xt, yt)
        acc_t = test_accuracy(torch, tmodel, xt, yt)
        print(f"| {name} | {err['latte'][0]:.1e} | {err['torch'][0]:.1e} | {diff:.1e} | "
              f"{spread:.1e} | {dist64:.1e} | {diff / band:.2f} | {acc_l:.2%} | {acc_t:.2%} | "
              f"{acc64:.2%} | {t_latte:.0f}s | {t_torch:.0f}s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
