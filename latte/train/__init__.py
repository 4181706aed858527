"""Training tools: a readable loop, metrics, history files, early stopping, checkpoints, plots,
test-time augmentation.

Example::

    >>> from latte.train import fit, seed_everything, EarlyStopping
    >>> seed_everything(0)
    >>> result = fit(model, train_loader, nn.CrossEntropyLoss(), optimizer,  # doctest: +SKIP
    ...              epochs=5, val_loader=val_loader, run_dir="runs/mlp",
    ...              early_stopping=EarlyStopping("val_loss", patience=2))

``latte.train.plots`` needs matplotlib and is imported on its own.
"""
from latte.train.checkpoint import (
    get_rng_states,
    load_checkpoint,
    save_atomic,
    seed_everything,
    set_rng_states,
)
from latte.train.early_stopping import EarlyStopping
from latte.train.history import History
from latte.train.loop import FitResult, StopFlag, evaluate, fit, train_one_epoch
from latte.train.metrics import MetricMeter, accuracy, confusion_matrix, topk_correct
from latte.train.progress import progress
from latte.train.tta import TestTimeAugmentation

__all__ = ["fit", "train_one_epoch", "evaluate", "FitResult", "StopFlag", "History",
           "EarlyStopping", "MetricMeter", "accuracy", "topk_correct", "confusion_matrix",
           "save_atomic", "load_checkpoint", "seed_everything", "get_rng_states",
           "set_rng_states", "progress", "TestTimeAugmentation"]
