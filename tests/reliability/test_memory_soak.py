"""Memory under load: training loops of each model family (MLP, CNN with BatchNorm, LSTM,
Transformer encoder layer; tiny sizes) hold flat memory, plain and with ``retain_graph=True``,
hooks registered and removed in the loop, and ``create_graph=True`` gradient penalties; a
DataLoader with workers leaks no processes, file descriptors or shared-memory segments over
many epochs.

Memory is sampled (``tracemalloc``'s current size, which NumPy's buffers are part of, and the
RSS) after a garbage collection; a line fitted after the warm-up gives the growth per 1,000
steps, which must stay below a threshold. CI runs a few hundred steps and 10 epochs;
``make soak`` (``LATTE_SOAK=1``) runs 10,000 steps and 100 epochs and prints the slopes.
"""
import gc
import os
import tracemalloc

import numpy as np
import pytest
from _datasets import Tiny

import latte
from latte import nn
from latte.utils.data import DataLoader

psutil = pytest.importorskip("psutil")

SOAK = bool(os.environ.get("LATTE_SOAK"))
STEPS = 10_000 if SOAK else 120
EPOCHS = 100 if SOAK else 10
SAMPLES = 50 if SOAK else 15
# growth per 1,000 steps that fails a test: a leak of one small tensor or graph node per step
# (256 bytes and up) crosses the first; the bounded runs measure up to ~120 KiB of warm-up
# (NumPy's small-buffer cache filling); the RSS limit allows the allocator's noise
TRACED_LIMIT = 256 * 1024
RSS_LIMIT = 4 * 1024 * 1024


class Recurrent(nn.Module):
    """An LSTM over a sequence, its last state classified."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class Encoder(nn.Module):
    """One Transformer encoder layer, mean-pooled and classified."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1,
                                                batch_first=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.layer(x).mean(1))


def _family(name):
    """(model, input shape) of one family; batches of 4, 3 classes."""
    if name == "mlp":
        return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 3)), \
            (4, 8)
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)), (4, 1, 8, 8)
    if name == "lstm":
        return Recurrent(), (4, 5, 4)
    return Encoder(), (4, 5, 8)


def _step(model, opt, x, y, features):
    """One training step; ``features`` adds hooks, a retained graph and a gradient penalty
    (not through an LSTM: its fused kernel is once-differentiable)."""
    opt.zero_grad()
    if not features:
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        return
    seen = []
    handle = model.register_forward_pre_hook(lambda m, args: seen.append(1))
    out = model(x)
    handle.remove()  # registered and removed every step: handles must not pile up
    out.register_hook(lambda g: g * 1.0)
    loss = nn.functional.cross_entropy(out, y)
    loss.backward(retain_graph=True)
    loss.backward()  # through the retained graph, which is then freed
    if isinstance(model, Recurrent):
        opt.step()
        return
    params = [p for p in model.parameters() if p.requires_grad]
    loss = nn.functional.cross_entropy(model(x), y)
    grads = latte.autograd.grad(loss, params, create_graph=True)
    penalty = sum((g * g).sum() for g in grads)
    (loss + 1e-3 * penalty).backward()
    opt.step()


def _slope(steps, values):
    """Growth per 1,000 steps of a line fitted through the samples."""
    return float(np.polyfit(np.asarray(steps, float), np.asarray(values, float), 1)[0]) * 1000


def _measure(name, features):
    latte.manual_seed(0)
    model, shape = _family(name)
    opt = latte.optim.Adam(model.parameters(), lr=1e-3)
    x, y = latte.randn(*shape), latte.randint(0, 3, (shape[0],))
    process = psutil.Process()
    warmup = STEPS // 3
    every = max(1, (STEPS - warmup) // SAMPLES)
    steps, traced, rss = [], [], []
    tracemalloc.start()
    try:
        for step in range(1, STEPS + 1):
            _step(model, opt, x, y, features)
            if step == warmup:
                # what exists now is never garbage: the collections at the samples then only
                # look at objects made since (a full collection of this heap is slow)
                gc.collect()
                gc.freeze()
            if step >= warmup and (step - warmup) % every == 0:
                gc.collect()  # cycles are garbage, not growth
                steps.append(step)
                traced.append(tracemalloc.get_traced_memory()[0])
                rss.append(process.memory_info().rss)
    finally:
        tracemalloc.stop()
        gc.unfreeze()
    return _slope(steps, traced), _slope(steps, rss)


FAMILIES = ["mlp", "cnn", "lstm", "transformer"]


# CI runs the loop with every feature (it trains plainly too); make soak runs both
@pytest.mark.parametrize("features", [False, True] if SOAK else [True],
                         ids=["plain", "hooks-retain-create"][0 if SOAK else 1:])
@pytest.mark.parametrize("name", FAMILIES)
def test_a_training_loop_holds_flat_memory(name, features):
    traced, rss = _measure(name, features)
    print(f"\nmemory slope {name:<11} {'hooks/retain/create' if features else 'plain':<19} "
          f"{STEPS} steps: tracemalloc {traced / 1024:+8.1f} KiB, RSS {rss / 1024:+8.1f} KiB "
          f"per 1,000 steps")
    assert traced < TRACED_LIMIT, f"{name}: traced memory grows {traced:.0f} B per 1,000 steps"
    assert rss < RSS_LIMIT, f"{name}: RSS grows {rss:.0f} B per 1,000 steps"


def test_the_slope_detects_a_leak():
    # the measurement itself: a loop that keeps one small array per step must fail the limit
    kept = []
    tracemalloc.start()
    try:
        steps, traced = [], []
        for step in range(1, 301):
            kept.append(np.zeros(64))  # 512 bytes of data per step
            if step % 10 == 0:
                steps.append(step)
                traced.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    assert _slope(steps, traced) > TRACED_LIMIT


def _resources():
    """Child processes, open descriptors and shared-memory segments of this process."""
    children = [p for p in psutil.Process().children(recursive=True) if p.status() != "zombie"]
    fds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else \
        psutil.Process().num_fds()
    shm = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    return children, fds, shm


@pytest.mark.parametrize("persistent", [False, True])
def test_a_dataloader_with_workers_leaks_nothing_over_many_epochs(persistent):
    gc.collect()
    children, fds, shm = _resources()
    loader = DataLoader(Tiny(), batch_size=4, shuffle=True, num_workers=2,
                        persistent_workers=persistent)
    for _ in range(EPOCHS):
        assert sum(len(x) for x, _ in loader) == 16
        if not persistent:
            gc.collect()
            now_children, now_fds, _ = _resources()
            assert now_children == children, "workers of a finished epoch still alive"
            assert now_fds <= fds + 4, f"descriptors grow: {fds} -> {now_fds}"
    del loader
    gc.collect()
    after_children, after_fds, after_shm = _resources()
    print(f"\n{EPOCHS} epochs with 2 workers (persistent={persistent}): descriptors "
          f"{fds} -> {after_fds}, children {len(children)} -> {len(after_children)}, "
          f"/dev/shm {len(shm)} -> {len(after_shm)}")
    # other processes may create segments meanwhile: only ours (latte's or Python's) count
    ours = {s for s in after_shm - shm if s.startswith(("latte", "psm_", "mp-", "sem."))}
    assert after_children == children
    assert after_fds == fds, f"descriptors leaked: {fds} -> {after_fds}"
    assert not ours, f"shared-memory segments leaked: {sorted(ours)}"
