"""The affine map ``x @ W.T + b`` as one primitive, the hot path of every MLP.

One node instead of transpose + matmul + add: fewer temporaries and graph nodes per layer, and
the weight gradient is a single GEMM over the flattened batch.
"""
from __future__ import annotations

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops.linalg import Einsum, matmul_2d


class Linear(Op):
    """``x (*, in) @ w (out, in).T + b (out,)``; ``b`` may be None."""

    def node_name_for(ctx):
        # PyTorch's linear is addmm (or mm) on 2-D input, a view of one on other ranks
        if ctx.x_ndim == 2:
            return "AddmmBackward0" if ctx.has_bias else "MmBackward0"
        if ctx.x_ndim == 1 and not ctx.has_bias:
            return "SqueezeBackward4"
        return "ViewBackward0" if ctx.has_bias else "UnsafeViewBackward0"

    def forward(ctx, x, w, b):
        ctx.x_ndim, ctx.has_bias = x.ndim, b is not None
        xp = get_array_module(x, w)
        if x.ndim > 2:  # one GEMM over the flattened batch, not one per leading index
            out = matmul_2d(x.reshape(-1, x.shape[-1]), w.T).reshape(*x.shape[:-1], w.shape[0])
        elif x.ndim == 2:  # as it is: reshape(-1, 0) of an empty input has no answer
            out = matmul_2d(x, w.T)
        else:
            out = xp.matmul(x, w.T)
        if b is not None:
            out += b
        ctx.save_for_backward(x, w)
        return out

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        grad_x = grad.matmul(w) if need_x else None
        grad_w = grad_b = None
        if need_w or need_b:
            g2 = grad.reshape(-1, grad.shape[-1])
            if need_w:
                grad_w = g2.t().matmul(x.reshape(-1, x.shape[-1]))
            if need_b:
                grad_b = g2.sum(0)
        return grad_x, grad_w, grad_b


class Bilinear(Op):
    """``y_k = x1 W_k x2 + b_k`` for ``x1 (N, in1)``, ``x2 (N, in2)``, ``W (out, in1, in2)``."""

    def forward(ctx, x1, x2, w, b):
        xp = get_array_module(x1, x2, w)
        out = xp.einsum("ni,oij,nj->no", x1, w, x2, optimize=True)
        if b is not None:
            out += b
        ctx.save_for_backward(x1, x2, w)
        return out

    def backward(ctx, grad):
        x1, x2, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        g1 = Einsum.apply("no,oij,nj->ni", grad, w, x2) if need[0] else None
        g2 = Einsum.apply("no,oij,ni->nj", grad, w, x1) if need[1] else None
        gw = Einsum.apply("no,ni,nj->oij", grad, x1, x2) if need[2] else None
        gb = grad.sum(0) if need[3] else None
        return g1, g2, gw, gb
