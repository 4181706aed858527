"""Matrix products: batched ``matmul`` and ``einsum``."""
from __future__ import annotations

import string
from typing import Any

import numpy

from latte._threads import one_blas_thread, run_tasks
from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import device_guard, get_array_module
from latte.ops.index import open_grids

# a product cut into blocks: one per this many multiply-adds (~0.1 ms on one core), at most 4
_BLOCK_PRODUCTS = 1 << 23
_MAX_BLOCKS = 4


def matmul_2d(a: Any, b: Any) -> Any:
    """``a @ b`` for 2-D operands. On the CPU every product runs on one BLAS thread, and a
    large one is cut into blocks of rows (or of columns, when ``b`` is the wider) that Latte's
    threads take as tasks, the same grid at any thread count.

    OpenBLAS's own workers busy-wait ~50 ms after each product they share, on a core that the
    convolutions' tasks and the blocked passes then lack: LeNet's step (two linear layers
    after its convolutions) ran 33.6 ms with its products on two BLAS threads, 22 ms so.
    """
    xp = get_array_module(a, b)
    if xp is not numpy:
        return xp.matmul(a, b)
    m, n = a.shape[0], b.shape[1]
    out = numpy.empty((m, n), numpy.result_type(a, b))
    blocks = min(_MAX_BLOCKS, max(1, m * n * a.shape[1] // _BLOCK_PRODUCTS), max(m, n))
    by_rows = m >= n
    size = m if by_rows else n
    bounds = [size * i // blocks for i in range(blocks + 1)]

    def block(i: int) -> None:
        lo, hi = bounds[i], bounds[i + 1]
        if by_rows:
            numpy.matmul(a[lo:hi], b, out=out[lo:hi])
        else:
            numpy.matmul(a, b[:, lo:hi], out=out[:, lo:hi])
    if blocks == 1:
        with one_blas_thread():
            block(0)
    else:
        run_tasks(block, blocks)
    return out


def stacked_matmul(a: Any, b: Any, out: Any) -> Any:
    """``out[g] = a[g] @ b[g]`` for each group, one 2-D product each. Measured with a 2-thread
    OpenBLAS: NumPy's stacked matmul of these strided stacks ran 5-100x slower than the same
    2-D products (a 3-channel conv's (27, P) @ (P, 64) weight gradient: 2 s against 0.02 s);
    on one thread the two are equal. Every 2-D operand here is a BLAS matrix as it is."""
    xp = get_array_module(a, b)
    for i in range(a.shape[0]):
        xp.matmul(a[i], b[i], out=out[i])
    return out


class MatMul(Op):
    """``a @ b`` for operands of at least two dims, broadcasting the batch dims."""

    def node_name_for(ctx):
        return {(2, 2): "MmBackward0", (3, 3): "BmmBackward0"}.get(ctx.ndims,
                                                                 "UnsafeViewBackward0")

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.ndims = (a.ndim, b.ndim)
        if a.ndim == 2 and b.ndim == 2:
            return matmul_2d(a, b)
        return get_array_module(a, b).matmul(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # each gradient in its operand's memory order: the gradient of ``w.t()`` is then the
        # transpose of a C-ordered product, so ``w.grad`` is C-ordered like ``w`` (NumPy's
        # elementwise passes over a transposed 2-D array, an optimizer's, run ~30x slower)
        if need_a:
            grad_a = b.matmul(grad.mT).mT if _transposed(a) else grad.matmul(b.mT)
        if need_b:
            grad_b = grad.mT.matmul(a).mT if _transposed(b) else a.mT.matmul(grad)
        return grad_a if need_a else None, grad_b if need_b else None


def _transposed(t: Any) -> bool:
    """A 2-D operand stored column-major (a ``.t()`` of a row-major matrix)."""
    flags = t._data.flags
    return t.ndim == 2 and flags.f_contiguous and not flags.c_contiguous


def _expand_ellipsis(equation: str, shapes: list) -> str:
    """Rewrite ``...`` in an einsum equation as explicit letters, and add an output if implicit."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    used = set(equation)
    spare = [c for c in string.ascii_letters if c not in used]
    widest = 0
    for term, shape in zip(terms, shapes):
        if "..." in term:
            widest = max(widest, len(shape) - (len(term) - 3))
    ell = "".join(spare[:widest])
    new_terms = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            n = len(shape) - (len(term) - 3)
            term = term.replace("...", ell[widest - n:])
        new_terms.append(term)
    if not arrow:
        counts: dict = {}
        for c in "".join(new_terms):
            counts[c] = counts.get(c, 0) + 1
        rhs = "..." + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    rhs = rhs.replace("...", ell)
    return ",".join(new_terms) + "->" + rhs


class Einsum(Op):
    """``einsum(equation, *operands)``; each operand's gradient is itself an einsum."""

    def forward(ctx, equation, *arrays):
        xp = get_array_module(*arrays)
        ctx.equation = _expand_ellipsis(equation, [a.shape for a in arrays])
        ctx.shapes = [a.shape for a in arrays]
        ctx.save_for_backward(*arrays)
        return xp.asarray(xp.einsum(ctx.equation, *arrays, optimize=len(arrays) > 2))

    def backward(ctx, grad):
        operands = ctx.saved_tensors
        lhs, rhs = ctx.equation.split("->")
        terms = lhs.split(",")
        grads: list = [None]
        for i, (term, need) in enumerate(zip(terms, ctx.needs_input_grad[1:])):
            if not need:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(terms) if j != i]
            available = set(rhs).union(*others) if others else set(rhs)
            unique = "".join(dict.fromkeys(term))  # a repeated letter (``ii``) counts once
            present = "".join(c for c in unique if c in available)
            eq = ",".join([rhs] + others) + "->" + present
            g = Einsum.apply(eq, grad, *[o for j, o in enumerate(operands) if j != i])
            if present != term:
                # letters summed away inside this operand alone, or repeated in it: broadcast
                # the gradient back, onto the diagonal for repeated ones
                shape = ctx.shapes[i]
                view = [shape[k] if c in present and term.index(c) == k else 1
                        for k, c in enumerate(term)]
                g = g.reshape(view).expand(shape)
                if unique != term:
                    with device_guard(g.device):  # its arrays belong on g's GPU
                        mask = _diagonal_mask(g._xp(), term, shape, g._data.dtype)
                    g = g * function.Tensor(mask)
            grads.append(g)
        return tuple(grads)


def _diagonal_mask(xp: Any, term: str, shape: tuple, dtype: Any) -> Any:
    """1 where every repeated letter of ``term`` has equal indices (``ii`` -> the identity)."""
    index = open_grids(xp, shape)
    mask = xp.ones((1,) * len(shape), dtype=bool)
    for k, c in enumerate(term):
        first = term.index(c)
        if first != k:
            mask = mask & (index[k] == index[first])
    return xp.broadcast_to(mask, shape).astype(dtype)
