"""Learn to tell points inside a disc from points outside it, with nothing but tensors and autograd.

The task (a classic from François Fleuret's deep-learning course): 1,000 training points drawn
uniformly in the unit square, labelled 1 when they fall inside the disc centred at (0.5, 0.5) of
radius 1/sqrt(2*pi) -- whose area is exactly 1/2, so both classes are equally likely -- and a fresh
test set of 1,000 points. The network is 2-25-25-25-2 with Tanh, trained on the mean squared error
to one-hot targets by mini-batch SGD with momentum.

There is deliberately no ``nn.Module`` and no optimizer here: the layers are plain tensors that
require gradients, the forward pass is a few matrix products, and the update is written out by
hand. Everything a framework would hide is in this one file.

Run it with ``make demo`` or::

    python examples/circle.py --seed 0 --epochs 75 --activation tanh
"""
from __future__ import annotations

import argparse
import math
import time

import latte

N_POINTS = 1000
SIZES = [2, 25, 25, 25, 2]
BATCH_SIZE = 100
LR = 0.1
MOMENTUM = 0.9


def make_data(n: int) -> tuple[latte.Tensor, latte.Tensor]:
    """``n`` points uniform in [0, 1]^2, shape ``(n, 2)``, and their labels, shape ``(n,)`` int64.

    Draws from latte's default generator, so seed it first with ``latte.manual_seed``.
    """
    x = latte.rand(n, 2)
    radius = 1 / math.sqrt(2 * math.pi)
    inside = ((x - 0.5) ** 2).sum(dim=1) < radius**2
    return x, inside.long()


def init_layers(sizes: list[int]) -> list[tuple[latte.Tensor, latte.Tensor]]:
    """One ``(weight, bias)`` pair per layer, initialised as PyTorch's ``nn.Linear`` does.

    Both are drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)): the bound keeps each unit's
    pre-activation of order 1 whatever the layer width, so Tanh starts out of saturation.
    """
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        # weight stored (out, in) like nn.Linear, so the forward pass is x @ w.T + b
        w = latte.empty(fan_out, fan_in).uniform_(-bound, bound).requires_grad_()
        b = latte.empty(fan_out).uniform_(-bound, bound).requires_grad_()
        layers.append((w, b))
    return layers


def forward(layers: list, x: latte.Tensor, activation: str) -> latte.Tensor:
    """The network's output, shape ``(N, 2)``: no activation after the last layer."""
    for i, (w, b) in enumerate(layers):
        x = x @ w.t() + b
        if i < len(layers) - 1:
            x = x.tanh() if activation == "tanh" else x.relu()
    return x


def count_errors(layers: list, x: latte.Tensor, labels: latte.Tensor, activation: str) -> int:
    """How many points get the wrong class (the class is the larger of the two outputs)."""
    with latte.no_grad():  # evaluation needs no graph: skip recording it
        predicted = forward(layers, x, activation).argmax(dim=1)
    return int((predicted != labels).sum())


def train(layers: list, x: latte.Tensor, labels: latte.Tensor, epochs: int,
          activation: str) -> None:
    """Mini-batch SGD with momentum on the MSE to one-hot targets, updating ``layers`` in place."""
    # one-hot targets: column 0 is "outside", column 1 is "inside"
    targets = latte.stack([1 - labels, labels], dim=1).float()
    params = [p for layer in layers for p in layer]
    velocities = [latte.zeros_like(p) for p in params]
    for _ in range(epochs):
        for start in range(0, len(x), BATCH_SIZE):
            out = forward(layers, x[start:start + BATCH_SIZE], activation)
            loss = ((out - targets[start:start + BATCH_SIZE]) ** 2).mean()
            for p in params:
                p.grad = None  # backward accumulates into .grad, so clear last step's first
            loss.backward()
            # the update must not itself be recorded in the graph, and must change the
            # parameters in place so the tensors in `layers` stay the ones that require grad
            with latte.no_grad():
                for p, v in zip(params, velocities):
                    v.mul_(MOMENTUM).add_(p.grad)  # v <- momentum * v + grad  (PyTorch's form)
                    p.sub_(v, alpha=LR)            # p <- p - lr * v


def run(seed: int = 0, epochs: int = 75, activation: str = "tanh",
        n_points: int = N_POINTS) -> tuple[int, int]:
    """Generate the data, train a fresh network and return ``(train_errors, test_errors)``.

    Example: ``train_errors, test_errors = run(seed=1, epochs=10)``.
    """
    latte.manual_seed(seed)
    # the draw order (train set, test set, then weights) fixes every number from the seed
    train_x, train_y = make_data(n_points)
    test_x, test_y = make_data(n_points)
    layers = init_layers(SIZES)
    train(layers, train_x, train_y, epochs, activation)
    return (count_errors(layers, train_x, train_y, activation),
            count_errors(layers, test_x, test_y, activation))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=75)
    parser.add_argument("--activation", choices=["tanh", "relu"], default="tanh")
    args = parser.parse_args()
    start = time.perf_counter()
    train_errors, test_errors = run(args.seed, args.epochs, args.activation)
    elapsed = time.perf_counter() - start
    print(f"train error: {train_errors} / {N_POINTS} ({train_errors / N_POINTS:.1%})")
    print(f"test error:  {test_errors} / {N_POINTS} ({test_errors / N_POINTS:.1%})")
    print(f"wall time:   {elapsed:.2f} s")


if __name__ == "__main__":
    main()
