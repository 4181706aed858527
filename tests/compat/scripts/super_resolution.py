"""Sub-pixel super-resolution as in pytorch/examples: convolutions then nn.PixelShuffle.

Orthogonal initialisation scaled by ``init.calculate_gain('relu')``, MSE against the
high-resolution image, Adam, and PSNR on a held-out batch; images are seeded synthetic.
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse
from math import log10

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
import torch.optim as optim


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()

        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)

        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


def make_images(n, size, seed):
    """Smooth random images: a few sinusoids per image, values in [0, 1]."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    imgs = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        for _ in range(3):
            fx, fy, ph = rng.uniform(1, 4), rng.uniform(1, 4), rng.uniform(0, 6.28)
            imgs[i, 0] += np.sin(2 * np.pi * (fx * xx + fy * yy) + ph)
    return torch.from_numpy((imgs - imgs.min()) / (imgs.max() - imgs.min()))


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
parser.add_argument("--upscale-factor", type=int, default=3)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=8)
parser.add_argument("--lr", type=float, default=0.01)
_compat_dump.add_args(parser)
args = parser.parse_args()
torch.manual_seed(123)

r = args.upscale_factor
high = make_images(32, 8 * r, 0)
low = F.avg_pool2d(high, r)
test_high = make_images(8, 8 * r, 1)
test_low = F.avg_pool2d(test_high, r)

model = Net(upscale_factor=r)
w = model.conv2.weight.detach().view(16, -1)
gram = w @ w.t() / init.calculate_gain('relu') ** 2  # rows orthonormal up to the gain
assert torch.allclose(gram, torch.eye(16), atol=1e-4), "orthogonal_ rows are not orthonormal"
_compat_dump.init_model(model, args)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=args.lr)

losses, psnrs = [], []
for epoch in range(1, args.epochs + 1):
    epoch_loss = 0
    for i in range(0, len(low), args.batch_size):
        input, target = low[i:i + args.batch_size], high[i:i + args.batch_size]
        optimizer.zero_grad()
        loss = criterion(model(input), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"===> Epoch {epoch} Complete: Avg. Loss: {epoch_loss / (len(low) // args.batch_size):.4f}")
    with torch.no_grad():
        prediction = model(test_low)
        mse = criterion(prediction, test_high)
        psnr = 10 * log10(1 / mse.item())
    psnrs.append(psnr)
    print(f"===> Avg. PSNR: {psnr:.4f} dB")
_compat_dump.dump(args, model, losses=losses, psnr=psnrs, gain=[init.calculate_gain('relu'),
                  init.calculate_gain('leaky_relu', 0.2), init.calculate_gain('tanh')])
