"""The options of ``latte train``: defaults, TOML files, and how they combine.

Precedence, lowest first: the defaults below, a ``--config`` TOML file, then options given on
the command line. The TOML file uses the same names as the options (``batch_size`` or
``batch-size``), at the top level or under a ``[train]`` table::

    model = "lenet"
    dataset = "mnist"
    epochs = 2
    lr = 0.001
"""
from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["TrainConfig", "load_toml", "merge"]

MODELS_HELP = "mlp, lenet, mnist_resnet, c5l3, vgg11/13/16[_bn], resnet18/34/50"
DATASETS = ("mnist", "mnist-sample", "fashion-mnist", "kmnist", "cifar10", "circle")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULERS = ("none", "step", "multistep", "cosine", "exponential", "plateau", "onecycle",
              "linear")
# stepped after every batch (the others once per epoch)
BATCH_SCHEDULERS = ("onecycle", "linear", "cosine")
LOSSES = ("cross_entropy", "mse")
# per-image: the data set's PIL pipeline; the others are batch transforms on uint8 batches
AUGMENTS = ("none", "per-image", "flip", "crop", "crop-flip")
PAD_MODES = ("zeros", "reflect")
TTAS = ("none", "flip", "flip-translate")


@dataclass
class TrainConfig:
    """Every option of ``latte train`` with its default (``latte train --help`` lists them)."""

    model: str = "mlp"
    dataset: str = "mnist"
    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    scheduler: str = "none"
    milestones: str = ""
    gamma: float = 0.1
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0
    augment: bool | str = False
    crop_padding: int = 4
    translate: int = 0
    pad_mode: str = "zeros"
    tta: str = "none"
    dropout: float | None = None
    hidden: str = "256,128"
    bias: bool = True
    loss: str = "cross_entropy"
    val_split: float = 0.1
    patience: int = 0
    monitor: str = "val_loss"
    seed: int = 0
    data_dir: str | None = None
    out: str = "runs"
    name: str | None = None
    workers: int = 0
    device: str = "cpu"
    limit_batches: int | None = None
    plots: bool = True
    progress: bool = True
    tensorboard: bool = False

    def validate(self) -> TrainConfig:
        """Raise ``ValueError`` naming the option when a value is out of range."""
        checks = [
            (self.dataset in DATASETS, f"--dataset must be one of {', '.join(DATASETS)}"),
            (self.optimizer in OPTIMIZERS, f"--optimizer must be one of {', '.join(OPTIMIZERS)}"),
            (self.scheduler in SCHEDULERS, f"--scheduler must be one of {', '.join(SCHEDULERS)}"),
            (self.loss in LOSSES, f"--loss must be one of {', '.join(LOSSES)}"),
            (self.epochs >= 1, "--epochs must be at least 1"),
            (self.batch_size >= 1, "--batch-size must be at least 1"),
            (self.lr > 0, "--lr must be positive"),
            (0 <= self.val_split < 1, "--val-split must be in [0, 1)"),
            (self.dropout is None or 0 <= self.dropout < 1, "--dropout must be in [0, 1)"),
            (self.patience >= 0, "--patience must be 0 (off) or more"),
            (self.warmup_epochs >= 0, "--warmup-epochs must be 0 or more"),
            (self.warmup_epochs == 0 or self.scheduler in BATCH_SCHEDULERS,
             f"--warmup-epochs needs --scheduler {', '.join(BATCH_SCHEDULERS)}"),
            (self.warmup_epochs < self.epochs, "--warmup-epochs must be less than --epochs"),
            (0 <= self.label_smoothing < 1, "--label-smoothing must be in [0, 1)"),
            (self.label_smoothing == 0 or self.loss == "cross_entropy",
             "--label-smoothing needs --loss cross_entropy"),
            (isinstance(self.augment, bool) or self.augment in AUGMENTS,
             f"--augment must be one of {', '.join(AUGMENTS)}"),
            (self.crop_padding >= 0, "--crop-padding must be 0 or more"),
            (self.translate >= 0, "--translate must be 0 or more"),
            (self.pad_mode in PAD_MODES, f"--pad-mode must be one of {', '.join(PAD_MODES)}"),
            (self.tta in TTAS, f"--tta must be one of {', '.join(TTAS)}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"{message} (got {self._value_for(message)!r})")
        return self

    def _value_for(self, message: str) -> Any:
        return getattr(self, message.split()[0].lstrip("-").replace("-", "_"))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @property
    def augment_mode(self) -> str:
        """``--augment`` as one of ``AUGMENTS``: a bare ``--augment`` (True) is the data set's
        usual augmentation, crop-flip for CIFAR-10 and the per-image pipeline otherwise."""
        if self.augment is True:
            return "crop-flip" if self.dataset == "cifar10" else "per-image"
        return "none" if self.augment is False else str(self.augment)

    @property
    def batch_augment(self) -> bool:
        """True when the training batches go through the batch transforms."""
        return self.augment_mode in ("flip", "crop", "crop-flip") or self.translate > 0

    @property
    def hidden_sizes(self) -> list[int]:
        return [int(h) for h in str(self.hidden).split(",") if h.strip()]


def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    try:
        import tomli
    except ImportError:
        raise ImportError("reading --config needs tomli on Python 3.10: pip install tomli") \
            from None
    return tomli


def load_toml(path: str | os.PathLike) -> dict[str, Any]:
    """Read a TOML config; unknown names raise ``ValueError`` listing the known ones."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file not found: {path}")
    with open(path, "rb") as f:
        try:
            data = _tomllib().load(f)
        except ValueError as e:
            raise ValueError(f"{path} is not valid TOML: {e}") from None
    data = data.get("train", data)
    known = {f.name for f in fields(TrainConfig)}
    values = {str(k).replace("-", "_"): v for k, v in data.items()}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{path}: unknown option(s) {', '.join(unknown)}; known options: "
                         f"{', '.join(sorted(known))}")
    return values


def merge(cli: dict[str, Any], config_file: str | None = None) -> TrainConfig:
    """Defaults, then the TOML file, then the options given on the command line (not None)."""
    values: dict[str, Any] = {}
    if config_file:
        values.update(load_toml(config_file))
    values.update({k: v for k, v in cli.items() if v is not None})
    types = {f.name: f.type for f in fields(TrainConfig)}
    for key, value in values.items():
        # TOML gives ints where floats are expected (lr = 1): coerce, and reject wrong types
        if "float" in str(types[key]) and isinstance(value, int) and not isinstance(value, bool):
            values[key] = float(value)
        elif key == "augment" and isinstance(value, str) and value in ("true", "false"):
            values[key] = value == "true"
        elif str(types[key]) == "str" and not isinstance(value, str):
            values[key] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return TrainConfig(**values).validate()
