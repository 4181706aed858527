"""The training loop: tiny runs, history files, early stopping, exact resume, Ctrl-C."""
import json
import os
import signal

import numpy as np
import pytest

import latte
from latte import nn, optim
from latte.train import EarlyStopping, History, evaluate, fit, load_checkpoint, seed_everything
from latte.utils.data import DataLoader, TensorDataset
from latte.vision.datasets import make_circle


def _setup(seed=0, dropout=0.2):
    seed_everything(seed)
    x, y = make_circle(200, seed=1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    val = DataLoader(TensorDataset(*make_circle(64, seed=2)), batch_size=32)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 2))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    return model, loader, val, opt, sched


def _params(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def _strip_time(rows):
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


def test_fit_learns_and_writes_history(tmp_path):
    model, loader, val, opt, sched = _setup()
    result = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=3, val_loader=val,
                 scheduler=sched, run_dir=tmp_path, num_classes=2, show_progress=False,
                 log=lambda s: None)
    assert result.epochs_done == 3 and len(result.history) == 3
    rows = json.loads((tmp_path / "history.json").read_text())
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert rows[1]["lr"] == pytest.approx(0.09)  # the lr used during epoch 2 (StepLR)
    csv_lines = (tmp_path / "history.csv").read_text().splitlines()
    assert csv_lines[0].split(",")[:4] == ["epoch", "lr", "train_loss", "train_acc"]
    assert len(csv_lines) == 4
    assert History.load(tmp_path).column("val_acc") == [r["val_acc"] for r in rows]
    assert rows[-1]["train_loss"] < rows[0]["train_loss"]
    assert (tmp_path / "last.pt").is_file() and (tmp_path / "best.pt").is_file()


def test_resume_continues_exactly(tmp_path):
    model, loader, val, opt, sched = _setup()
    straight = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=4, val_loader=val,
                   scheduler=sched, run_dir=tmp_path / "a", show_progress=False,
                   log=lambda s: None, early_stopping=EarlyStopping("val_loss", patience=10))
    expected = _params(model)

    model, loader, val, opt, sched = _setup()
    fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=2, val_loader=val, scheduler=sched,
        run_dir=tmp_path / "b", show_progress=False, log=lambda s: None,
        early_stopping=EarlyStopping("val_loss", patience=10))
    latte.manual_seed(123)  # whatever happens between the runs must not matter
    model, loader, val, opt, sched = _setup(seed=99)
    resumed = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=4, val_loader=val,
                  scheduler=sched, run_dir=tmp_path / "b", resume=True, show_progress=False,
                  log=lambda s: None, early_stopping=EarlyStopping("val_loss", patience=10))
    assert resumed.resumed_from == 2
    for key, value in _params(model).items():
        np.testing.assert_array_equal(value, expected[key], err_msg=key)
    assert _strip_time(resumed.history.rows) == _strip_time(straight.history.rows)


def test_resume_refuses_another_configuration(tmp_path):
    model, loader, _, opt, _ = _setup()
    fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=1, run_dir=tmp_path,
        config={"model": "a"}, show_progress=False, log=lambda s: None)
    with pytest.raises(RuntimeError, match="model='a'"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=2, run_dir=tmp_path,
            config={"model": "b"}, resume=True, show_progress=False, log=lambda s: None)


def test_runs_repeat_given_a_seed():
    finals = []
    for _ in range(2):
        model, loader, val, opt, _ = _setup(seed=5)
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=2, show_progress=False,
            log=lambda s: None)
        finals.append(_params(model))
    for key in finals[0]:
        np.testing.assert_array_equal(finals[0][key], finals[1][key])


def test_early_stopping_restores_best_weights(tmp_path):
    model, loader, val, opt, _ = _setup(dropout=0.0)
    stopper = EarlyStopping("val_loss", patience=2)
    seen = {}

    def spy(s):  # snapshot the weights whenever an epoch ends
        seen[len(seen) + 1] = _params(model)

    # lr this large makes the loss bounce, so some epoch is worse than an earlier one
    for group in opt.param_groups:
        group["lr"] = 3.0
    result = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=30, val_loader=val,
                 early_stopping=stopper, show_progress=False, log=spy)
    losses = result.history.column("val_loss")
    best = int(np.argmin(losses)) + 1
    assert result.stopped_early and result.best_epoch == best
    assert len(losses) == best + 2  # patience 2 after the best epoch
    for key, value in _params(model).items():
        np.testing.assert_array_equal(value, seen[best][key])


def test_early_stopping_modes():
    stopper = EarlyStopping("val_acc", patience=1)
    assert stopper.mode == "max"
    assert not stopper.step(0.5) and stopper.step(0.5)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)


def test_ctrl_c_finishes_the_batch_and_keeps_last_epoch(tmp_path):
    model, loader, _, opt, _ = _setup()
    calls = []

    def loss_fn(out, y):
        calls.append(1)
        if len(calls) == 10:  # second epoch, 3rd batch (7 batches an epoch)
            os.kill(os.getpid(), signal.SIGINT)
        return nn.functional.cross_entropy(out, y)

    # in a background job SIGINT starts ignored: the loop must restore whatever was there
    before = signal.getsignal(signal.SIGINT)
    result = fit(model, loader, loss_fn, opt, epochs=5, run_dir=tmp_path, show_progress=False,
                 log=lambda s: None)
    assert result.interrupted and result.epochs_done == 1 and len(calls) == 10
    assert load_checkpoint(tmp_path)["epoch"] == 1
    assert load_checkpoint(tmp_path / "interrupted.pt")["partial_epoch"] == 2
    assert signal.getsignal(signal.SIGINT) is before


def test_evaluate_counts():
    model = nn.Linear(2, 2)
    with latte.no_grad():
        model.weight.copy_(latte.tensor([[1.0, 0.0], [0.0, 1.0]]))
        model.bias.zero_()
    x = latte.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    y = latte.tensor([0, 0, 1, 1])
    meter = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=3), nn.CrossEntropyLoss(),
                     num_classes=2)
    assert meter.accuracy == 0.5
    np.testing.assert_array_equal(meter.confusion, [[1, 1], [1, 1]])
    expected = float(nn.functional.cross_entropy(model(x), y))
    assert meter.loss == pytest.approx(expected, rel=1e-6)


def test_scheduler_stepped_every_batch(tmp_path):
    model, loader, val, opt, _ = _setup()
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    result = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=2, scheduler=sched,
                 scheduler_interval="batch", run_dir=tmp_path, limit_batches=3,
                 show_progress=False, log=lambda s: None)
    assert [r["lr"] for r in result.history] == pytest.approx([0.1, 0.1 * 0.5 ** 3])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5 ** 6)
    assert load_checkpoint(tmp_path)["scheduler"]["last_epoch"] == 6
    with pytest.raises(ValueError, match="scheduler_interval must be 'epoch' or 'batch'"):
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=1, scheduler_interval="step")
