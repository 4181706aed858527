"""RMSprop, optionally centered and with momentum."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), as ``torch.optim.RMSprop``.

    With gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta
        v <- alpha * v + (1 - alpha) * g^2
        avg <- sqrt(v - mean_g^2) + eps, with mean_g <- alpha * mean_g + (1 - alpha) * g
                                                                  if centered
        avg <- sqrt(v) + eps                                      otherwise
        b <- momentum * b + g / avg;  theta <- theta - lr * b     if momentum > 0
        theta <- theta - lr * g / avg                             otherwise

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (momentum > 0) and
    ``grad_avg`` (centered).

    Example::

        >>> model = latte.nn.Linear(4, 2)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.RMSprop(model.parameters(), lr=1e-2, alpha=0.99, momentum=0.9)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if differentiable:
            raise ValueError("Latte's optimizers are not differentiable (differentiable=True)")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = self._new_step()
        state["square_avg"] = Tensor(self._zeros_like(x))
        if group["momentum"] > 0:
            state["momentum_buffer"] = Tensor(self._zeros_like(x))
        if group["centered"]:
            state["grad_avg"] = Tensor(self._zeros_like(x))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
        v = state["square_avg"]._data
        tmp = self._scratch(x, 1)

        v *= alpha
        np.multiply(g, 1 - alpha, out=tmp)
        tmp *= g
        v += tmp
        if group["centered"]:
            mean_g = state["grad_avg"]._data
            self._lerp_(mean_g, g, 1 - alpha, tmp)
            np.multiply(mean_g, mean_g, out=tmp)
            np.subtract(v, tmp, out=tmp)
            np.sqrt(tmp, out=tmp)
        else:
            np.sqrt(v, out=tmp)
        tmp += group["eps"]  # tmp = avg
        np.divide(g, tmp, out=tmp)
        if momentum > 0:
            b = state["momentum_buffer"]._data
            b *= momentum
            b += tmp
            np.multiply(b, -lr, out=tmp)
        else:
            tmp *= -lr
        x += tmp
