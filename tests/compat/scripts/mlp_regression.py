"""MLP regression with MSELoss, Adam and ReduceLROnPlateau, plus gradient clipping."""
import argparse

import _compat_dump
import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=30)
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

X = _compat_dump.fixed_randn(256, 4)
y = (torch.sin(X[:, 0]) + X[:, 1] * X[:, 2] - 0.5 * X[:, 3]).unsqueeze(1)
loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=not args.no_shuffle,
                    drop_last=True)

model = nn.Sequential(nn.Linear(4, 64), nn.GELU(), nn.Linear(64, 64), nn.SiLU(),
                      nn.LayerNorm(64), nn.Linear(64, 1))
_compat_dump.init_model(model, args)
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.99), eps=1e-8)
scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
criterion = nn.MSELoss()
epoch_losses, lrs = [], []
for epoch in range(args.epochs):
    model.train()
    total = 0.0
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        total += loss.item() * xb.size(0)
    epoch_loss = total / len(loader.dataset)
    scheduler.step(epoch_loss)
    epoch_losses.append(epoch_loss)
    lrs.append(optimizer.param_groups[0]["lr"])
    print(f"epoch {epoch:3d} loss {epoch_loss:.5f} lr {lrs[-1]:.2e}")
_compat_dump.dump(args, model, losses=epoch_losses, lrs=lrs)
