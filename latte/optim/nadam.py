"""NAdam: Adam with Nesterov momentum and a momentum schedule."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte.optim.adam import _check_adam_options
from latte.optim.optimizer import Optimizer, ParamsT, _scalar_dtype
from latte.tensor import Tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016), as ``torch.optim.NAdam``.

    At step :math:`t` (from 1), with gradient :math:`g` (negated if ``maximize``)::

        theta <- theta * (1 - lr * weight_decay)   if decoupled_weight_decay
        g <- g + weight_decay * theta              otherwise
        mu_t <- beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
        P_t <- P_{t-1} * mu_t                      (mu_product, a 0-d float32 tensor)
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g^2
        d <- sqrt(v / (1 - beta2^t)) + eps
        theta <- theta - lr * (1 - mu_t) / (1 - P_t) * g / d
                       - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d

    State per parameter: ``step``, ``mu_product``, ``exp_avg`` (m), ``exp_avg_sq`` (v).

    Example::

        >>> model = latte.nn.Linear(4, 2)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.NAdam(model.parameters(), lr=2e-3, momentum_decay=4e-3)
    """

    def __init__(self, params: ParamsT, lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_options(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        if differentiable:
            raise ValueError("Latte's optimizers are not differentiable (differentiable=True)")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = self._new_step()
        state["mu_product"] = Tensor(np.ones((), dtype=_scalar_dtype()))
        state["exp_avg"] = Tensor(self._zeros_like(x))
        state["exp_avg_sq"] = Tensor(self._zeros_like(x))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        lr, eps, psi = group["lr"], group["eps"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        denom, tmp = self._scratch(x, 1), self._scratch(x, 2)

        bias_correction2 = 1 - beta2 ** step
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
        # the product is kept in the state's own (float32) precision, as PyTorch does
        mu_product = state["mu_product"]._data
        mu_product *= mu
        mu_product = float(mu_product)
        self._lerp_(m, g, 1 - beta1, tmp)
        v *= beta2
        np.multiply(g, 1 - beta2, out=tmp)
        tmp *= g
        v += tmp
        np.divide(v, bias_correction2, out=denom)
        np.sqrt(denom, out=denom)
        denom += eps
        np.divide(g, denom, out=tmp)
        tmp *= -lr * (1.0 - mu) / (1.0 - mu_product)
        x += tmp
        np.divide(m, denom, out=tmp)
        tmp *= -lr * mu_next / (1.0 - mu_product * mu_next)
        x += tmp
