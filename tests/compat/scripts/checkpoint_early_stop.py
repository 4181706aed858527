"""A training loop with a validation split, early stopping and checkpoints saved and reloaded."""
import argparse
import os

import _compat_dump
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Subset, TensorDataset, random_split

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=50)
parser.add_argument("--patience", type=int, default=2)
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

torch.manual_seed(42)
X = _compat_dump.fixed_randn(200, 10)
w = _compat_dump.fixed_randn(10, 3, seed=1)
y = (X @ w).argmax(dim=1)
dataset = TensorDataset(X, y)
if args.no_shuffle:  # the harness compares with PyTorch: a split that needs no random stream
    train_set, val_set = Subset(dataset, range(160)), Subset(dataset, range(160, 200))
else:
    train_set, val_set = random_split(dataset, [0.8, 0.2],
                                      generator=torch.Generator().manual_seed(42))
assert len(train_set) == 160 and len(val_set) == 40
train_loader = DataLoader(train_set, batch_size=32, shuffle=not args.no_shuffle,
                          num_workers=0, pin_memory=False, persistent_workers=False)
val_loader = DataLoader(val_set, batch_size=64)

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 3))
_compat_dump.init_model(model, args)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
ckpt_path = os.path.join(args.data_root, "checkpoint.tar")


@torch.no_grad()
def evaluate():
    model.eval()
    total, n = 0.0, 0
    for xb, yb in val_loader:
        total += criterion(model(xb), yb).item() * len(xb)
        n += len(xb)
    return total / n


best, bad_epochs, history = float("inf"), 0, []
for epoch in range(args.epochs):
    model.train()
    for xb, yb in train_loader:
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    val_loss = evaluate()
    history.append(val_loss)
    print(f"epoch {epoch}: val loss {val_loss:.4f}")
    if val_loss < best - 1e-4:
        best, bad_epochs = val_loss, 0
        torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": optimizer.state_dict(), "loss": val_loss},
                   ckpt_path)
    else:
        bad_epochs += 1
        if bad_epochs >= args.patience:
            print("early stopping")
            break

checkpoint = torch.load(ckpt_path, map_location=torch.device("cpu"), weights_only=True)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
assert checkpoint["epoch"] == history.index(min(history))
reloaded = evaluate()
assert abs(reloaded - checkpoint["loss"]) < 1e-6
model.train()
xb, yb = next(iter(train_loader))
optimizer.zero_grad()
criterion(model(xb), yb).backward()
optimizer.step()  # resumes from the saved Adam moments
_compat_dump.dump(args, model, val=history, reloaded=[reloaded, checkpoint["epoch"]])
