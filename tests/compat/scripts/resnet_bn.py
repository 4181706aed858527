"""A small ResNet (BasicBlock, BatchNorm, downsampling shortcuts) on CIFAR-shaped data."""
# written as PyTorch's tutorials and examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse

import _compat_dump
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_blocks=(1, 1, 1), num_classes=10):
        super().__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(16, num_blocks[1], stride=2)
        self.layer3 = self._make_layer(32, num_blocks[2], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.linear = nn.Linear(32, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes, num_blocks, stride):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = torch.flatten(self.avgpool(out), 1)
        return self.linear(out)


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default="./data")
parser.add_argument("--lr", default=0.1, type=float)
_compat_dump.add_args(parser)
args = parser.parse_args()

transform = transforms.Compose([transforms.ToTensor(),
                                transforms.Normalize((0.4914, 0.4822, 0.4465),
                                                     (0.2023, 0.1994, 0.2010))])
trainset = datasets.CIFAR10(root=args.data_root, train=True, download=False,
                            transform=transform)
trainloader = DataLoader(trainset, batch_size=8, shuffle=not args.no_shuffle, num_workers=0)
testloader = DataLoader(datasets.CIFAR10(root=args.data_root, train=False, transform=transform),
                        batch_size=8, shuffle=False)

device = "cuda" if torch.cuda.is_available() else "cpu"
net = ResNet().to(device)
if device == "cuda":
    torch.backends.cudnn.benchmark = True
_compat_dump.init_model(net, args)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)

net.train()
losses = []
for batch_idx, (inputs, targets) in enumerate(trainloader):
    inputs, targets = inputs.to(device), targets.to(device)
    optimizer.zero_grad()
    outputs = net(inputs)
    loss = criterion(outputs, targets)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    _, predicted = outputs.max(1)
    print(batch_idx, loss.item(), predicted.eq(targets).sum().item())
    if args.max_batches and batch_idx + 1 >= args.max_batches:
        break
scheduler.step()

net.eval()
test_loss = 0
with torch.no_grad():
    for inputs, targets in testloader:
        test_loss += criterion(net(inputs), targets).item()
_compat_dump.dump(args, net, losses=losses, test=[test_loss, scheduler.get_last_lr()[0]])
