"""An LSTM forward + backward, Latte against PyTorch (CPU), same run.

The recurrent core of pytorch/examples' word_language_model: 2 layers, hidden 256, input
(embedding) 200, sequence 35, batch 20, the previous batch's state as ``(h0, c0)``, a gradient
for the input (the embedding's output) and every parameter. Each figure is the median of
``--rounds`` interleaved rounds (round r times latte then torch, ``--steps`` steps each), so a busy
machine slows both alike; read the ratio.

    python benchmarks/bench_rnn.py
    python benchmarks/bench_rnn.py --threads 1             # every library on one thread
    python benchmarks/bench_rnn.py --rounds 3 --steps 3    # a smoke run
    python benchmarks/bench_rnn.py --profile               # cProfile of latte's steps
"""
from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from bench_core import measure, report

SEQ, BATCH, EMBED, HIDDEN, LAYERS = 35, 20, 200, 256, 2


def build(lib: Any, state: dict | None) -> tuple:
    """The LSTM (weights from ``state`` if given), its input and initial state."""
    model = lib.nn.LSTM(EMBED, HIDDEN, LAYERS)
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((SEQ, BATCH, EMBED)).astype(np.float32),
                   requires_grad=True)
    h0 = lib.tensor(rng.standard_normal((LAYERS, BATCH, HIDDEN)).astype(np.float32) * 0.1)
    return model, x, (h0, h0 * 0.5)


def step(model: Any, x: Any, hidden: tuple) -> None:
    model.zero_grad()
    x.grad = None
    out, (h, c) = model(x, hidden)
    (out.square().mean() + h.sum() * 0.0).backward()


def time_steps(model: Any, x: Any, hidden: tuple, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step(model, x, hidden)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS, Latte and PyTorch threads (default: as configured)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    import torch

    import latte
    if args.threads is not None:
        torch.set_num_threads(args.threads)
        latte.set_num_threads(args.threads)
    torch_model, tx, th = build(torch, None)
    state = {k: v.detach().numpy().copy() for k, v in torch_model.state_dict().items()}
    latte_model, lx, lh = build(latte, state)
    for model, x, h in ((latte_model, lx, lh), (torch_model, tx, th)):
        step(model, x, h)  # warm-up
    if args.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.runcall(time_steps, latte_model, lx, lh, args.steps)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return
    runs = {"latte": (latte_model, lx, lh), "torch": (torch_model, tx, th)}
    values = measure(list(runs), args.rounds, lambda n: time_steps(*runs[n], args.steps))
    report(f"LSTM {LAYERS} layers hidden {HIDDEN} input {EMBED} seq {SEQ} batch {BATCH}, "
           f"fwd+bwd, median of {args.rounds} rounds x {args.steps} steps "
           f"(torch threads {torch.get_num_threads()})", "ms/step", 1e3, values, "torch",
           "latte close to torch")


if __name__ == "__main__":
    main()
