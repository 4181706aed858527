"""Turn a ``TrainConfig`` into the model, loss, optimizer and scheduler it describes."""
from __future__ import annotations

import math
from typing import Any

from latte import nn, optim
from latte.cli.config import TrainConfig
from latte.optim import lr_scheduler

__all__ = ["build_model", "build_loss", "build_optimizer", "build_scheduler", "OneHotMSELoss"]


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
    return OneHotMSELoss() if cfg.loss == "mse" else nn.CrossEntropyLoss()


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


def build_scheduler(cfg: TrainConfig, optimizer: optim.Optimizer) -> Any:
    """The ``--scheduler`` (stepped once per epoch), or None."""
    if cfg.scheduler == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(cfg.epochs // 3, 1), gamma=cfg.gamma)
    if cfg.scheduler == "multistep":
        milestones = ([int(m) for m in cfg.milestones.split(",") if m.strip()] or
                      [max(cfg.epochs // 2, 1), max(3 * cfg.epochs // 4, 1)])
        return lr_scheduler.MultiStepLR(optimizer, milestones=milestones, gamma=cfg.gamma)
    if cfg.scheduler == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    if cfg.scheduler == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=cfg.gamma)
    if cfg.scheduler == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=cfg.gamma, patience=1)
    return None
