"""RAdam: Adam with a rectified (variance-corrected) adaptive learning rate."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from latte.optim.adam import _check_adam_options
from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019), as ``torch.optim.RAdam``.

    At step :math:`t` (from 1), with gradient :math:`g` (negated if ``maximize``)::

        theta <- theta * (1 - lr * weight_decay)   if decoupled_weight_decay
        g <- g + weight_decay * theta              otherwise
        m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
        rho_inf <- 2 / (1 - beta2) - 1
        rho_t <- rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:
            r <- sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            theta <- theta - lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
        else:
            theta <- theta - lr * m / (1 - beta1^t)

    State per parameter: ``step``, ``exp_avg`` (m) and ``exp_avg_sq`` (v).

    Example::

        >>> opt = latte.optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        if differentiable:
            raise ValueError("Latte's optimizers are not differentiable (differentiable=True)")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one step; ``closure`` (optional) recomputes and returns the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            for p in self._params_with_grad(group):
                x = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = self._new_step()
                    state["exp_avg"] = Tensor(self._zeros_like(x))
                    state["exp_avg_sq"] = Tensor(self._zeros_like(x))
                step = self._count_step(state)
                if wd != 0 and decoupled:
                    x *= 1 - lr * wd
                g = self._grad(p, 0 if decoupled else wd, group["maximize"])
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                update, tmp = self._scratch(x, 1), self._scratch(x, 2)

                self._lerp_(m, g, 1 - beta1, tmp)
                v *= beta2
                np.multiply(g, 1 - beta2, out=tmp)
                tmp *= g
                v += tmp
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                np.divide(m, bias_correction1, out=update)
                update *= lr
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    np.sqrt(v, out=tmp)
                    tmp += eps
                    np.divide(bias_correction2 ** 0.5, tmp, out=tmp)
                    update *= tmp
                    update *= rect
                x -= update
                p._vc[0] += 1
        return loss
