"""MNIST, CIFAR10 and FakeData reading the same files (and drawing the same fake images) as
Latte's compat layer."""
import gzip
import os
import pickle

import numpy as np
import torch


def _idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


class MNIST(torch.utils.data.Dataset):
    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        folder = os.path.join(root, type(self).__name__, "raw")
        prefix = "train" if train else "t10k"
        find = [f for f in os.listdir(folder)]

        def pick(kind):
            return os.path.join(folder, [f for f in find if f.startswith(f"{prefix}-{kind}")][0])
        self.data = torch.from_numpy(_idx(pick("images")).copy())
        self.targets = torch.from_numpy(_idx(pick("labels")).astype(np.int64))
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img, target = self.data[i].numpy(), int(self.targets[i])
        if self.transform is not None:
            img = self.transform(img)
        return img, target


class FashionMNIST(MNIST):
    pass


class CIFAR10(torch.utils.data.Dataset):
    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        folder = os.path.join(root, "cifar-10-batches-py")
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        data, targets = [], []
        for n in names:
            with open(os.path.join(folder, n), "rb") as fh:
                d = pickle.load(fh, encoding="latin1")
            data.append(d["data"])
            targets += d["labels"]
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.targets, self.transform = targets, transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img = self.data[i]
        return (self.transform(img) if self.transform else img), self.targets[i]


class FakeData(torch.utils.data.Dataset):
    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        self.size, self.image_size, self.num_classes = size, image_size, num_classes
        self.transform, self.random_offset = transform, random_offset

    def __len__(self):
        return self.size

    def __getitem__(self, i):
        rng = np.random.RandomState(i + self.random_offset)
        c, h, w = self.image_size
        img = rng.randint(0, 256, (h, w, c), dtype=np.uint8)
        img = img[:, :, 0] if c == 1 else img
        target = int(rng.randint(0, self.num_classes))
        return (self.transform(img) if self.transform else img), target
