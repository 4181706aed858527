"""A TransformerEncoder forward + backward, Latte against PyTorch (CPU), same run.

The encoder of pytorch/examples' word_language_model: 2 layers, d_model 200, nhead 2,
dim_feedforward 200, dropout 0.2 (training mode), a causal mask, sequence 35, batch 20.
Each figure is the median of ``--rounds`` interleaved rounds (round r times latte then torch,
``--steps`` steps each), so a busy machine slows both alike; read the ratio.

    python benchmarks/bench_transformer.py
    python benchmarks/bench_transformer.py --rounds 3 --steps 3   # a smoke run
"""
from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
from bench_core import measure, report

SEQ, BATCH, D_MODEL, NHEAD, D_FF, LAYERS, DROPOUT = 35, 20, 200, 2, 200, 2, 0.2


def build(lib: Any, state: dict | None) -> tuple:
    """The encoder (weights from ``state`` if given), its input and causal mask."""
    nn = lib.nn
    layer = nn.TransformerEncoderLayer(D_MODEL, NHEAD, D_FF, DROPOUT)
    model = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    model.train()
    x = lib.tensor(np.random.default_rng(0).standard_normal((SEQ, BATCH, D_MODEL))
                   .astype(np.float32))
    mask = nn.Transformer.generate_square_subsequent_mask(SEQ)
    return model, x, mask


def step(model: Any, x: Any, mask: Any) -> None:
    model.zero_grad()
    out = model(x, mask=mask, is_causal=True)
    out.square().mean().backward()


def time_steps(model: Any, x: Any, mask: Any, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step(model, x, mask)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    import torch

    import latte
    torch_model, tx, tmask = build(torch, None)
    state = {k: v.detach().numpy().copy() for k, v in torch_model.state_dict().items()}
    latte_model, lx, lmask = build(latte, state)
    for model, x, mask in ((latte_model, lx, lmask), (torch_model, tx, tmask)):
        step(model, x, mask)  # warm-up
    runs = {"latte": (latte_model, lx, lmask), "torch": (torch_model, tx, tmask)}
    values = measure(list(runs), args.rounds, lambda n: time_steps(*runs[n], args.steps))
    report(f"TransformerEncoder {LAYERS} layers d_model {D_MODEL} nhead {NHEAD} seq {SEQ} "
           f"batch {BATCH}, fwd+bwd, median of {args.rounds} rounds x {args.steps} steps "
           f"(torch threads {torch.get_num_threads()})", "ms/step", 1e3, values, "torch",
           "latte close to torch")


if __name__ == "__main__":
    main()
