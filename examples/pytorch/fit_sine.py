"""A plain PyTorch script (it imports torch, not latte): fit sin(x) with a small MLP.

``python fit_sine.py`` runs it on PyTorch, ``latte run fit_sine.py`` on Latte, unchanged
(``examples/tutorials/04_latte_run.py`` shows both).
"""
import argparse
import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--save", default="")
args = parser.parse_args()

torch.manual_seed(0)
x = torch.linspace(-math.pi, math.pi, 512).unsqueeze(1)
y = torch.sin(x) + 0.05 * torch.randn_like(x)
loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model.to(device)

for epoch in range(1, args.epochs + 1):
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item() * len(xb)
    scheduler.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch:2d}  mse {total / len(x):.5f}  lr {scheduler.get_last_lr()[0]:g}")

print(f"running on {torch.__version__}")
if args.save:
    torch.save(model.state_dict(), args.save)
