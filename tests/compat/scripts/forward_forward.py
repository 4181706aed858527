"""Hinton's forward-forward algorithm, in the shape of the published PyTorch implementations:
no backpropagation through the network; each layer is trained on its own, one after the other,
to give high "goodness" (mean squared activation) to positive data (an input with its true
label written into the first features) and low goodness to negative data (a wrong label).
Prediction picks the label whose overlay gives the most goodness over all layers."""
import argparse

import _compat_dump
import torch
import torch.nn as nn
from torch.optim import Adam

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=60, help="steps per layer")
parser.add_argument("--threshold", type=float, default=0.5)
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

N_CLASSES, N_FEATURES = 4, 16


def overlay_y_on_x(x, y):
    """Replace the first N_CLASSES features with a one-hot of the label (scaled by x.max())."""
    x_ = x.clone()
    x_[:, :N_CLASSES] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=0.03)
        self.threshold = args.threshold
        self.num_epochs = args.epochs

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train_layer(self, x_pos, x_neg, losses):
        for _ in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            # push positive goodness above the threshold and negative below it
            loss = torch.log(1 + torch.exp(torch.cat([-g_pos + self.threshold,
                                                      g_neg - self.threshold]))).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            losses.append(loss.item())
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = nn.ModuleList([Layer(dims[d], dims[d + 1]) for d in range(len(dims) - 1)])

    def predict(self, x):
        goodness_per_label = []
        for label in range(N_CLASSES):
            h = overlay_y_on_x(x, torch.full((x.shape[0],), label, dtype=torch.long))
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        return torch.cat(goodness_per_label, 1).argmax(1)

    def train_layers(self, x_pos, x_neg):
        losses = []
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print(f"training layer {i} ...")
            h_pos, h_neg = layer.train_layer(h_pos, h_neg, losses)
        return losses


def make_data(seed, n=128):
    centers = _compat_dump.fixed_randn(N_CLASSES, N_FEATURES, seed=7) * 2
    y = torch.arange(n) % N_CLASSES
    x = centers[y] + _compat_dump.fixed_randn(n, N_FEATURES, seed=seed) * 0.5
    return x, y


if __name__ == "__main__":
    torch.manual_seed(1234)
    x, y = make_data(seed=0)
    x_te, y_te = make_data(seed=1)
    net = Net([N_FEATURES, 32, 32])
    _compat_dump.init_model(net, args)
    x_pos = overlay_y_on_x(x, y)
    x_neg = overlay_y_on_x(x, (y + 1) % N_CLASSES)  # a wrong label, the same in any framework
    losses = net.train_layers(x_pos, x_neg)
    train_error = 1.0 - net.predict(x).eq(y).float().mean().item()
    test_error = 1.0 - net.predict(x_te).eq(y_te).float().mean().item()
    print(f"train error: {train_error:.3f}  test error: {test_error:.3f}")
    _compat_dump.dump(args, net, losses=losses, errors=[train_error, test_error])
