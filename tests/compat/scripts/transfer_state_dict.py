"""Warm-starting one model from another's state_dict (strict=False, renamed keys, a new head)."""
import argparse

import _compat_dump
import torch
import torch.nn as nn


class NetA(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 12))
        self.head = nn.Linear(12, 4)

    def forward(self, x):
        return self.head(torch.relu(self.features(x)))


class NetB(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, 12), nn.ReLU(), nn.Linear(12, 12))
        self.classifier = nn.Linear(12, 2)

    def forward(self, x):
        return self.classifier(torch.relu(self.features(x)))


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

netA, netB = NetA(), NetB()
both = nn.ModuleDict({"a": netA, "b": netB})
_compat_dump.init_model(both, args)
x = _compat_dump.fixed_randn(16, 6)
t = (x[:, 0] > 0).long()
opt = torch.optim.Adam(netA.parameters(), lr=1e-2)
for _ in range(5):
    opt.zero_grad()
    nn.functional.cross_entropy(netA(x)[:, :2], t).backward()
    opt.step()

path = args.data_root + "/netA.pth"
torch.save(netA.state_dict(), path)
result = netB.load_state_dict(torch.load(path, weights_only=True), strict=False)
print(result)
assert sorted(result.missing_keys) == ["classifier.bias", "classifier.weight"]
assert sorted(result.unexpected_keys) == ["head.bias", "head.weight"]
assert torch.equal(netA.features[0].weight, netB.features[0].weight)

for p in netB.features.parameters():
    p.requires_grad_(False)
opt_b = torch.optim.SGD(filter(lambda p: p.requires_grad, netB.parameters()), lr=0.1)
losses = []
for _ in range(5):
    opt_b.zero_grad()
    loss = nn.functional.cross_entropy(netB(x), t)
    loss.backward()
    opt_b.step()
    losses.append(loss.item())
assert netB.features[0].weight.grad is None
_compat_dump.dump(args, both, losses=losses)
