"""One MLP training epoch over 60,000 MNIST images, data loading included: Latte against PyTorch.

The measured target of issue 6: the demo model of ``latte train`` (``MLP`` 784-256-128-10, ReLU,
no dropout), cross-entropy, Adam (lr 1e-3), batch 64 (the CLI's defaults), each framework
loading from a ``TensorDataset`` of preloaded, normalised float32 images ``(60000, 1, 28, 28)``
through its own ``DataLoader(shuffle=True)``. An epoch is: for every batch, ``zero_grad``,
forward, loss, backward, ``step`` and ``loss.item()``. Both models start from the same weights.
The figure is the median of ``--rounds`` interleaved rounds (round r runs one latte epoch, then
one torch epoch, so a busy machine slows both alike).        target: latte / torch <= 1.0

The images are the real MNIST training set when ``--data-dir`` (or ``$LATTE_DATA``) holds it,
else random data of the same shape and type; the script says which.

    python benchmarks/bench_train.py --data-dir ../shared/data        # 5 rounds
    python benchmarks/bench_train.py --rounds 7 --threads 1           # everything on 1 thread
    python benchmarks/bench_train.py --profile                        # cProfile of a latte epoch
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_train.py
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from typing import Any

import numpy as np
from bench_core import import_framework, print_header

N, BATCH, LR = 60_000, 64, 1e-3
SIZES = (784, 256, 128, 10)
MEAN, STD = 0.1307, 0.3081


def load_images(data_dir: str | None) -> tuple[np.ndarray, np.ndarray, str]:
    """Normalised images ``(60000, 1, 28, 28)`` float32, int64 labels, and where they came from."""
    from latte.vision import datasets
    root = data_dir or os.environ.get("LATTE_DATA")
    if root is not None:
        os.environ["LATTE_DATA"] = root  # where the data sets look besides root/MNIST/raw
        try:
            ds = datasets.MNIST(root, train=True)
            x = ds.data.numpy().astype(np.float32)[:, None] / 255.0
            return ((x - MEAN) / STD).astype(np.float32), ds.targets.numpy().astype(np.int64), \
                f"the MNIST training set from {root}"
        except RuntimeError as e:  # the files are missing: fall back to random data, and say so
            reason = f"MNIST not found under {root} ({e})"
    else:
        reason = "no --data-dir or $LATTE_DATA"
    rng = np.random.default_rng(0)
    x = ((rng.random((N, 1, 28, 28), dtype=np.float32) - MEAN) / STD).astype(np.float32)
    return x, rng.integers(0, 10, N), f"random data of MNIST's shape ({reason})"


def initial_weights() -> list[np.ndarray]:
    """``nn.Linear``'s default init, drawn once from NumPy so both models start alike."""
    rng = np.random.default_rng(0)
    weights = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return weights


def make_trainer(lib: Any, images: np.ndarray, labels: np.ndarray) -> Any:
    """A function running one epoch (or its first ``limit`` batches) and returning the loss sum."""
    nn = lib.nn
    layers: list = [nn.Flatten()]
    for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers += [nn.Linear(fan_in, fan_out)] + ([nn.ReLU()] if i < len(SIZES) - 2 else [])
    model = nn.Sequential(*layers)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    weights = iter(initial_weights())
    with lib.no_grad():
        for layer in linears:
            layer.weight.copy_(lib.from_numpy(next(weights)))
            layer.bias.copy_(lib.from_numpy(next(weights)))
    dataset = lib.utils.data.TensorDataset(lib.from_numpy(images), lib.from_numpy(labels))
    loader = lib.utils.data.DataLoader(dataset, batch_size=BATCH, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = lib.optim.Adam(model.parameters(), lr=LR)

    def epoch(limit: int | None = None) -> float:
        total = 0.0
        for i, (x, y) in enumerate(loader):
            if limit is not None and i >= limit:
                break
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        return total
    return epoch


def profile_latte(trainer: Any, limit: int | None) -> None:
    """Print where one latte epoch spends its time, by own time and by cumulative time."""
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.runcall(trainer, limit)
    for key in ("tottime", "cumulative"):
        print(f"\n=== latte, one epoch ({limit or 'all'} batches): top functions by {key} ===")
        pstats.Stats(profiler).sort_stats(key).print_stats(22)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="a folder holding mnist/ (or MNIST/raw)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch's and latte's set_num_threads, the BLAS threads")
    parser.add_argument("--limit", type=int, default=None, help="batches per epoch (smoke runs)")
    parser.add_argument("--profile", action="store_true", help="cProfile one latte epoch")
    args = parser.parse_args()

    images, labels, source = load_images(args.data_dir)
    available = {n: import_framework(n) for n in ("latte", "torch")}
    if args.threads is not None:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
        for name in ("torch", "latte"):
            if not isinstance(available[name], str):
                available[name].set_num_threads(args.threads)
    print_header(available)
    print(f"data: {source}")
    names = [n for n in available if not isinstance(available[n], str)]
    trainers = {n: make_trainer(available[n], images, labels) for n in names}
    # as in bench_core: importing torch leaves ~150,000 objects that Python's full garbage
    # collections would walk over and over while latte builds its graphs; a process that
    # trains with latte alone does not have them
    gc.collect()
    gc.freeze()
    for trainer in trainers.values():
        trainer(20)  # warm-up: lazy imports, first allocations, Adam's state
    if args.profile:
        profile_latte(trainers["latte"], args.limit)
        return

    batches = -(-N // BATCH) if args.limit is None else args.limit
    print(f"\nMLP {'-'.join(map(str, SIZES))} ReLU, Adam lr {LR}, batch {BATCH}, {batches} "
          f"batches per epoch, shuffle=True; median of {args.rounds} interleaved rounds")
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(args.rounds):
        for n in names:
            start = time.perf_counter()
            trainers[n](args.limit)
            samples[n].append(time.perf_counter() - start)
        print(f"  round {r + 1}: " + "  ".join(f"{n} {samples[n][-1]:.2f} s" for n in names),
              flush=True)
    medians = {n: statistics.median(s) for n, s in samples.items()}
    print()
    for n in names:
        print(f"  {n:6s} {medians[n]:8.2f} s/epoch  ({medians[n] / batches * 1e3:.2f} ms/batch)")
    if "torch" in medians:
        print(f"  latte / torch = {medians['latte'] / medians['torch']:.2f}x   "
              f"[target: <= 1.0]")


if __name__ == "__main__":
    main()
