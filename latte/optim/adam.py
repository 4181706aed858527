"""Adam, and AdamW through ``decoupled_weight_decay``."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["Adam"]


def _check_adam_options(lr: float, betas: tuple[float, float], eps: float,
                        weight_decay: float) -> None:
    """PyTorch's checks (and messages) for the options the Adam family shares."""
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2014), as ``torch.optim.Adam``.

    At step :math:`t` (counting from 1), with gradient :math:`g` (negated if ``maximize``)::

        theta <- theta * (1 - lr * weight_decay)     if decoupled_weight_decay (AdamW)
        g <- g + weight_decay * theta                otherwise (L2 penalty)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        vmax <- max(vmax, v); use vmax for v        if amsgrad
        theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    State per parameter: ``step`` (0-d float tensor), ``exp_avg`` (m), ``exp_avg_sq`` (v) and
    ``max_exp_avg_sq`` with ``amsgrad``.

    Example::

        >>> model = latte.nn.Linear(4, 2)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        if differentiable:
            raise ValueError("Latte's optimizers are not differentiable (differentiable=True)")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = self._new_step()
        state["exp_avg"] = Tensor(self._zeros_like(x))
        state["exp_avg_sq"] = Tensor(self._zeros_like(x))
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = Tensor(self._zeros_like(x))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        lr, eps = group["lr"], group["eps"]
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        tmp = self._scratch(x, 1)

        self._lerp_(m, g, 1 - beta1, tmp)
        v *= beta2
        np.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v += tmp

        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = math.sqrt(1 - beta2 ** step)
        if group["amsgrad"]:
            vmax = state["max_exp_avg_sq"]._data
            np.maximum(vmax, v, out=vmax)
            v = vmax
        np.sqrt(v, out=tmp)  # tmp = denominator
        tmp /= bias_correction2_sqrt
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= -step_size
        x += tmp
