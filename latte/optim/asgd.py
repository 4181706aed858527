"""ASGD: SGD with a decaying step and a running average of the iterates."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import backend
from latte.optim.optimizer import Optimizer, ParamsT, _scalar_dtype
from latte.tensor import Tensor

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD (Polyak and Juditsky, 1992), as ``torch.optim.ASGD``.

    At step :math:`t` (from 1), with gradient :math:`g` (negated if ``maximize``)::

        g <- g + weight_decay * theta
        theta <- theta * (1 - lambd * eta) - eta * g
        ax <- theta                         if mu == 1
        ax <- ax + mu * (theta - ax)        otherwise
        eta <- lr / (1 + lambd * lr * t)^alpha;   mu <- 1 / max(1, t - t0)

    State per parameter: ``step``, ``eta``, ``mu`` (0-d, on the parameter's device as in
    PyTorch) and ``ax``, the averaged parameters (the result ASGD is named for).

    Example::

        >>> model = latte.nn.Linear(4, 2)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.ASGD(model.parameters(), lr=0.01, t0=1000)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise ValueError("Latte's optimizers are not differentiable (differentiable=True)")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = self._new_step()
        state["eta"] = Tensor(backend.array_on(x, "full", (), group["lr"], dtype=_scalar_dtype()))
        state["mu"] = Tensor(backend.array_on(x, "ones", (), dtype=_scalar_dtype()))
        state["ax"] = Tensor(self._zeros_like(x))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
        eta, mu, ax = state["eta"]._data, state["mu"]._data, state["ax"]._data
        tmp = self._scratch(x, 1)

        if type(eta) is np.ndarray:  # on the CPU, read as PyTorch does
            eta_v: Any = float(eta)
            x *= 1 - lambd * eta_v
            np.multiply(g, eta_v, out=tmp)
            x -= tmp
            if float(mu) != 1:
                np.subtract(x, ax, out=tmp)
                tmp *= mu
                ax += tmp
            else:
                np.copyto(ax, x)
        else:  # on a GPU the 0-d eta and mu stay there: no host read
            eta_x = eta.astype(x.dtype)  # computed in x's precision, as on the CPU
            x *= 1 - lambd * eta_x
            np.multiply(g, eta_x, out=tmp)
            x -= tmp
            np.subtract(x, ax, out=tmp)
            tmp *= mu
            tmp += ax
            np.copyto(ax, np.where(mu == 1, x, tmp))
        # PyTorch rounds the new values to the default float dtype (as_tensor of a float) before
        # copying them in, whatever eta's own dtype
        rounded = _scalar_dtype().type
        eta[()] = rounded(lr / ((1 + lambd * lr * step) ** alpha))
        mu[()] = rounded(1 / max(1, step - t0))
