"""Connectionist temporal classification loss: the alpha-beta recursions in log space.

Targets are spread over the extended label sequence ``l' = (blank, l_1, blank, ..., l_L,
blank)`` of length ``2L + 1``; a path may stay on a label, step to the next, or skip a blank
between two different labels. Both recursions loop over time only: each step is vectorised over
the batch and the extended sequence.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from latte.autograd import function
from latte.autograd.function import Op, once_differentiable
from latte.backend import get_array_module


def _logsumexp(xp: Any, *terms: Any) -> Any:
    """Elementwise ``log(sum(exp(terms)))``, ``-inf`` where every term is ``-inf``."""
    m = terms[0]
    for t in terms[1:]:
        m = xp.maximum(m, t)
    unreached = xp.isinf(m)
    safe = xp.where(unreached, 0.0, m)
    total = sum(xp.exp(t - safe) for t in terms)  # at least 1 where some term is finite
    return xp.log(xp.where(unreached, 1.0, total)) + m


def _shift(xp: Any, a: Any, k: int, fill: Any) -> Any:
    """``a`` moved ``k`` places along its last axis (right for ``k > 0``, left for ``k < 0``)."""
    out = xp.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _states(xp: Any, log_probs: Any, labels: Any, target_lengths: Any, blank: int) -> tuple:
    """The extended labels ``(N, S')``, where each state may skip from two places back, and
    the log-prob of every state at every frame ``(T, N, S')`` (``-inf`` past ``2L + 1``)."""
    n = labels.shape[0]
    s_ext = 2 * labels.shape[1] + 1
    ext = xp.full((n, s_ext), blank, dtype=xp.int64)
    ext[:, 1::2] = labels
    pos = xp.arange(s_ext)
    reachable = pos[None, :] < 2 * target_lengths[:, None] + 1
    ext = xp.where(reachable, ext, blank)
    # a skip over a blank: onto a label different from the one two places back
    skip = (pos[None, :] >= 2) & (ext != blank) & (ext != _shift(xp, ext, 2, blank))
    lp = log_probs[:, xp.arange(n)[:, None], ext]
    lp = xp.where(reachable, lp, xp.asarray(-xp.inf, dtype=log_probs.dtype))
    return ext, skip, lp


def _alpha(xp: Any, lp: Any, skip: Any) -> Any:
    """``alpha[t, n, s]``: log-prob of the paths through frames ``0..t`` that end in state
    ``s`` (``lp[t]`` included)."""
    neg_inf = xp.asarray(-xp.inf, dtype=lp.dtype)
    alpha = xp.full(lp.shape, neg_inf, dtype=lp.dtype)
    if lp.shape[0]:
        alpha[0, :, :2] = lp[0, :, :2]
    for t in range(1, lp.shape[0]):
        a = alpha[t - 1]
        alpha[t] = _logsumexp(xp, a, _shift(xp, a, 1, neg_inf),
                              xp.where(skip, _shift(xp, a, 2, neg_inf), neg_inf)) + lp[t]
    return alpha


class CtcLoss(Op):
    """Negative log-likelihood ``-log p(target | log_probs)`` of each batch element.

    ``log_probs (T, N, C)``; ``labels (N, S)`` the targets padded to the longest (any value in
    the padding); ``input_lengths``, ``target_lengths`` int arrays ``(N,)``. Returns ``(N,)``.
    The backward is PyTorch's closed form ``exp(lp) - exp(log(sum_s alpha beta) + nll - lp)``
    (the gradient for ``lp`` = log_softmax of logits, as PyTorch), zero past each input length
    and, with ``zero_infinity``, for impossible alignments.
    """

    quiet_fp = True  # log 0 and inf - inf are expected for unreachable states

    def forward(ctx, log_probs, labels, input_lengths, target_lengths, blank, zero_infinity):
        xp = get_array_module(log_probs)
        n = log_probs.shape[1]
        neg_inf = xp.asarray(-xp.inf, dtype=log_probs.dtype)
        _, skip, lp = _states(xp, log_probs, labels, target_lengths, blank)
        alpha = _alpha(xp, lp, skip)
        rows = xp.arange(n)
        last_t = xp.maximum(input_lengths - 1, 0)
        end = alpha[last_t, rows]  # (N, S') at each element's last frame
        tail = 2 * target_lengths
        loss = -_logsumexp(xp, end[rows, tail],
                           xp.where(tail > 0, end[rows, xp.maximum(tail - 1, 0)], neg_inf))
        # no frames: only the empty target is emitted, with probability one
        loss = xp.where(input_lengths > 0, loss, xp.where(target_lengths > 0, xp.inf, 0.0))
        loss = loss.astype(log_probs.dtype, copy=False)
        ctx.blank, ctx.zero_infinity = blank, zero_infinity
        ctx.save_for_backward(log_probs, labels, input_lengths, target_lengths, loss)
        return loss

    @once_differentiable  # PyTorch's CTC backward has no derivative either
    def backward(ctx, grad):
        log_probs, labels, input_lengths, target_lengths, loss = (
            s._data for s in ctx.saved_tensors)
        return function.Tensor(_ctc_grad(log_probs, labels, input_lengths, target_lengths, loss,
                                         grad._data, ctx.blank, ctx.zero_infinity)), \
            None, None, None, None, None


def _ctc_grad(log_probs: Any, labels: Any, input_lengths: Any, target_lengths: Any,
              nll: Any, grad: Any, blank: int, zero_infinity: bool) -> Any:
    """PyTorch's CTC gradient for ``log_probs``, scaled by each element's incoming ``grad``."""
    xp = get_array_module(log_probs)
    errstate = getattr(xp, "errstate", None)  # NumPy warns on inf - inf, CuPy has none
    with errstate(divide="ignore", invalid="ignore", over="ignore") if errstate else \
            nullcontext():
        return _ctc_grad_arrays(xp, log_probs, labels, input_lengths, target_lengths, nll, grad,
                                blank, zero_infinity)


def _ctc_grad_arrays(xp: Any, log_probs: Any, labels: Any, input_lengths: Any,
                     target_lengths: Any, nll: Any, grad: Any, blank: int,
                     zero_infinity: bool) -> Any:
    t_max, n, c = log_probs.shape
    s_ext = 2 * labels.shape[1] + 1
    dtype = log_probs.dtype
    neg_inf = xp.asarray(-xp.inf, dtype=dtype)
    ext, skip, lp = _states(xp, log_probs, labels, target_lengths, blank)
    skip_from = _shift(xp, skip, -2, False)  # state s may skip to s + 2
    # recomputed, not saved: a (T, N, S') array would otherwise live until backward
    alpha = _alpha(xp, lp, skip)
    pos = xp.arange(s_ext)
    # beta[t, s]: log-prob of finishing from state s at frame t, lp[t] included
    tail = 2 * target_lengths
    final = (pos[None, :] == tail[:, None]) | ((pos[None, :] == tail[:, None] - 1)
                                              & (tail[:, None] > 0))
    beta = xp.full((t_max, n, s_ext), neg_inf, dtype=dtype)
    b = xp.full((n, s_ext), neg_inf, dtype=dtype)
    for t in range(t_max - 1, -1, -1):
        step = _logsumexp(xp, b, _shift(xp, b, -1, neg_inf),
                          xp.where(skip_from, _shift(xp, b, -2, neg_inf), neg_inf)) + lp[t]
        last = (input_lengths - 1 == t)[:, None]
        b = xp.where(last, xp.where(final, lp[t], neg_inf),
                     xp.where((t < input_lengths - 1)[:, None], step, neg_inf))
        beta[t] = b
    ab = alpha + beta  # (T, N, S')
    # log sum over the states of each class: a scatter of exp(ab - max) into (T, N, C)
    m = ab.max(axis=2, keepdims=True)
    m = xp.where(xp.isinf(m), 0.0, m)
    flat = (xp.arange(t_max * n).reshape(t_max, n, 1) * c + ext[None]).ravel()
    sums = xp.bincount(flat, weights=xp.exp(ab - m).ravel(), minlength=t_max * n * c)
    sums = sums.reshape(t_max, n, c)
    lcab = xp.where(sums > 0, xp.log(xp.where(sums > 0, sums, 1.0)) + m, neg_inf)
    g = xp.exp(log_probs) - xp.exp(lcab + nll[None, :, None] - log_probs)
    keep = xp.arange(t_max)[:, None] < input_lengths[None, :]  # (T, N)
    if zero_infinity:
        keep = keep & ~xp.isinf(nll)[None, :]
    g = xp.where(keep[:, :, None], g * grad[None, :, None], 0.0)
    return g.astype(dtype, copy=False)
