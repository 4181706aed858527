"""A Dataset subclass with __getitem__ and transforms, batched by a DataLoader with workers."""
import argparse

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms


class ShapesDataset(Dataset):
    """Images of a bright square (label 0) or a bright bar (label 1) on noise."""

    def __init__(self, n, transform=None, target_transform=None):
        self.n, self.transform, self.target_transform = n, transform, target_transform

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        rng = np.random.RandomState(idx)
        img = rng.randint(0, 60, (16, 16, 3)).astype(np.uint8)
        label = idx % 2
        r, c = rng.randint(2, 10, size=2)
        if label == 0:
            img[r:r + 5, c:c + 5] = 250
        else:
            img[r:r + 2, 1:15] = 250
        if self.transform:
            img = self.transform(img)
        if self.target_transform:
            label = self.target_transform(label)
        return img, label


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
parser.add_argument("--workers", type=int, default=2)
_compat_dump.add_args(parser)
args = parser.parse_args()

transform = transforms.Compose([transforms.ToTensor(),
                                transforms.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])])
dataset = ShapesDataset(96, transform=transform)
loader = DataLoader(dataset, batch_size=16, shuffle=not args.no_shuffle,
                    num_workers=args.workers, pin_memory=True, persistent_workers=True)
model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                      nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
_compat_dump.init_model(model, args)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
losses = []
for i, (images, labels) in enumerate(loader):
    assert images.shape == (16, 3, 16, 16) and labels.dtype == torch.int64
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if args.max_batches and i + 1 >= args.max_batches:
        break
print("losses", losses)
_compat_dump.dump(args, model, losses=losses)
