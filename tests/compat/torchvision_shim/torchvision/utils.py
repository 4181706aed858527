"""make_grid as torchvision computes it (no normalisation)."""
import math

import torch


def make_grid(tensor, nrow=8, padding=2, pad_value=0.0, **kwargs):
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    n = tensor.size(0)
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(float(n) / xmaps))
    h, w = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((3, h * ymaps + padding, w * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= n:
                break
            grid[:, y * h + padding:(y + 1) * h, x * w + padding:(x + 1) * w] = tensor[k]
            k += 1
    return grid
