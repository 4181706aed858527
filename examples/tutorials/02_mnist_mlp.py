"""
An MLP on MNIST
===============

A classifier of handwritten digits in the way a PyTorch user writes one: a ``Dataset`` and a
``DataLoader``, an ``nn.Sequential`` model, ``CrossEntropyLoss``, the Adam optimizer with a
learning-rate schedule, and a training loop of ``zero_grad`` / ``backward`` / ``step``. The
training curve is drawn at the end.

The full MNIST (60,000 training and 10,000 test digits) is used where its files are found
(``$LATTE_DATA``, or ``../shared/data`` beside the checkout); otherwise the 5,000-digit sample
that ships with Latte, on which the accuracy is lower.
"""
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt

import latte
from latte import nn
from latte.utils.data import DataLoader, TensorDataset
from latte.vision import datasets

latte.manual_seed(0)

# %%
# The data
# --------
# The images come as one uint8 tensor ``(N, 28, 28)``; scaling them once to float32 in
# [0, 1] and normalising with MNIST's mean and standard deviation is all the preprocessing.


def find_mnist_root() -> str | None:
    # the checkout: run from anywhere inside it (sphinx-gallery runs in examples/tutorials)
    repo = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "pyproject.toml").exists()
                or p == p.parent)
    for root in (os.environ.get("LATTE_DATA"), repo.parent / "shared" / "data"):
        if root and (Path(root) / "mnist" / "t10k-images-idx3-ubyte.gz").exists():
            return str(root)
    return None


root = find_mnist_root()
if root is not None:
    os.environ["LATTE_DATA"] = root  # the data sets search it, as they do in `latte train`
    train_set, test_set = datasets.MNIST("data", train=True), datasets.MNIST("data", train=False)
    epochs = 2
else:
    train_set, test_set = datasets.MNISTSample(train=True), datasets.MNISTSample(train=False)
    epochs = 8


def tensors(ds) -> TensorDataset:
    images = (ds.data.float() / 255 - 0.1307) / 0.3081
    return TensorDataset(images.unsqueeze(1), ds.targets)


train_data, test_data = tensors(train_set), tensors(test_set)
print(f"{len(train_data)} training and {len(test_data)} test images "
      f"({'full MNIST' if root else 'the shipped sample'}), {epochs} epochs")
train_loader = DataLoader(train_data, batch_size=128, shuffle=True)
test_loader = DataLoader(test_data, batch_size=1000)

# %%
# The model, the loss and the optimizer
# -------------------------------------
model = nn.Sequential(
    nn.Flatten(),
    nn.Linear(28 * 28, 256), nn.ReLU(),
    nn.Linear(256, 128), nn.ReLU(),
    nn.Linear(128, 10),
)
print(model)
print(sum(p.numel() for p in model.parameters()), "parameters")
criterion = nn.CrossEntropyLoss()
optimizer = latte.optim.Adam(model.parameters(), lr=3e-3)
scheduler = latte.optim.lr_scheduler.OneCycleLR(
    optimizer, max_lr=3e-3, total_steps=epochs * len(train_loader))

# %%
# Training
# --------
# One pass over the test set after each epoch; ``model.eval()`` and ``latte.no_grad()``
# there, as in PyTorch.


def evaluate() -> tuple[float, float]:
    model.eval()
    total_loss, correct = 0.0, 0
    with latte.no_grad():
        for images, labels in test_loader:
            logits = model(images)
            total_loss += criterion(logits, labels).item() * len(labels)
            correct += (logits.argmax(dim=1) == labels).sum().item()
    return total_loss / len(test_data), correct / len(test_data)


steps, train_losses, epoch_ends, test_accuracies = [], [], [], []
start = time.perf_counter()
for epoch in range(1, epochs + 1):
    model.train()
    for images, labels in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        scheduler.step()
        steps.append(len(steps))
        train_losses.append(loss.item())
    test_loss, accuracy = evaluate()
    epoch_ends.append(len(steps))
    test_accuracies.append(accuracy)
    print(f"epoch {epoch}  test loss {test_loss:.4f}  test accuracy {accuracy:.2%}  "
          f"({time.perf_counter() - start:.0f} s)")

# %%
# The training curve
# ------------------
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
ax_loss.plot(steps, train_losses, linewidth=0.5, alpha=0.6, label="training batch")
ax_loss.set(xlabel="step", ylabel="cross-entropy", yscale="log", title="training loss")
ax_acc.plot(range(1, epochs + 1), [100 * a for a in test_accuracies], marker="o")
ax_acc.set(xlabel="epoch", ylabel="%", title="test accuracy")
fig.tight_layout()

# %%
# The weights can be saved in PyTorch's format and loaded by ``torch.load`` as well:
# ``latte.save(model.state_dict(), "mlp.pt")``.
