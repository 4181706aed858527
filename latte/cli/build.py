"""Turn a ``TrainConfig`` into the model, loss, optimizer, scheduler and batch augmentation it
describes."""
from __future__ import annotations

import math
from typing import Any

from latte import nn, optim
from latte.cli.config import BATCH_SCHEDULERS, TrainConfig
from latte.optim import lr_scheduler
from latte.vision import transforms as T

__all__ = ["build_model", "build_loss", "build_optimizer", "build_scheduler",
           "build_batch_augment", "scheduler_interval", "OneHotMSELoss"]


class OneHotMSELoss(nn.Module):
    """Mean squared error between the outputs ``(N, C)`` and one-hot targets from labels ``(N,)``.

    The loss of the reference MLP experiments' "MSE vs cross-entropy" comparison.
    """

    def forward(self, output: Any, target: Any) -> Any:
        one_hot = nn.functional.one_hot(target, output.shape[1]).to(output.dtype)
        return nn.functional.mse_loss(output, one_hot)


def build_model(cfg: TrainConfig, input_shape: tuple[int, ...], num_classes: int) -> nn.Module:
    """``latte.vision.models.get_model`` with the sizes the data set implies."""
    from latte.vision.models import get_model
    name = cfg.model.lower()
    if name == "mlp":
        kwargs: dict[str, Any] = {"in_features": math.prod(input_shape),
                                  "hidden_sizes": cfg.hidden_sizes, "num_classes": num_classes,
                                  "dropout": cfg.dropout or 0.0, "bias": cfg.bias}
    else:
        kwargs = {"num_classes": num_classes}
        if cfg.dropout is not None:  # None keeps the architecture's own dropout
            kwargs["dropout"] = cfg.dropout
        if name in ("lenet", "mnist_resnet") and input_shape[0] != 1:
            kwargs["in_channels"] = input_shape[0]
        if name == "c5l3_bn":  # C5L3 with BatchNorm after each conv
            name, kwargs["batch_norm"] = "c5l3", True
    try:
        return get_model(name, **kwargs)
    except (KeyError, ValueError) as e:
        raise ValueError(f"--model {cfg.model}: {e}") from None


def build_loss(cfg: TrainConfig) -> nn.Module:
    """``--loss``: cross-entropy (with ``--label-smoothing``) or MSE against one-hot targets."""
    if cfg.loss == "mse":
        return OneHotMSELoss()
    return nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)


def build_optimizer(cfg: TrainConfig, model: nn.Module) -> optim.Optimizer:
    params, lr, wd = model.parameters(), cfg.lr, cfg.weight_decay
    if cfg.optimizer == "sgd":
        return optim.SGD(params, lr=lr, momentum=cfg.momentum, weight_decay=wd)
    if cfg.optimizer == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if cfg.optimizer == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd)
    if cfg.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=wd)
    return optim.Adagrad(params, lr=lr, weight_decay=wd)


def scheduler_interval(cfg: TrainConfig) -> str:
    """``"batch"`` for the schedulers stepped after every batch, else ``"epoch"``."""
    return "batch" if cfg.scheduler in BATCH_SCHEDULERS else "epoch"


def _warmup_then(optimizer: optim.Optimizer, warmup: int, then: Any) -> Any:
    """``warmup`` steps of lr rising linearly to the base lr (``(k + 1) / warmup`` of it at
    step k), then the scheduler ``then``: ``SequentialLR([LinearLR, then])``."""
    if warmup < 2:  # a one-step warm-up would start at the full lr anyway
        return then
    rise = lr_scheduler.LinearLR(optimizer, start_factor=1.0 / warmup, end_factor=1.0,
                                 total_iters=warmup - 1)
    return lr_scheduler.SequentialLR(optimizer, [rise, then], milestones=[warmup])


def _batch_scheduler(cfg: TrainConfig, optimizer: optim.Optimizer, steps_per_epoch: int) -> Any:
    total = cfg.epochs * steps_per_epoch
    warmup = min(int(round(cfg.warmup_epochs * steps_per_epoch)), total - 1)
    if cfg.scheduler == "onecycle":
        # the lr alone: cycling momentum as well would override --momentum
        return lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=total,
                                       pct_start=warmup / total if warmup else 0.3,
                                       anneal_strategy="linear", cycle_momentum=False)
    # the warm-up's last step and the decay's first both hold the full lr
    decay_steps = total - warmup if warmup >= 2 else total
    if cfg.scheduler == "linear":
        decay = lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0,
                                      total_iters=decay_steps)
    else:
        decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=decay_steps)
    return _warmup_then(optimizer, warmup, decay)


def build_scheduler(cfg: TrainConfig, optimizer: optim.Optimizer,
                    steps_per_epoch: int | None = None) -> Any:
    """The ``--scheduler``, or None; see ``scheduler_interval`` for when it is stepped.

    ``onecycle``, ``linear`` and ``cosine`` are stepped after every batch (they need
    ``steps_per_epoch``) and bring the lr to about 0 over the run, after ``--warmup-epochs``
    of linear warm-up (a fraction of an epoch is fine): ``OneCycleLR(anneal_strategy="linear",
    cycle_momentum=False)``, and ``SequentialLR([LinearLR warm-up, LinearLR to 0 or
    CosineAnnealingLR])``. The others are stepped once per epoch.
    """
    if cfg.scheduler in BATCH_SCHEDULERS:
        if not steps_per_epoch or steps_per_epoch < 1:
            raise ValueError(f"--scheduler {cfg.scheduler} is stepped every batch: it needs "
                             f"the number of batches per epoch (got {steps_per_epoch})")
        return _batch_scheduler(cfg, optimizer, steps_per_epoch)
    if cfg.scheduler == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(cfg.epochs // 3, 1), gamma=cfg.gamma)
    if cfg.scheduler == "multistep":
        milestones = ([int(m) for m in cfg.milestones.split(",") if m.strip()] or
                      [max(cfg.epochs // 2, 1), max(3 * cfg.epochs // 4, 1)])
        return lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=cfg.gamma)
    if cfg.scheduler == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=cfg.gamma)
    if cfg.scheduler == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=cfg.gamma, patience=1)
    return None


def build_batch_augment(cfg: TrainConfig) -> list:
    """The batch transforms of ``--augment flip|crop|crop-flip`` and ``--translate K``, in
    that order (crop, flip, translate); [] for none. Crops keep the images' size."""
    mode, fill_mode = cfg.augment_mode, "reflect" if cfg.pad_mode == "reflect" else "constant"
    steps: list = []
    if mode in ("crop", "crop-flip") and cfg.crop_padding:
        steps.append(T.BatchRandomCrop(None, padding=cfg.crop_padding,
                                       padding_mode=fill_mode))
    if mode in ("flip", "crop-flip"):
        steps.append(T.BatchRandomHorizontalFlip())
    if cfg.translate:
        steps.append(T.BatchRandomTranslate(cfg.translate, padding_mode=fill_mode))
    return steps
