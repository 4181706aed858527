"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    At step :math:`t` (from 1), with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta
        clr <- lr / (1 + (t - 1) * lr_decay)
        s <- s + g^2                     (s starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(s) + eps)

    State per parameter (created at construction, as in PyTorch): ``step`` and ``sum`` (s).

    Example::

        >>> model = latte.nn.Linear(4, 2)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.Adagrad(model.parameters(), lr=1e-2, lr_decay=1e-4)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if differentiable:
            raise ValueError("Latte's optimizers are not differentiable (differentiable=True)")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p._data, group)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        # at construction (as PyTorch), and in step for a parameter from add_param_group; with
        # the constructor's initial_accumulator_value, not the group's
        state["step"] = self._new_step()
        state["sum"] = Tensor(self._zeros_like(x, self.defaults["initial_accumulator_value"]))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        s = state["sum"]._data
        tmp = self._scratch(x, 1)

        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        np.multiply(g, g, out=tmp)
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += group["eps"]
        np.divide(g, tmp, out=tmp)
        tmp *= -clr
        x += tmp
