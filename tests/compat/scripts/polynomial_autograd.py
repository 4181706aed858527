"""The "Learning PyTorch with Examples" polynomial fit: tensors, autograd, then nn + optim."""
# written as PyTorch's tutorials and examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse
import math

import _compat_dump
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
y = torch.sin(x)

a = torch.tensor(0.1, requires_grad=True)
b = torch.tensor(-0.2, requires_grad=True)
c = torch.tensor(0.3, requires_grad=True)
d = torch.tensor(-0.05, requires_grad=True)
learning_rate = 1e-6
raw_losses = []
for t in range(args.steps):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    raw_losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        for p in (a, b, c, d):
            p -= learning_rate * p.grad
            p.grad.zero_()

# the same fit with nn.Sequential and an optimizer
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)
_compat_dump.init_model(model, args)
loss_fn = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
nn_losses = []
for t in range(args.steps):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    nn_losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
linear_layer = model[0]
print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
      f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
_compat_dump.dump(args, model, raw=raw_losses, nn=nn_losses)
