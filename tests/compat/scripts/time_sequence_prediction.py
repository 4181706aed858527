"""Sine-wave prediction as in pytorch/examples: two nn.LSTMCell layers trained with LBFGS.

The model reads each wave step by step, then keeps feeding its own output back in to predict
``future`` steps past the end; LBFGS re-evaluates the loss through a closure.
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


class Sequence(nn.Module):
    def __init__(self, hidden=51):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)
        self.dummy_param = nn.Parameter(torch.empty(0))

    def forward(self, input, future=0):
        outputs = []
        device = self.dummy_param.device
        h_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double).to(device)
        c_t = torch.zeros(input.size(0), self.hidden, dtype=torch.double).to(device)
        h_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double).to(device)
        c_t2 = torch.zeros(input.size(0), self.hidden, dtype=torch.double).to(device)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):  # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
parser.add_argument("--steps", type=int, default=3, help="steps to run")
parser.add_argument("--hidden", type=int, default=16)
parser.add_argument("--waves", type=int, default=12)
parser.add_argument("--length", type=int, default=40)
parser.add_argument("--future", type=int, default=20)
_compat_dump.add_args(parser)
args = parser.parse_args()
np.random.seed(0)
torch.manual_seed(0)

# the example's generate_sine_wave.py, smaller
T = 20
x = np.empty((args.waves, args.length), np.int64)
x[:] = np.array(range(args.length)) + np.random.randint(-4 * T, 4 * T, args.waves).reshape(args.waves, 1)
data = np.sin(x / 1.0 / T).astype("float64")

device = torch.device("cpu")
data = torch.from_numpy(data).to(device)
input = data[3:, :-1]
target = data[3:, 1:]
test_input = data[:3, :-1]
test_target = data[:3, 1:]
seq = Sequence(args.hidden).to(device).double()
_compat_dump.init_model(seq, args)
criterion = nn.MSELoss().to(device)
optimizer = optim.LBFGS(seq.parameters(), lr=0.8)
losses, test_losses, closure_losses = [], [], []
for i in range(args.steps):
    print("STEP: ", i)

    def closure():
        optimizer.zero_grad()
        out = seq(input)
        loss = criterion(out, target)
        print("loss:", loss.item())
        closure_losses.append(loss.item())
        loss.backward()
        return loss
    losses.append(optimizer.step(closure).item())
    # begin to predict, no need to track gradient here
    with torch.no_grad():
        future = args.future
        pred = seq(test_input, future=future)
        loss = criterion(pred[:, :-future], test_target)
        print("test loss:", loss.item())
        y = pred.cpu().detach().numpy()
    test_losses.append(loss.item())
state = optimizer.state[optimizer._params[0]]
_compat_dump.dump(args, seq, losses=losses, test_losses=test_losses,
                  closure_losses=closure_losses, future=y[:, -args.future:].sum(axis=1),
                  n_iter=[state["n_iter"], state["func_evals"]])
