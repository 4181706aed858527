"""SparseAdam: Adam on the rows a sparse gradient touches."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""Adam masked to the entries of a sparse COO gradient, as ``torch.optim.SparseAdam``.

    For dense parameters whose gradients are ``latte.sparse`` COO tensors: only the entries
    the (coalesced) gradient stores move; there, at step :math:`t` with value :math:`g`::

        m <- beta1 * m + (1 - beta1) * g;   v <- beta2 * v + (1 - beta2) * g^2
        theta <- theta - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)

    A dense gradient raises ``RuntimeError`` (use :class:`Adam`). State per parameter:
    ``step`` (a Python int, as PyTorch keeps it here), ``exp_avg``, ``exp_avg_sq``.

    Example::

        >>> w = latte.nn.Parameter(latte.zeros(4, 2))
        >>> opt = latte.optim.SparseAdam([w], lr=0.1)
        >>> w.grad = latte.sparse_coo_tensor([[1, 3]], latte.ones(2, 2), (4, 2))
        >>> opt.step()
        >>> [round(v, 4) for v in w[1].tolist()], w[0].tolist()
        ([-0.1, -0.1], [0.0, 0.0])
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        where = [[i, j] for i, g in enumerate(self.param_groups)
                 for j, p in enumerate(g["params"]) if p.is_sparse]
        if where:
            raise ValueError(f"Sparse params at indices {where}: SparseAdam requires dense "
                             f"parameter tensors")
        where = [[i, j] for i, g in enumerate(self.param_groups)
                 for j, p in enumerate(g["params"]) if p.is_complex()]
        if where:
            raise ValueError(f"Complex params at indices {where}: SparseAdam does not support "
                             f"complex parameters")

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one step; ``closure`` (optional) recomputes and returns the loss."""
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            for p in self._params_with_grad(group):
                if not p.grad.is_sparse:
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = Tensor(self._zeros_like(p._data))
                    state["exp_avg_sq"] = Tensor(self._zeros_like(p._data))
                # a loaded state_dict may hold the count as a 0-d tensor
                state["step"] = int(state["step"]) + 1
                self._update_rows(p, state, group)
        return loss

    @staticmethod
    def _update_rows(p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """The Adam update on the entries the coalesced gradient stores (the update is not
        linear, so duplicate indices are summed first)."""
        grad = p.grad.coalesce()
        g = grad._values()._data
        if g.size == 0:
            return
        if group["maximize"]:
            g = -g
        rows = tuple(grad._indices()._data)
        x, m, v = p._data, state["exp_avg"]._data, state["exp_avg_sq"]._data
        beta1, beta2 = group["betas"]
        m_rows = m[rows] + (g - m[rows]) * (1 - beta1)
        v_rows = v[rows] + (g * g - v[rows]) * (1 - beta2)
        m[rows], v[rows] = m_rows, v_rows
        t = state["step"]
        step_size = float(group["lr"]) * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        x[rows] -= step_size * (m_rows / (np.sqrt(v_rows) + group["eps"]))
        p._vc[0] += 1
