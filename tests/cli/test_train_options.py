"""``latte train``'s per-batch schedulers, label smoothing, batch augmentation and test-time
augmentation: the lr against PyTorch's schedulers, configs, determinism and exact resume."""
import json

import numpy as np
import pytest

import latte
from latte import nn, optim
from latte.cli import runner
from latte.cli.build import build_batch_augment, build_loss, build_scheduler
from latte.cli.config import TrainConfig, merge
from latte.cli.data import BatchTransformLoader, load_data
from latte.cli.main import main
from latte.train import StopFlag, load_checkpoint
from latte.utils.data import DataLoader

pytest.importorskip("latte.vision.models")

# LeNet on 3 batches of the shipped MNIST sample per epoch
TINY = ["--model", "lenet", "--epochs", "2", "--limit-batches", "3", "--batch-size", "16",
        "--no-progress", "--no-plots", "--optimizer", "sgd", "--lr", "0.05", "--momentum",
        "0.9", "--val-split", "0.05"]


@pytest.fixture(autouse=True)
def _sample(tmp_path, monkeypatch):
    monkeypatch.setenv("LATTE_DATA", str(tmp_path / "none"))  # the shipped sample, always


def _latte_lrs(cfg, steps_per_epoch):
    opt = optim.SGD([nn.Parameter(latte.zeros(1))], lr=cfg.lr)
    sched = build_scheduler(cfg, opt, steps_per_epoch)
    lrs = []
    for _ in range(cfg.epochs * steps_per_epoch):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs, sched


def _torch_lrs(name, lr, total, warmup):
    torch = pytest.importorskip("torch")
    S = torch.optim.lr_scheduler
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    if name == "onecycle":
        sched = S.OneCycleLR(opt, max_lr=lr, total_steps=total,
                             pct_start=warmup / total if warmup else 0.3,
                             anneal_strategy="linear", cycle_momentum=False)
    else:
        decay = (S.LinearLR(opt, 1.0, 0.0, total_iters=total - warmup) if name == "linear"
                 else S.CosineAnnealingLR(opt, T_max=total - warmup))
        sched = decay if not warmup else S.SequentialLR(
            opt, [S.LinearLR(opt, 1.0 / warmup, 1.0, total_iters=warmup - 1), decay],
            milestones=[warmup])
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


@pytest.mark.parametrize("name,warmup_epochs,warmup_steps", [
    ("onecycle", 0.0, 0), ("onecycle", 0.5, 4), ("linear", 0.0, 0), ("linear", 1.5, 12),
    ("cosine", 0.0, 0), ("cosine", 1.0, 8)])
def test_lr_sequence_equals_torch_schedulers(name, warmup_epochs, warmup_steps):
    cfg = TrainConfig(scheduler=name, warmup_epochs=warmup_epochs, epochs=3, lr=0.2).validate()
    ours, _ = _latte_lrs(cfg, 8)
    expected = _torch_lrs(name, 0.2, 24, warmup_steps)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)
    if warmup_steps and name != "onecycle":  # OneCycleLR starts at lr / div_factor
        assert ours[0] == pytest.approx(0.2 / warmup_steps)  # the warm-up rises from lr/steps
    assert 0.19 < max(ours) <= 0.2 and ours[-1] < 0.2 * 0.1


def test_train_steps_the_scheduler_every_batch(tmp_path):
    assert main(["train", *TINY, "--scheduler", "linear", "--warmup-epochs", "1", "--out",
                 str(tmp_path), "--name", "s"]) == 0
    rows = json.loads((tmp_path / "s" / "history.json").read_text())
    cfg = TrainConfig(scheduler="linear", warmup_epochs=1.0, epochs=2, lr=0.05)
    expected, _ = _latte_lrs(cfg, 3)
    assert [r["lr"] for r in rows] == pytest.approx([expected[0], expected[3]])
    ckpt = load_checkpoint(tmp_path / "s")
    assert ckpt["scheduler"]["last_epoch"] == 6
    assert ckpt["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_label_smoothing_reaches_the_loss():
    cfg = merge({"label_smoothing": 0.2})
    loss = build_loss(cfg)
    assert isinstance(loss, nn.CrossEntropyLoss) and loss.label_smoothing == 0.2
    logits, target = latte.tensor([[2.0, 0.0, -1.0]]), latte.tensor([0])
    assert loss(logits, target).item() > nn.CrossEntropyLoss()(logits, target).item()
    with pytest.raises(ValueError, match="--label-smoothing needs --loss cross_entropy"):
        merge({"label_smoothing": 0.1, "loss": "mse"})


def test_config_file_takes_the_new_keys(tmp_path):
    path = tmp_path / "fast.toml"
    path.write_text('[train]\nscheduler = "onecycle"\nwarmup_epochs = 1\nlabel-smoothing = 0.2\n'
                    'augment = "crop-flip"\ncrop_padding = 2\ntranslate = 1\n'
                    'pad_mode = "reflect"\ntta = "flip"\n')
    cfg = merge({"crop_padding": 3}, str(path))
    assert (cfg.scheduler, cfg.warmup_epochs, cfg.label_smoothing, cfg.augment,
            cfg.crop_padding, cfg.translate, cfg.pad_mode, cfg.tta) == (
        "onecycle", 1.0, 0.2, "crop-flip", 3, 1, "reflect", "flip")
    steps = build_batch_augment(cfg)
    assert [type(s).__name__ for s in steps] == ["BatchRandomCrop", "BatchRandomHorizontalFlip",
                                                 "BatchRandomTranslate"]
    assert steps[0].padding == (3, 3, 3, 3) and steps[0].padding_mode == "reflect"


@pytest.mark.parametrize("values,message", [
    ({"augment": "mixup"}, "--augment must be one of none, per-image"),
    ({"warmup_epochs": 1.0, "scheduler": "step"}, "--warmup-epochs needs --scheduler"),
    ({"warmup_epochs": 5.0, "scheduler": "linear", "epochs": 5}, "less than --epochs"),
    ({"tta": "rotate"}, "--tta must be one of none, flip"),
    ({"pad_mode": "wrap"}, "--pad-mode must be one of zeros, reflect"),
    ({"translate": -1}, "--translate must be 0 or more"),
])
def test_bad_values_name_the_option(values, message):
    with pytest.raises(ValueError, match=message):
        merge(values)


def test_bare_augment_keeps_its_meaning():
    assert TrainConfig(augment=True, dataset="cifar10").augment_mode == "crop-flip"
    assert TrainConfig(augment=True).augment_mode == "per-image"
    assert TrainConfig(augment=False).augment_mode == "none"
    assert not TrainConfig(augment="per-image").batch_augment
    assert TrainConfig(translate=2).batch_augment and TrainConfig(augment="flip").batch_augment
    assert main(["train", "--dataset", "circle", "--augment", "flip", "--epochs", "1"]) == 2


def test_batch_augmentation_keeps_uint8_and_normalises_per_batch():
    plain = load_data("mnist", log=lambda s: None)
    bundle = load_data("mnist", log=lambda s: None, batch_augment=[])
    x = bundle.train.tensors[0]
    assert x.dtype == latte.uint8 and tuple(x.shape) == (4000, 1, 28, 28)
    loader = BatchTransformLoader(DataLoader(bundle.train, batch_size=100),
                                  bundle.train_batch_transform)
    xb, yb = next(iter(loader))
    assert len(loader) == 40 and xb.dtype == latte.float32
    np.testing.assert_allclose(xb.numpy(), plain.train.tensors[0][:100].numpy(), rtol=1e-5,
                               atol=1e-5)
    cfg = TrainConfig(augment="crop-flip", pad_mode="reflect")
    aug = load_data("mnist", log=lambda s: None, batch_augment=build_batch_augment(cfg))
    latte.manual_seed(0)
    xa = aug.train_batch_transform(x[:100])
    assert xa.shape == xb.shape and not np.allclose(xa.numpy(), xb.numpy())


def _run(tmp_path, name, *extra):
    assert main(["train", *TINY, *extra, "--out", str(tmp_path), "--name", name]) == 0
    run = tmp_path / name
    return (json.loads((run / "results.json").read_text()),
            {k: v.numpy() for k, v in load_checkpoint(run)["model"].items()},
            json.loads((run / "history.json").read_text()))


FAST = ["--scheduler", "onecycle", "--warmup-epochs", "0.5", "--label-smoothing", "0.1",
        "--augment", "crop-flip", "--translate", "1", "--pad-mode", "reflect", "--tta", "flip"]


def _no_time(rows):
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


def test_augmented_runs_repeat_and_resume_exactly(tmp_path, monkeypatch, capsys):
    straight, weights, history = _run(tmp_path, "a", *FAST)
    again, weights_again, _ = _run(tmp_path, "b", *FAST)
    plain, weights_plain, _ = _run(tmp_path, "c", "--scheduler", "onecycle")
    assert again["test_acc"] == straight["test_acc"]
    for k in weights:
        np.testing.assert_array_equal(weights_again[k], weights[k])
    assert any(not np.array_equal(weights_plain[k], weights[k]) for k in weights)
    assert straight["tta"] == "flip" and 0 <= straight["test_acc_no_tta"] <= 1

    real_fit = runner.fit

    def fit_stopping_after_epoch_one(*args, **kwargs):  # as a Ctrl-C after epoch 1
        flag = StopFlag()
        return real_fit(*args, **{**kwargs, "stop": flag, "on_epoch_end": lambda row: flag.set()})

    monkeypatch.setattr(runner, "fit", fit_stopping_after_epoch_one)
    assert main(["train", *TINY, *FAST, "--out", str(tmp_path), "--name", "r"]) == 0
    assert load_checkpoint(tmp_path / "r")["epoch"] == 1
    monkeypatch.setattr(runner, "fit", real_fit)
    assert main(["train", "--resume", str(tmp_path / "r")]) == 0
    assert "Resuming" in capsys.readouterr().out
    resumed = json.loads((tmp_path / "r" / "results.json").read_text())
    assert resumed["test_acc"] == straight["test_acc"]
    ckpt = load_checkpoint(tmp_path / "r")
    for k in weights:
        np.testing.assert_array_equal(ckpt["model"][k].numpy(), weights[k])
    rows = json.loads((tmp_path / "r" / "history.json").read_text())
    assert _no_time(rows) == _no_time(history)


def test_eval_with_tta(tmp_path, capsys):
    _run(tmp_path, "e")
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "e"), "--json", "--limit-batches", "1"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main(["eval", str(tmp_path / "e"), "--json", "--limit-batches", "1", "--tta",
                 "flip-translate"]) == 0
    tta = json.loads(capsys.readouterr().out)
    assert tta["tta"] == "flip-translate" and tta["test_acc_no_tta"] == plain["test_acc"]
    assert tta["test_loss"] != plain["test_loss"] and tta["examples"] == plain["examples"]
    assert main(["eval", str(tmp_path / "e"), "--tta", "flip"]) == 0
    assert "(tta flip;" in capsys.readouterr().out


def test_sweep_grid_over_augment_modes():
    from latte.cli.sweep import parse_grid
    assert parse_grid(["augment=crop-flip,false,none", "warmup-epochs=0,0.5"]) == {
        "augment": ["crop-flip", False, "none"], "warmup_epochs": [0.0, 0.5]}
