"""Functions the multiprocessing tests run in child processes (importable by name, as the
``spawn`` start method needs)."""
import os
import signal

import numpy as np

import latte
from latte import nn

N_FEATURES, N_CLASSES = 10, 3


def separable_data(n=480, seed=0):
    """Gaussian points labelled by a random linear teacher: learnable to ~100% accuracy."""
    rng = np.random.RandomState(seed)
    x = rng.standard_normal((n, N_FEATURES)).astype(np.float32)
    teacher = rng.standard_normal((N_FEATURES, N_CLASSES)).astype(np.float32)
    return latte.tensor(x), latte.tensor((x @ teacher).argmax(1))


def make_model():
    latte.manual_seed(0)
    return nn.Sequential(nn.Linear(N_FEATURES, 32), nn.ReLU(), nn.Linear(32, N_CLASSES))


def train(model, x, y, epochs, lr=0.1, batch=16):
    opt = latte.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        for i in range(0, len(x), batch):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i:i + batch]), y[i:i + batch]).backward()
            opt.step()


def accuracy(model, x, y):
    with latte.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def hogwild_worker(rank, model, nprocs, epochs):
    """One Hogwild worker: SGD on its share of the data, straight into the shared weights."""
    x, y = separable_data()
    train(model, x[rank::nprocs], y[rank::nprocs], epochs)


def fill_from_queue(queue, done):
    t = queue.get()
    t.mul_(2.0).add_(1.0)
    done.put(latte.arange(3.0))  # a tensor made in the child travels back by handle too
    done.put(t.is_shared())


def raise_in_child(i, fail_at):
    if i == fail_at:
        raise ValueError(f"bad value in process {i}")


def kill_self(i):
    if i == 1:
        os.kill(os.getpid(), signal.SIGKILL)


def exit_with(i, code):
    if i == 0:
        raise SystemExit(code)


def add_index(i, shared):
    shared[i] += i + 1
