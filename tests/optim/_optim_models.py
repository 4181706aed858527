"""A tiny MLP written with tensor ops, built identically in Latte and PyTorch, for the
optimizer tests: same start, same data, so the two trajectories can be compared step by step."""
from __future__ import annotations

from typing import Any

import numpy as np

import latte

SHAPES = {"w1": (5, 8), "b1": (8,), "w2": (8, 3), "b2": (3,)}
N_BATCHES = 4


def initial_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape) * 0.5 for name, shape in SHAPES.items()}


def batches(seed: int = 1) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((16, 5)), rng.standard_normal((16, 3)))
            for _ in range(N_BATCHES)]


def forward(lib: Any, params: dict[str, Any], x: Any, y: Any) -> Any:
    """Mean squared error of ``tanh(x @ w1 + b1) @ w2 + b2``; works for both libraries."""
    h = (x @ params["w1"] + params["b1"]).tanh()
    return ((h @ params["w2"] + params["b2"] - y) ** 2).mean()


class Model:
    """The MLP's parameters as leaf tensors of one library (``latte`` or ``torch``)."""

    def __init__(self, lib: Any, dtype: str, arrays: dict[str, np.ndarray] | None = None) -> None:
        self.lib = lib
        self.dtype = getattr(lib, dtype)
        arrays = initial_arrays() if arrays is None else arrays
        self.params = {name: lib.tensor(np.array(a), dtype=self.dtype, requires_grad=True)
                       for name, a in arrays.items()}
        self.data = [(lib.tensor(x, dtype=self.dtype), lib.tensor(y, dtype=self.dtype))
                     for x, y in batches()]

    def groups(self, split: bool) -> Any:
        """All parameters, or two groups: weights, and biases with their own options."""
        p = self.params
        if not split:
            return list(p.values())
        return [{"params": [p["w1"], p["w2"]]},
                {"params": [p["b1"], p["b2"]], "lr": 0.05, "weight_decay": 0.0}]

    def loss(self, i: int) -> Any:
        x, y = self.data[i % N_BATCHES]
        return forward(self.lib, self.params, x, y)

    def train_step(self, opt: Any, i: int) -> float:
        opt.zero_grad()
        loss = self.loss(i)
        loss.backward()
        opt.step()
        return float(loss.item())

    def numpy(self) -> dict[str, np.ndarray]:
        return {k: (v.detach().numpy() if self.lib is not latte else v._data.copy())
                for k, v in self.params.items()}
