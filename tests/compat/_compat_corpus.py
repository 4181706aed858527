"""The compatibility corpus: each script runs under Latte's runner and, when torch is installed,
under real PyTorch from the same initial weights; the numbers they dump are compared.

Used by ``tests/compat/test_corpus.py`` and ``tools/compat_report.py``.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"
SHIM = HERE / "torchvision_shim"
REPO = HERE.parents[1]
SHARED_MNIST = REPO / ".." / "shared" / "data" / "mnist"
TOLERANCE = 2e-3  # relative difference allowed after a few float32 training steps


@dataclass
class Case:
    script: str
    args: list[str] = field(default_factory=list)
    needs_mnist: bool = False
    compare: bool = True  # False where the script's numbers depend on the random stream


CORPUS = [
    Case("mnist_cnn.py", ["--epochs", "1", "--max-batches", "2", "--batch-size", "32",
                          "--test-batch-size", "100"], needs_mnist=True),
    Case("quickstart_fashion.py", ["--fake-data", "--epochs", "1", "--max-batches", "3"]),
    Case("cifar10_tutorial.py", ["--epochs", "1", "--max-batches", "4"]),
    Case("custom_function.py", ["--steps", "30"]),
    Case("polynomial_autograd.py", ["--steps", "50"]),
    Case("register_buffer.py", []),
    Case("checkpoint_early_stop.py", ["--epochs", "4"]),
    Case("transfer_state_dict.py", []),
    Case("resnet_bn.py", ["--max-batches", "2"]),
    Case("mlp_regression.py", ["--epochs", "6"]),
    Case("embedding_bag.py", ["--epochs", "3"]),
    Case("compile_autocast.py", ["--steps", "5"]),
    Case("custom_dataset.py", ["--max-batches", "3"]),
    Case("word_language_model.py", ["--epochs", "2"]),
    Case("time_sequence_prediction.py", ["--steps", "3"]),
    Case("super_resolution.py", ["--epochs", "3"]),
    Case("reinforce.py", ["--episodes", "5", "--numpy-sampling"]),
    Case("dcgan.py", ["--steps", "3"]),
    Case("mnist_rnn.py", ["--epochs", "2", "--max-batches", "4"]),
    Case("vision_transformer.py", ["--epochs", "2"]),
    Case("vae_mnist.py", ["--epochs", "1", "--max-batches", "2"], needs_mnist=True,
         compare=False),  # reparameterize draws torch.randn_like
    Case("imagenet_fakedata.py", ["--epochs", "2", "-b", "8", "--lr", "0.001"]),
    # the racing updates differ from run to run: only the (full) test accuracy is compared
    Case("hogwild.py", ["--epochs", "3", "--num-processes", "2"]),
    Case("forward_forward.py", []),
    # one process here; tests/distributed/test_torchrun.py runs it on two
    Case("ddp_torchrun.py", ["--epochs", "2"]),
    Case("gcn_sparse.py", ["--epochs", "20"]),
]


def make_data_root(root: Path) -> Path:
    """Fake CIFAR-10 batches (torchvision layout) and links to the shared MNIST files."""
    cifar = root / "cifar-10-batches-py"
    cifar.mkdir(parents=True, exist_ok=True)
    rng = np.random.RandomState(0)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.randint(0, 256, (16, 3072), dtype=np.uint8),
                 "labels": [int(v) for v in rng.randint(0, 10, 16)]}
        with open(cifar / name, "wb") as fh:
            pickle.dump(batch, fh)
    names = ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    with open(cifar / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": names}, fh)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    if SHARED_MNIST.is_dir():
        for f in SHARED_MNIST.glob("*.gz"):
            if not (raw / f.name).exists():
                os.symlink(f.resolve(), raw / f.name)
    return root


def mnist_available(root: Path) -> bool:
    raw = root / "MNIST" / "raw"
    return len([f for f in raw.glob("*.gz") if f.exists()]) == 4 and _gz_ok(raw)


def _gz_ok(raw: Path) -> bool:
    try:
        with gzip.open(next(raw.glob("t10k-labels*.gz")), "rb") as fh:
            return len(fh.read(8)) == 8
    except (OSError, StopIteration):
        return False


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _run(cmd: list[str], cwd: Path, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, **env_extra)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def run_case(case: Case, workdir: Path, with_torch: bool) -> dict:
    """Run one script under Latte (and PyTorch); returns ok flags, max difference and logs."""
    workdir.mkdir(parents=True, exist_ok=True)
    data = str(workdir.parent / "data")
    init, dump_l, dump_t = workdir / "init.pt", workdir / "latte.json", workdir / "torch.json"
    common = [*case.args, "--data-root", data, "--no-shuffle", "--no-dropout"]
    script = str(SCRIPTS / case.script)
    res = _run([sys.executable, "-m", "latte.compat", script, *common, "--save-init", str(init),
                "--dump", str(dump_l)], workdir, {"PYTHONPATH": str(REPO)})
    out = {"script": case.script, "latte_ok": res.returncode == 0, "latte_log": res.stderr,
           "torch_ok": None, "max_diff": None}
    if not out["latte_ok"] or not with_torch or not case.compare:
        return out
    init_args = ["--init", str(init)] if init.exists() else []
    res_t = _run([sys.executable, script, *common, *init_args, "--dump", str(dump_t)], workdir,
                 {"PYTHONPATH": str(SHIM)})
    out["torch_ok"], out["torch_log"] = res_t.returncode == 0, res_t.stderr
    if out["torch_ok"]:
        out["max_diff"], out["where"] = compare(json.loads(dump_l.read_text()),
                                                json.loads(dump_t.read_text()))
    return out


def _flatten(obj: object, prefix: str = "") -> dict[str, float]:
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) \
        else None
    if items is None:
        return {prefix.rstrip("."): float(obj)}
    return {k: v for key, val in items for k, v in _flatten(val, f"{prefix}{key}.").items()}


def compare(latte_dump: dict, torch_dump: dict) -> tuple[float, str]:
    """The largest relative difference ``|a - b| / max(1, |b|)`` and the number it is at."""
    a, b = _flatten(latte_dump), _flatten(torch_dump)
    if a.keys() != b.keys():
        missing = sorted(set(a) ^ set(b))[:5]
        raise AssertionError(f"Latte and PyTorch dumped different numbers: {missing}")
    if not a:
        raise AssertionError("the script dumped no numbers to compare")
    diffs = {k: abs(a[k] - b[k]) / max(1.0, abs(b[k])) for k in a}
    worst = max(diffs, key=diffs.get)
    return diffs[worst], worst
