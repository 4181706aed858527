"""Muon: momentum whose update is orthogonalised by a Newton-Schulz iteration."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte import backend
from latte.optim.optimizer import Optimizer, ParamsT
from latte.tensor import Tensor

__all__ = ["Muon"]

# Keller Jordan's quintic coefficients and defaults, as torch.optim.Muon's
EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(a: Any) -> Any:
    """``a`` (float32) rounded to bfloat16 (nearest, ties to even), kept as float32.

    PyTorch runs the iteration in bfloat16; rounding each result the same way keeps the two
    trajectories together.
    """
    xp = backend.get_array_module(a)
    bits = xp.ascontiguousarray(a, dtype=xp.float32).view(xp.uint32)
    bits = (bits + (0x7FFF + ((bits >> 16) & 1))) & xp.uint32(0xFFFF0000)
    return bits.view(xp.float32)


def _zeropower_via_newtonschulz(grad: Any, ns_coefficients: tuple[float, float, float],
                                ns_steps: int, eps: float) -> Any:
    """``ns_steps`` Newton-Schulz iterations towards the orthogonal factor of ``grad (A, B)``,
    in bfloat16 precision; returns a float32 array of ``grad``'s shape."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    wide = grad.shape[0] > grad.shape[1]
    x = _bf16(grad.T if wide else grad)  # the Gram matrix on the short side is the small one
    # a spectral norm at most 1: divide by the Frobenius norm
    norm = _bf16(np.asarray(np.sqrt(np.vdot(x, x)), dtype=np.float32))
    x = _bf16(x / np.maximum(norm, np.float32(eps)))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        update = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + update @ x)
    return x.T if wide else x


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple) -> float:
    """The learning rate scaled for a ``(A, B)`` matrix so updates have a like RMS."""
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    r"""Muon (Jordan et al., 2024), as ``torch.optim.Muon``, for 2-D parameters only.

    With gradient :math:`g` and ``NS`` the bfloat16 Newton-Schulz orthogonalisation of
    ``ns_steps`` iterations with coefficients ``ns_coefficients``::

        B <- momentum * B + (1 - momentum) * g
        U <- NS(g + momentum * (B - g))  if nesterov, else NS(B)
        theta <- theta * (1 - lr * weight_decay) - adjusted_lr * U

    ``adjusted_lr`` is ``lr * sqrt(max(1, A / B))`` (``adjust_lr_fn=None`` or ``"original"``)
    or ``0.2 * lr * sqrt(max(A, B))`` (``"match_rms_adamw"``) for an ``(A, B)`` parameter.
    State per parameter: ``momentum_buffer``. Give biases, embeddings and other non-2-D
    parameters to another optimizer, such as AdamW.

    Example::

        >>> model = latte.nn.Linear(4, 3)
        >>> loss = model(latte.randn(8, 4)).pow(2).mean()
        >>> opt = latte.optim.Muon([model.weight], lr=0.02, momentum=0.95)
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init__(self, params: ParamsT, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS,
                 adjust_lr_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    def _grad(self, p: Tensor, weight_decay: float, maximize: bool) -> np.ndarray:
        # the decay is decoupled, applied in _update beside the orthogonalised step
        if p.grad._data.ndim != 2:
            raise ValueError("Param gradient must be a 2D matrix")
        return super()._grad(p, 0, maximize)

    def _init_state(self, state: dict[str, Any], x: np.ndarray, group: dict[str, Any]) -> None:
        state["momentum_buffer"] = Tensor(self._zeros_like(x))

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any],
                group: dict[str, Any], step: float) -> None:
        lr, momentum = float(group["lr"]), group["momentum"]
        buf = state["momentum_buffer"]._data
        tmp = self._scratch(x, 1)
        self._lerp_(buf, g, 1 - momentum, tmp)
        if group["nesterov"]:
            np.copyto(tmp, g)
            self._lerp_(tmp, buf, momentum, self._scratch(x, 2))
            direction = tmp
        else:
            direction = buf
        update = _zeropower_via_newtonschulz(direction.astype(np.float32, copy=False),
                                             group["ns_coefficients"], group["ns_steps"],
                                             group["eps"])
        adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], x.shape)
        x *= 1 - lr * group["weight_decay"]
        x -= adjusted_lr * update.astype(x.dtype, copy=False)
