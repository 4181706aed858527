"""pytorch/examples/mnist_rnn: an LSTM reads each 28x28 image row by row (batch_first).

The last hidden state goes through BatchNorm1d, Dropout2d and two Linear layers; Adadelta with
StepLR. The images are seeded synthetic ones whose label is the brightest horizontal band.
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: B007, E501, UP032
import argparse
import warnings

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=64, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(64)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, input):
        # Shape of input is (batch_size,1, 28, 28)
        # converting shape of input to (batch_size, 28, 28)
        # as required by RNN when batch_first is set True
        input = input.reshape(-1, 28, 28)
        output, hidden = self.rnn(input)

        # RNN output shape is (seq_len, batch, input_size)
        # Get last output of RNN
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.dropout2(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


def train(args, model, train_loader, optimizer, epoch, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        if args.max_batches is not None and batch_idx >= args.max_batches:
            break
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(args, model, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    return test_loss, correct


def synthetic(n, seed):
    """Noise images with one of ten horizontal bands made brighter; the band is the label."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, 10, n)
    images = rng.uniform(0, 0.5, (n, 1, 28, 28)).astype(np.float32)
    for i, k in enumerate(labels):
        images[i, 0, 2 + 2 * k:4 + 2 * k] += 0.5
    images = (images - 0.1307) / 0.3081
    return TensorDataset(torch.from_numpy(images), torch.from_numpy(labels).long())


parser = argparse.ArgumentParser(description='PyTorch MNIST Example using RNN')
parser.add_argument('--data-root', default='.')
parser.add_argument('--batch-size', type=int, default=32, metavar='N')
parser.add_argument('--test-batch-size', type=int, default=64, metavar='N')
parser.add_argument('--epochs', type=int, default=2, metavar='N')
parser.add_argument('--lr', type=float, default=0.1, metavar='LR')
parser.add_argument('--gamma', type=float, default=0.7, metavar='M')
parser.add_argument('--seed', type=int, default=1, metavar='S')
parser.add_argument('--log-interval', type=int, default=2, metavar='N')
_compat_dump.add_args(parser)
args = parser.parse_args()
torch.manual_seed(args.seed)
warnings.filterwarnings("ignore", message=".*dropout2d.*")  # torch warns: Dropout2d on (N, C)

train_loader = DataLoader(synthetic(192, 0), batch_size=args.batch_size,
                          shuffle=not args.no_shuffle)
test_loader = DataLoader(synthetic(128, 1), batch_size=args.test_batch_size, shuffle=False)

model = Net()
_compat_dump.init_model(model, args)
optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
losses, test_losses, corrects, lrs = [], [], [], []
for epoch in range(1, args.epochs + 1):
    train(args, model, train_loader, optimizer, epoch, losses)
    test_loss, correct = test(args, model, test_loader)
    scheduler.step()
    test_losses.append(test_loss)
    corrects.append(correct)
    lrs.append(scheduler.get_last_lr()[0])
_compat_dump.dump(args, model, losses=losses, test_losses=test_losses, correct=corrects, lrs=lrs)
