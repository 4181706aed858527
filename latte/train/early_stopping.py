"""Early stopping: stop when a monitored metric has not improved for ``patience`` epochs."""
from __future__ import annotations

import copy
import math
from typing import Any

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Watch ``monitor`` (a history key such as ``"val_loss"``) and remember the best weights.

    ``mode`` is ``"min"`` or ``"max"``; by default ``"max"`` for names containing ``acc``,
    else ``"min"``. An epoch improves when it beats the best by more than ``min_delta``.
    ``step`` returns True once ``patience`` epochs in a row brought no improvement;
    ``restore(model)`` then loads the best epoch's weights.

    Example::

        >>> stopper = EarlyStopping("val_loss", patience=3)
        >>> for epoch in range(100):  # doctest: +SKIP
        ...     row = run_epoch(...)
        ...     if stopper.step(row["val_loss"], model):
        ...         break
        >>> stopper.restore(model)  # doctest: +SKIP
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, mode: str | None = None,
                 min_delta: float = 0.0) -> None:
        if patience < 1:
            raise ValueError(f"patience must be at least 1, got {patience}")
        mode = mode or ("max" if "acc" in monitor else "min")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.mode, self.min_delta = monitor, patience, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = 0
        self.bad_epochs = 0
        self.epochs_seen = 0
        self.best_state: dict[str, Any] | None = None

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: float, model: Any = None) -> bool:
        """Record one epoch's ``value``; True when training should stop."""
        self.epochs_seen += 1
        if self.improved(value):
            self.best, self.best_epoch, self.bad_epochs = float(value), self.epochs_seen, 0
            if model is not None:
                # a deep copy: the optimizer keeps changing the live tensors in place
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.bad_epochs += 1
        return self.bad_epochs >= self.patience

    @property
    def should_stop(self) -> bool:
        return self.bad_epochs >= self.patience

    def restore(self, model: Any) -> bool:
        """Load the best weights into ``model``; False when none were recorded."""
        if self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True

    def state_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "mode": self.mode, "best": self.best,
                "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs,
                "epochs_seen": self.epochs_seen, "best_state": self.best_state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in ("best", "best_epoch", "bad_epochs", "epochs_seen", "best_state"):
            setattr(self, key, state[key])
