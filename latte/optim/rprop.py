"""Rprop: per-element step sizes adapted from the sign of successive gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation (Riedmiller and Braun, 1993), as ``torch.optim.Rprop``.

    With gradient :math:`g` (negated if ``maximize``) and the previous step's :math:`g'`::

        f <- etaplus if g * g' > 0,  etaminus if g * g' < 0,  1 otherwise
        eta <- clamp(eta * f, step_size_min, step_size_max)
        g <- 0 where f == etaminus        (a sign change: skip this element once)
        theta <- theta - sign(g) * eta;   g' <- g

    State per parameter: ``step``, ``prev`` (g') and ``step_size`` (eta, starting at ``lr``).

    Example::

        >>> model = latte.nn.Linear(4, 2)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.Rprop(model.parameters(), lr=0.01, etas=(0.5, 1.2))
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        if differentiable:
            raise ValueError("Latte's optimizers are not differentiable (differentiable=True)")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = self._new_step()
        state["prev"] = Tensor(self._zeros_like(x))
        state["step_size"] = Tensor(self._zeros_like(x, group["lr"]))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        etaminus, etaplus = group["etas"]
        step_min, step_max = group["step_sizes"]
        prev, eta = state["prev"]._data, state["step_size"]._data
        factor = self._scratch(x, 1)

        # branch-free (no host read): the factor from the sign of g * g'
        np.multiply(g, prev, out=factor)
        np.sign(factor, out=factor)
        np.copyto(factor, np.where(factor > 0, etaplus, np.where(factor < 0, etaminus, 1)))
        eta *= factor
        np.clip(eta, step_min, step_max, out=eta)
        np.copyto(prev, np.where(factor == etaminus, 0, g))
        np.sign(prev, out=factor)
        factor *= eta
        x -= factor
