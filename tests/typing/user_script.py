"""A small typed user script: ``mypy`` (in ``make lint``) checks it against Latte's hints.

It calls the main API as a PyTorch user would: tensors, autograd, an ``nn.Module`` subclass, an
optimizer and a DataLoader. ``tests/test_typing.py`` also runs it, so it stays a working script.
"""
from __future__ import annotations

import latte
import latte.nn.functional as F
from latte import Tensor, nn
from latte.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self, hidden: int = 8) -> None:
        super().__init__()
        self.fc1 = nn.Linear(4, hidden)
        self.fc2 = nn.Linear(hidden, 3)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(F.relu(self.fc1(x)))


def train(epochs: int = 2) -> float:
    latte.manual_seed(0)
    x = latte.randn(32, 4)
    y = latte.randint(0, 3, (32,))
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    model = Net()
    optimizer = latte.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    total = 0.0
    for _ in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            total += loss.item()
    return total


def autograd_example() -> Tensor:
    w = latte.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = latte.sum(latte.exp(w) * 2.0)
    (grad,) = latte.autograd.grad(out, w)
    with latte.no_grad():
        w2 = latte.zeros_like(w).add_(1.0)
    return grad + w2


if __name__ == "__main__":
    print(train(), autograd_example())
