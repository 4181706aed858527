"""Fused losses. Softmax cross-entropy: log-softmax and negative log-likelihood in one primitive.

Forward subtracts the row max before ``exp`` (no overflow, no ``log 0``); backward is the closed
form ``softmax - onehot`` (with class weights, ``ignore_index`` and label smoothing folded in),
one pass over the logits instead of the chain of nodes the composition would record.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import numpy as np

from latte.autograd import function
from latte.autograd.function import Op
from latte.autograd.grad_mode import _state
from latte.backend import get_array_module, is_device_array


class SoftmaxCrossEntropy(Op):
    """Cross-entropy of logits ``x (M, C)`` against class indices ``target (M,)``.

    ``loss_i = v_i [(1 - eps) w_{t_i} (-log p_{i t_i}) + eps / C * sum_c w_c (-log p_ic)]``
    with ``p = softmax(x)``, ``v_i = (t_i != ignore_index)``; reduced by ``'none'``, ``'sum'`` or
    ``'mean'`` (divided by ``sum_i v_i w_{t_i}``, as PyTorch).
    """

    def forward(ctx, x, target, weight, ignore_index, smoothing, reduction):
        xp = get_array_module(x)
        m, c = x.shape
        shifted = x - x.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        logp = shifted
        logp -= xp.log(total)
        valid = target != ignore_index
        t = xp.where(valid, target, 0)
        on_gpu = is_device_array(x)
        if on_gpu:
            # checking would copy to the host every step (PyTorch asserts on the device):
            # targets out of range are clipped here and turn their losses into NaN below
            out_of_range = (t < 0) | (t >= c)
            t = xp.clip(t, 0, c - 1)
        elif m and (t.min() < 0 or t.max() >= c):
            bad = t[(t < 0) | (t >= c)][0]
            raise IndexError(f"cross_entropy: target {int(bad)} is out of bounds for {c} "
                             f"classes")
        w_t = weight[t] * valid if weight is not None else valid.astype(x.dtype)
        picked = -xp.take_along_axis(logp, t[:, None], axis=1)[:, 0]
        loss = picked * w_t
        if smoothing:
            loss *= 1.0 - smoothing
            smooth = -(logp @ weight if weight is not None else logp.sum(axis=1))
            loss += (smoothing / c) * smooth * valid
        if on_gpu:
            loss = xp.where(out_of_range, xp.nan, loss)
        ctx.denominator = None
        if reduction == "sum":
            out = loss.sum()
        elif reduction == "mean":
            ctx.denominator = w_t.sum()
            errstate = getattr(xp, "errstate", None)  # NumPy warns on 0/0, CuPy has none
            with errstate(invalid="ignore") if errstate else nullcontext():
                out = loss.sum() / ctx.denominator  # every target ignored: NaN, as PyTorch
        else:
            out = loss
        e /= total
        ctx.weight, ctx.smoothing, ctx.reduction = weight, smoothing, reduction
        # the softmax and the per-row targets and weights: freed after backward like the input
        ctx.save_for_backward(x, e, t, w_t, valid)
        return out.astype(x.dtype, copy=False)

    def backward(ctx, grad):
        x, *rows_saved = ctx.saved_tensors
        probs, t, w_t, valid = (r._data for r in rows_saved)
        if _state.enabled:  # create_graph=True: the same formula from differentiable ops
            return (_backward_composed(ctx, x, grad, t, w_t, valid), None, None, None, None,
                    None)
        xp = get_array_module(x._data)
        g = probs.copy()  # the softmax; copied so retain_graph can run backward again
        m, c = g.shape
        rows = xp.arange(m)
        eps = ctx.smoothing
        if eps:
            w = ctx.weight
            total_w = w.sum() if w is not None else c
            smooth = (g * total_w - (w if w is not None else 1.0)) * (eps / c)
            g[rows, t] -= 1.0
            g *= w_t[:, None] * (1.0 - eps)
            g += smooth * valid[:, None]
        else:
            g[rows, t] -= 1.0
            g *= w_t[:, None]
        gd = grad._data
        if ctx.reduction == "none":
            g *= gd[:, None]
        elif ctx.denominator is not None:  # 'mean'
            g *= gd / nonzero_denominator(xp, ctx.denominator)
        else:
            g *= gd
        return function.Tensor(g.astype(x._data.dtype, copy=False)), None, None, None, None, None


def _backward_composed(ctx: Any, x: Any, grad: Any, t: Any, w_t: Any, valid: Any) -> Any:
    """The closed-form gradient written with Tensor ops, so it can be differentiated again."""
    xp = get_array_module(x._data)
    m, c = x.shape
    onehot = xp.zeros((m, c), dtype=x._data.dtype)
    onehot[xp.arange(m), t] = 1.0
    p = x.softmax(1)
    rows_valid = valid
    w_t = function.Tensor(w_t.astype(x._data.dtype)).unsqueeze(1)
    g = (p - function.Tensor(onehot)) * w_t
    eps = ctx.smoothing
    if eps:
        w = ctx.weight
        # 0-d: stays on its device
        total_w = function.Tensor(w.sum()) if w is not None else float(c)
        w_arr = function.Tensor(w) if w is not None else 1.0
        valid = function.Tensor(rows_valid.astype(x._data.dtype)).unsqueeze(1)
        g = g * (1.0 - eps) + (p * total_w - w_arr) * valid * (eps / c)
    if ctx.reduction == "none":
        return g * grad.unsqueeze(1)
    if ctx.denominator is not None:
        denominator = nonzero_denominator(xp, xp.asarray(ctx.denominator, dtype=x._data.dtype))
        return g * (grad / function.Tensor(denominator))
    return g * grad


def nonzero_denominator(xp: Any, denominator: Any) -> Any:
    """A mean's denominator for its gradient, 1 where it is 0: every target ignored makes the
    loss NaN but its gradient 0 (PyTorch's), not 0 * inf. Chosen on the device (no sync)."""
    return xp.where(denominator == 0, 1, denominator).astype(denominator.dtype, copy=False)


class BinaryCrossEntropy(Op):
    """``-(y log p + (1 - y) log(1 - p))`` elementwise, each log clamped at -100 (PyTorch's).

    The gradient is PyTorch's closed form ``(p - y) / max(p (1 - p), 1e-12)``: finite where
    ``p`` is exactly 0 or 1, where the chain rule through the clamped logs gives ``0 * inf``
    (a saturated sigmoid meeting its target would turn a whole step's gradients into NaN).
    """

    node_name = "BinaryCrossEntropyBackward0"

    def forward(ctx, p, y):
        xp = get_array_module(p, y)
        ctx.save_for_backward(p, y)
        with np.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100.0)
            log_q = xp.maximum(xp.log(1.0 - p), -100.0)
        return -(y * log_p + (1.0 - y) * log_q)

    def backward(ctx, grad):
        p, y = ctx.saved_tensors
        need_p, need_y = ctx.needs_input_grad
        grad_p = grad * (p - y) / ((1.0 - p) * p).clamp(min=1e-12) if need_p else None
        grad_y = None
        if need_y:  # unclamped, as PyTorch's: infinite where p is 0 or 1
            with np.errstate(divide="ignore"):
                grad_y = grad * ((1.0 - p).log() - p.log())
        return grad_p, grad_y
