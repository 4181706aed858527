"""Adafactor: Adam-like steps with factored second moments for matrices."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern, 2018), as ``torch.optim.Adafactor``.

    At step :math:`t` (from 1), with gradient :math:`G` (negated if ``maximize``),
    ``beta2_t = 1 - t^beta2_decay`` and ``eps1`` defaulting to the dtype's machine epsilon::

        rho <- min(lr, 1 / sqrt(t));   alpha <- max(eps2, RMS(theta)) * rho
        theta <- theta * (1 - lr * weight_decay)
        R <- beta2_t R + (1 - beta2_t) mean(G^2, -1);  C <- likewise with mean(G^2, -2)
        V <- R C / max(mean(R, -2), eps1)        for >= 2-D parameters (factored)
        V <- beta2_t V + (1 - beta2_t) G^2        otherwise
        U <- G / max(sqrt(V), eps1);   theta <- theta - alpha U / max(1, RMS(U) / d)

    State per parameter: ``step`` and either ``row_var`` (shape with last dim 1) and
    ``col_var`` (shape with second-to-last dim 1), or ``variance`` for vectors and scalars.

    Example::

        >>> model = latte.nn.Linear(4, 2)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.Adafactor(model.parameters(), lr=1e-2)
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _grad(self, p: Tensor, weight_decay: float, maximize: bool) -> np.ndarray:
        # the decay is decoupled and comes after alpha reads the parameter: _update applies it
        return super()._grad(p, 0, maximize)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        state["step"] = self._new_step()
        if x.ndim > 1:
            state["row_var"] = Tensor(self._zeros_like(x[..., :1]))
            state["col_var"] = Tensor(self._zeros_like(x[..., :1, :]))
        else:
            state["variance"] = Tensor(self._zeros_like(x))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        lr, d, weight_decay = float(group["lr"]), group["d"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(np.finfo(x.dtype).eps)
        one_minus_beta2 = step ** group["beta2_decay"]
        rho = min(lr, 1 / math.sqrt(step))
        alpha = max(eps2, float(np.sqrt(np.vdot(x, x).real)) / math.sqrt(max(x.size, 1))) * rho
        if weight_decay != 0:
            x *= 1 - lr * weight_decay
        sq = np.multiply(g, g, out=self._scratch(x, 1))
        if x.ndim > 1:
            row, col = state["row_var"]._data, state["col_var"]._data
            self._lerp_(row, sq.mean(axis=-1, keepdims=True), one_minus_beta2,
                        self._scratch(row, 2))
            self._lerp_(col, sq.mean(axis=-2, keepdims=True), one_minus_beta2,
                        self._scratch(col, 3))
            var = np.matmul(row, col, out=sq)
            var /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]._data
            self._lerp_(variance, sq, one_minus_beta2, self._scratch(x, 2))
            np.copyto(sq, variance)  # a copy: the state stays unwritten below
            var = sq
        # eps1 squared before the root keeps its magnitude
        np.maximum(var, eps1 * eps1, out=var)
        update = np.sqrt(var, out=var)
        np.divide(1.0, update, out=update)  # rsqrt, then times g, rounded as PyTorch's
        update *= g
        rms = float(np.sqrt(np.vdot(update, update).real)) / math.sqrt(max(update.size, 1))
        update *= -alpha / max(1.0, rms / d)
        x += update
