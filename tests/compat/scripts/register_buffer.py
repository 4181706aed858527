"""An nn.Module subclass with register_buffer: inputs standardised by stored statistics."""
# written as PyTorch's tutorials and examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse

import _compat_dump
import torch
import torch.nn as nn
import torch.nn.functional as F


class Standardize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long), persistent=False)

    def forward(self, x):
        self.calls += 1
        return (x - self.mean) / self.std


class Model(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.norm = Standardize(mean, std)
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 1)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(self.norm(x))))


parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

torch.manual_seed(0)
X = _compat_dump.fixed_randn(64, 8) * 3 + 1
y = X[:, :1] * 0.5 - X[:, 1:2]
model = Model(X.mean(dim=0), X.std(dim=0))
_compat_dump.init_model(model, args)
assert "norm.mean" in model.state_dict() and "norm.calls" not in model.state_dict()
assert [n for n, _ in model.named_buffers()] == ["norm.mean", "norm.std", "norm.calls"]
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                            weight_decay=1e-4)
losses = []
for step in range(args.steps):
    optimizer.zero_grad()
    loss = F.mse_loss(model(X), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print("calls", int(model.norm.calls), "final loss", losses[-1])
_compat_dump.dump(args, model, losses=losses, calls=[model.norm.calls.item()])
