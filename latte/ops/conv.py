"""Convolution primitives: channels-last windows feeding one matrix product per group.

Three ops close the family under differentiation, so double backward comes free:

* ``Conv2d(x, w, b)``: ``y = conv(x, w) + b``, im2col of ``x`` then one GEMM.
* ``ConvTranspose2d(y, w, b)``: the adjoint of ``conv`` in ``x`` (its input gradient, and
  ``F.conv_transpose2d``): with stride 1 a conv with the flipped kernel, otherwise one GEMM and
  col2im by adding one strided slice per kernel tap (never ``add.at``).
* ``ConvWeight(x, gy)``: the adjoint of ``conv`` in ``w`` (its weight gradient).

Each backward is written with the other two (a stride-1 ``Conv2d`` takes both its gradients
from one patch matrix, ``stride1_gradients``, where no graph of the backward is asked for).
Inside, activations are NHWC (channels-last): the window copies then move runs of ``kw * C``
contiguous values instead of single elements, which is where an NCHW im2col spends its time.
Outputs are NHWC arrays shown as NCHW views, so the next conv or pool transposes back for free.

Memory: ``Conv2d`` saves only its input and weight (as PyTorch does), never the patch matrix,
which for a 3x3 kernel is 9 times its input. Patches are built for a chunk of the batch at a
time in one reused scratch buffer, multiplied (one BLAS call per chunk and group, written
straight into the output), and built again in backward (a stride-1 layer builds those of
``gy``, once for both gradients). A chunk's scratch (its zero-padded channels-last copy and its
patches) takes at most ``workspace_bytes`` (4 MiB by default; a chunk is at least one image):
set ``latte.ops.conv.workspace_bytes`` at run time, or ``LATTE_CONV_WORKSPACE_MB`` in the
environment before ``import latte``. On the CPU the buffers are kept per thread and reused, so
a step pays no page faults for them, and the chunks (at least ``_MIN_CHUNKS`` a batch) are
tasks that the threads take in turn, each chunk's products on one BLAS thread
(``_over_chunks``). Patches written and at once read by the product are faster while a chunk
stays in the last-level cache: on the 2-core CPU (32 MiB L3), 4-8 MiB chunks ran a 64- or
128-channel layer's forward and gradients 13-20% faster than 16-32 MiB; with a chunk per
thread, 4 MiB ran the MNIST ResNet step 7% faster than 6 MiB (119 against 128 ms) and the
CIFAR nets alike.

Wide 3x3 stride-1 layers (``_uses_winograd``) skip the patch matrix: their forward, input
gradient and weight gradient run Winograd's F(2x2, 3x3) (``ops/winograd.py``), 16 products
with K = C instead of one with K = 9C, in chunks of at most ``winograd_workspace_bytes``
(64 MiB: each product's rows are the chunk's tiles, and NumPy's 2-thread sgemm wants
several hundred of them: (M, 512) @ (512, 512) ran at 129 GFLOP/s with M = 176, the 11 images of
a 16 MiB chunk at 8x8, against 190 with M = 704; the C5L3 step 2,055 -> 1,492 ms, in one
process alternating the two).

Geometry shared by all three: ``stride``, ``dilation`` as ``(h, w)`` pairs, ``pads`` as
``(top, bottom, left, right)`` (asymmetric for ``padding='same'`` with even kernels), ``groups``.
"""
from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy

from latte._threads import run_tasks
from latte.autograd import function
from latte.autograd.function import Op
from latte.autograd.grad_mode import _state
from latte.backend import get_array_module, is_device_array
from latte.ops import buffer_pool, compiled, winograd
from latte.ops.linalg import stacked_matmul

__all__ = ["Conv2d", "ConvTranspose2d", "ConvWeight", "Unfold", "Fold", "col2im",
           "nhwc_padded", "out_size", "tap_slices", "windows"]


def out_size(size: int, kernel: int, stride: int, dilation: int, pad_total: int) -> int:
    """Output length of a sliding window: ``(size + pads - dilation * (k - 1) - 1) // s + 1``."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def nhwc_padded(x: Any, pads: tuple, fill: float = 0.0, extra: tuple = (0, 0)) -> Any:
    """``x`` (N, C, H, W) as a C-contiguous (N, H', W', C) array with ``pads`` of ``fill`` around.

    ``extra`` adds rows/columns of ``fill`` past the bottom/right (room for ceil-mode windows).
    """
    xp = get_array_module(x)
    t = x.transpose(0, 2, 3, 1)
    top, bottom, left, right = pads
    bottom, right = bottom + extra[0], right + extra[1]
    if not (top or bottom or left or right):
        return t if t.flags.c_contiguous else xp.ascontiguousarray(t)
    n, h, w, c = t.shape
    shape = (n, h + top + bottom, w + left + right, c)
    out = buffer_pool.empty(xp, shape, x.dtype)
    out.fill(fill)  # pads only would save little: the border rows are a small share
    out[:, top:top + h, left:left + w] = t
    return out


def windows(a: Any, kernel: tuple, stride: tuple, dilation: tuple, out_hw: tuple) -> Any:
    """Read-only view (N, Ho, Wo, kh, kw, C) of the sliding windows of a channels-last array."""
    xp = get_array_module(a)
    sn, sh, sw, sc = a.strides
    shape = (a.shape[0], out_hw[0], out_hw[1], kernel[0], kernel[1], a.shape[3])
    strides = (sn, sh * stride[0], sw * stride[1], sh * dilation[0], sw * dilation[1], sc)
    if is_device_array(a):  # CuPy's as_strided has no `writeable` (its views stay writable)
        return xp.lib.stride_tricks.as_strided(a, shape, strides)
    return xp.lib.stride_tricks.as_strided(a, shape, strides, writeable=False)


def tap_slices(i: int, j: int, stride: tuple, dilation: tuple, out_hw: tuple) -> tuple:
    """Index of the inputs that kernel tap ``(i, j)`` meets, in a padded channels-last array."""
    top, left = i * dilation[0], j * dilation[1]
    return (slice(None), slice(top, top + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
            slice(left, left + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


# --- the bounded workspace ---------------------------------------------------------------------
workspace_bytes = int(float(os.environ.get("LATTE_CONV_WORKSPACE_MB", "4")) * 2**20)
winograd_workspace_bytes = 64 * 2**20
_local = threading.local()  # per thread: two threads never share a patch buffer


def _workspace(xp: Any, shape: tuple, dtype: Any, slot: str = "patches") -> Any:
    """A scratch array of ``shape`` (its contents are garbage). On the CPU one buffer per
    thread, dtype and ``slot`` is reused, grown to the largest chunk asked for, so a step pays
    no page faults for it; a GPU library's memory pool already reuses its blocks."""
    if xp is not numpy:
        return xp.empty(shape, dtype)
    cache = getattr(_local, "buffers", None)
    if cache is None:
        cache = _local.buffers = {}
    key = (slot, numpy.dtype(dtype).str)
    size = math.prod(shape)
    buf = cache.get(key)
    if buf is None or buf.size < size:
        cache[key] = None  # free the smaller one first
        buf = cache[key] = numpy.empty(size, dtype)
    return buf[:size].reshape(shape)


_MIN_CHUNKS = 4  # a batch of 4 or more images is cut at least this often: work for each thread


def _batch_chunks(n: int, per_image: int, budget: int | None = None,
                  least: int | None = None) -> list:
    """``[(n0, n1), ...]`` batch ranges whose ``per_image``-byte workspaces fit in ``budget``
    bytes (``workspace_bytes`` by default; at least one image each), and at least ``least``
    (``_MIN_CHUNKS`` by default) of them where the batch allows: the same grid at any thread
    count, so that sums over the chunks come out the same."""
    step = max(1, (workspace_bytes if budget is None else budget) // max(per_image, 1))
    step = min(step, max(1, -(-n // (_MIN_CHUNKS if least is None else least))))
    return [(i, min(i + step, n)) for i in range(0, n, step)]


def _padded_geometry(hw: tuple, pads: tuple, kernel: tuple, stride: tuple,
                     dilation: tuple) -> tuple:
    """``(Ho, Wo)`` of the windows over an ``hw`` image with ``pads`` (top, bottom, left, right)."""
    return (out_size(hw[0], kernel[0], stride[0], dilation[0], pads[0] + pads[1]),
            out_size(hw[1], kernel[1], stride[1], dilation[1], pads[2] + pads[3]))


def _padded_chunk(t: Any, n0: int, n1: int, pads: tuple, slot: str = "padded") -> Any:
    """Images n0..n1 of the channels-last view ``t`` (N, H, W, C), as a C-contiguous array with
    ``pads`` of zeros around: a view when no copy is needed, else in the workspace's ``slot``."""
    top, bottom, left, right = pads
    chunk = t[n0:n1]
    if not (top or bottom or left or right) and chunk.flags.c_contiguous:
        return chunk
    nb, h, w, c = chunk.shape
    out = _workspace(get_array_module(t), (nb, h + top + bottom, w + left + right, c), t.dtype,
                     slot)
    # zero the border only: the interior is overwritten at once
    out[:, :top] = 0
    out[:, top + h:] = 0
    out[:, top:top + h, :left] = 0
    out[:, top:top + h, left + w:] = 0
    out[:, top:top + h, left:left + w] = chunk
    return out


def _patches(x: Any, pads: tuple, kernel: tuple, stride: tuple, dilation: tuple, groups: int,
             out_hw: tuple) -> tuple:
    """``(chunks, patches)``: the batch ranges ``[(n0, n1), ...]`` of ``x`` (N, C, H, W) whose
    patches fit the workspace, and ``patches(n0, n1)``, the (G, rows, kh*kw*C/G) patch matrices
    of images n0..n1 with ``pads`` around, built in the calling thread's reused workspaces (the
    padded channels-last chunk, then its patches), so no input-sized copy is ever made.

    Each group's matrix is a strided view with unit inner stride (a BLAS operand as is); a
    1x1 stride-1 kernel on channels-last memory needs no copy at all.
    """
    xp = get_array_module(x)
    n, c = x.shape[:2]
    t = x.transpose(0, 2, 3, 1)
    kh, kw = kernel
    ho, wo = out_hw
    cg = c // groups
    k = kh * kw * cg
    if kernel == (1, 1) and stride == (1, 1) and not any(pads) and t.flags.c_contiguous:
        def rows_of(n0: int, n1: int) -> Any:
            return t[n0:n1, :ho, :wo].reshape(-1, groups, cg).transpose(1, 0, 2)
        return _batch_chunks(n, 0), rows_of

    # channels-last input: the compiled im2col, with no padded copy
    compiled_patches = groups == 1 and c > 1 and t.flags.c_contiguous and compiled.usable(x)

    def patches(n0: int, n1: int) -> Any:
        nb = n1 - n0
        rows = nb * ho * wo
        if compiled_patches:
            cols = _workspace(xp, (nb, ho, wo, kh, kw, c), x.dtype)
            compiled.kernels("patches").patches(t[n0:n1], pads, stride, dilation, cols)
            return cols.reshape(1, rows, k)
        a = _padded_chunk(t, n0, n1, pads)
        if c == 1:
            # one channel: copy tap by tap into a (kh*kw, P) matrix, whose rows are contiguous
            # runs, and hand out its transpose (the product takes either layout as is)
            taps = _workspace(xp, (kh * kw, nb) + out_hw, x.dtype)
            for tap in range(kh * kw):
                taps[tap] = a[tap_slices(tap // kw, tap % kw, stride, dilation, out_hw)][..., 0]
            return taps.reshape(-1, rows).T[None]
        win = windows(a, kernel, stride, dilation, out_hw)
        cols = _workspace(xp, (nb, ho, wo, groups, kh, kw, cg), x.dtype)
        if groups == 1:
            cols[:, :, :, 0] = win
        else:  # group-major rows: each group's k columns sit side by side
            cols[...] = win.reshape(win.shape[:5] + (groups, cg)).transpose(0, 1, 2, 5, 3, 4, 6)
        return cols.reshape(rows, groups, k).transpose(1, 0, 2)
    hp, wp = x.shape[2] + pads[0] + pads[1], x.shape[3] + pads[2] + pads[3]
    return _batch_chunks(n, (ho * wo * kh * kw + hp * wp) * c * x.itemsize), patches


def _over_chunks(xp: Any, chunks: list, body: Callable[[int, int], Any]) -> list:
    """``[body(n0, n1) for each chunk]``: on the CPU the threads take the chunks in turn, each
    chunk's products on one BLAS thread (``run_tasks``); a GPU's kernels are parallel already.

    Measured on the 2-core CPU (forward, batch 64): 16->16 channels at 28x28 4.0 -> 2.6 ms,
    32->32 at 14x14 2.3 -> 1.9 ms against each chunk's product split over both cores.
    """
    if xp is not numpy:
        return [body(n0, n1) for n0, n1 in chunks]
    return run_tasks(lambda i: body(*chunks[i]), len(chunks))


_SUM_WAVE = 8  # chunks whose partial sums are in flight at once


def _summed_over_chunks(xp: Any, chunks: list, partial: Callable[[int, int], Any]) -> Any:
    """The sum of ``partial(n0, n1)`` over the chunks, added in chunk order (the same bits at
    any thread count), ``_SUM_WAVE`` chunks' partial sums held at a time."""
    total = None
    for start in range(0, len(chunks), _SUM_WAVE):
        for part in _over_chunks(xp, chunks[start:start + _SUM_WAVE], partial):
            total = part if total is None else xp.add(total, part, out=total)
    return total


def _im2col(x: Any, kernel: tuple, stride: tuple, pads: tuple, dilation: tuple) -> tuple:
    """The whole (N*Ho*Wo, kh*kw*C) patch matrix of ``x`` (N, C, H, W), and ``(Ho, Wo)``:
    ``F.unfold``'s result, which is the patch matrix itself (convolutions use ``_patches``)."""
    a = nhwc_padded(x, pads)
    out_hw = _padded_geometry(x.shape[2:], pads, kernel, stride, dilation)
    win = windows(a, kernel, stride, dilation, out_hw)
    return win.reshape(-1, kernel[0] * kernel[1] * a.shape[3]), out_hw


def _rows(g: Any) -> Any:
    """A (N, C, H, W) array as the (N*H*W, C) matrix of its channels-last layout."""
    t = g.transpose(0, 2, 3, 1)
    return t.reshape(-1, t.shape[3])


def _by_group(m: Any, groups: int) -> Any:
    """(P, G*k) rows as (G, P, k) stacks."""
    return m.reshape(m.shape[0], groups, -1).transpose(1, 0, 2)


def _weight_matrix(w: Any, groups: int) -> Any:
    """Kernel (O, C/G, kh, kw) as (G, kh*kw*C/G, O/G) matrices, rows in patch order."""
    xp = get_array_module(w)
    o, cg, kh, kw = w.shape
    wm = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1)
    return xp.ascontiguousarray(wm).reshape(groups, kh * kw * cg, o // groups)


# --- Winograd F(2x2, 3x3) for 3x3 stride-1 kernels (ops/winograd.py) ---------------------------
# Its transforms are memory passes that NumPy runs at a few GB/s, so it pays only where the
# products dominate: wide layers. Measured on the 2-core CPU (forward + both gradients,
# Winograd / im2col time, batch 128, with the kernel transform as one product): 512->512 at
# 4x4 0.76, 256->256 at 8x8 0.84, 256->256 at 4x4 1.02, 128->128 at 16x16 1.00, 64->64 at
# 32x32 1.23 (earlier, with a transposed copy of the kernel: 32->32 at 14x14 1.72).
winograd_min_products = 128 * 256  # input times output channels
winograd_min_pixels = 16  # input height times width


def _uses_winograd(x: Any, kernel: tuple, o: int, stride: tuple, dilation: tuple,
                   groups: int) -> bool:
    """3x3, stride 1, undilated, ungrouped, floating point and wide enough to pay."""
    return (tuple(kernel) == (3, 3) and stride == (1, 1) and dilation == (1, 1) and groups == 1
            and x.dtype.kind == "f" and x.size > 0 and o * x.shape[1] >= winograd_min_products
            and x.shape[2] * x.shape[3] >= winograd_min_pixels)


def _winograd_geometry(x: Any, pads: tuple) -> tuple:
    """``(Ho, Wo)``, the tile counts, and pads that make the padded input exactly cover the
    tiles (``2 * T + 2`` rows and columns: extra zeros past an odd output)."""
    out_hw = _padded_geometry(x.shape[2:], pads, (3, 3), (1, 1), (1, 1))
    tiles = winograd.tile_counts(out_hw)
    top, bottom, left, right = pads
    return out_hw, tiles, (top, bottom + 2 * tiles[0] - out_hw[0],
                           left, right + 2 * tiles[1] - out_hw[1])


def _winograd_chunks(x: Any, tiles: tuple, pads: tuple, o: int) -> Any:
    """Yield ``(n0, n1, a, scratch)``: the padded channels-last chunks of ``x`` and a scratch
    getter over the reused workspace."""
    xp = get_array_module(x)
    n, c, h, w = x.shape
    padded = (h + pads[0] + pads[1]) * (w + pads[2] + pads[3]) * c
    per_image = (padded + winograd.scratch_items(tiles, c, o)) * x.itemsize
    t = x.transpose(0, 2, 3, 1)

    def scratch(shape: tuple, slot: str) -> Any:
        return _workspace(xp, shape, x.dtype, slot)
    # one chunk after another, each product split over the cores by BLAS: no minimum count
    for n0, n1 in _batch_chunks(n, per_image, winograd_workspace_bytes, least=1):
        yield n0, n1, _padded_chunk(t, n0, n1, pads), scratch


def _winograd_forward(x: Any, w: Any, b: Any, pads: tuple) -> Any:
    xp = get_array_module(x, w)
    o = w.shape[0]
    out_hw, tiles, pads = _winograd_geometry(x, pads)
    u = winograd.kernel_transform(w)
    out = buffer_pool.empty(xp, (x.shape[0],) + out_hw + (o,), xp.result_type(x, w))
    for n0, n1, a, scratch in _winograd_chunks(x, tiles, pads, o):
        winograd.forward_chunk(a, u, b, out[n0:n1], scratch)
    return out.transpose(0, 3, 1, 2)


def _winograd_weight(x: Any, gy: Any, pads: tuple) -> Any:
    xp = get_array_module(x, gy)
    o = gy.shape[1]
    out_hw, tiles, pads = _winograd_geometry(x, pads)
    du = xp.empty((16, o, x.shape[1]), xp.result_type(x, gy)).transpose(0, 2, 1)
    g = gy.transpose(0, 2, 3, 1)
    # zeros complete the last 2x2 blocks of an odd output
    blocks = (0, 2 * tiles[0] - out_hw[0], 0, 2 * tiles[1] - out_hw[1])
    for n0, n1, a, scratch in _winograd_chunks(x, tiles, pads, o):
        gy_chunk = _padded_chunk(g, n0, n1, blocks, "winograd_gy")
        winograd.weight_chunk(a, gy_chunk, du, n0 > 0, scratch)
    return winograd.kernel_gradient(du)


def conv_forward(x: Any, w: Any, b: Any, stride: tuple, pads: tuple, dilation: tuple,
                 groups: int) -> Any:
    """``conv(x, w) + b`` as an NCHW view of NHWC memory: one GEMM per group and batch chunk,
    written straight into the output (wide 3x3 stride-1 layers: Winograd's 16 products)."""
    xp = get_array_module(x, w)
    o, _, kh, kw = w.shape
    if _depthwise(w, groups):
        return _depthwise_forward(x, w, b, stride, pads, dilation, groups)
    if _uses_winograd(x, w.shape[2:], o, stride, dilation, groups):
        return _winograd_forward(x, w, b, pads)
    out_hw = _padded_geometry(x.shape[2:], pads, (kh, kw), stride, dilation)
    out = buffer_pool.empty(xp, (x.shape[0],) + out_hw + (o,), xp.result_type(x, w))
    wm = _weight_matrix(w, groups)
    chunks, patches = _patches(x, pads, (kh, kw), stride, dilation, groups, out_hw)

    def product(n0: int, n1: int) -> None:
        res = out[n0:n1].reshape(-1, o)
        stacked_matmul(patches(n0, n1), wm, _by_group(res, groups))
        if b is not None:
            res += b  # while the chunk is still in cache
    _over_chunks(xp, chunks, product)
    return out.transpose(0, 3, 1, 2)


def conv_transpose(gy: Any, w: Any, b: Any, stride: tuple, pads: tuple, dilation: tuple,
                   groups: int, out_hw: tuple) -> Any:
    """Adjoint of ``conv`` in ``x``: spread each row of ``gy @ w`` over its window (col2im).

    With stride 1 this is a plain convolution of ``gy`` with the flipped, transposed kernel,
    which costs one patch copy instead of kh*kw strided additions. Otherwise the tap values
    are made and summed in batch chunks of the workspace.
    """
    xp = get_array_module(gy, w)
    n, o, hy, wy = gy.shape
    _, cg, kh, kw = w.shape
    c = cg * groups
    if _depthwise(w, groups):
        tap, shape = _depthwise_taps(gy, w, groups)
        out = col2im(tap, stride, pads, dilation, out_hw, shape)
        if b is not None:
            out += b
        return out.transpose(0, 3, 1, 2)
    if stride == (1, 1):
        gy_pads = _flipped_pads(gy.shape[2:], w.shape[2:], pads, dilation, out_hw)
        if min(gy_pads) >= 0:
            return conv_forward(gy, _flipped(w, groups), b, stride, gy_pads, dilation, groups)
    # one (O/G, C/G) matrix per tap and group, so each tap's result is a (P, C) block
    wk = xp.ascontiguousarray(w.reshape(groups, o // groups, cg, kh, kw).transpose(3, 4, 0, 1, 2))
    acc = _col2im_target(xp, (kh, kw, n, hy, wy, c), stride, pads, dilation, out_hw, gy.dtype)

    def spread(n0: int, n1: int) -> None:  # images n0..n1: their own rows of acc
        part = _rows(gy[n0:n1])  # a copy of this chunk only, if NCHW
        taps = _workspace(xp, (kh * kw, part.shape[0], groups, cg), gy.dtype)
        for t in range(kh * kw):  # one 2-D product per tap and group (see stacked_matmul)
            stacked_matmul(_by_group(part, groups), wk[t // kw, t % kw],
                            taps[t].transpose(1, 0, 2))
        _col2im_add(acc[n0:n1], taps.reshape(kh, kw, n1 - n0, hy, wy, c).__getitem__, stride,
                    dilation, (kh, kw), (hy, wy))
    _over_chunks(xp, _batch_chunks(n, kh * kw * hy * wy * c * gy.itemsize), spread)
    out = acc[:, pads[0]:pads[0] + out_hw[0], pads[2]:pads[2] + out_hw[1]]
    if b is not None:
        out += b
    return out.transpose(0, 3, 1, 2)


def _flipped_pads(gy_hw: tuple, kernel: tuple, pads: tuple, dilation: tuple,
                  out_hw: tuple) -> tuple:
    """Pads of ``gy`` that make a stride-1 conv's input gradient the convolution of ``gy``
    with the flipped kernel (negative where the forward's pads exceed the kernel's reach)."""
    top = dilation[0] * (kernel[0] - 1) - pads[0]
    left = dilation[1] * (kernel[1] - 1) - pads[2]
    bottom = out_hw[0] + dilation[0] * (kernel[0] - 1) - gy_hw[0] - top
    right = out_hw[1] + dilation[1] * (kernel[1] - 1) - gy_hw[1] - left
    return top, bottom, left, right


def _flipped(w: Any, groups: int) -> Any:
    """Kernel (O, C/G, kh, kw) flipped in space, in and out swapped: (C, O/G, kh, kw)."""
    o, cg, kh, kw = w.shape
    flipped = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
    return flipped[..., ::-1, ::-1].reshape(cg * groups, o // groups, kh, kw)


def stride1_gradients(x: Any, w: Any, gy: Any, pads: tuple, dilation: tuple,
                      groups: int) -> tuple | None:
    """Both gradients ``(gx, gw)`` of a stride-1 ``conv(x, w)`` from one patch matrix per
    batch chunk, or None where that does not apply (Winograd or depthwise layers, pads past
    the kernel's reach).

    The input gradient convolves ``gy`` with the flipped kernel, so it builds the patches of
    ``gy``; the weight gradient is those same patches times the input, ``patches(gy)^T @ x``
    (tap ``(i, j)`` of ``gw`` meets ``x`` where the flipped tap ``(kh-1-i, kw-1-j)`` meets
    ``gy``). Each chunk's patches are copied once and used twice while in cache, instead of
    ``x``'s patches being built again for the weight gradient.
    """
    o, cg, kh, kw = w.shape
    c = cg * groups
    gy_pads = _flipped_pads(gy.shape[2:], (kh, kw), pads, dilation, x.shape[2:])
    if (min(gy_pads) < 0 or _depthwise(w, groups) or x.size == 0
            or _uses_winograd(x, (kh, kw), o, (1, 1), dilation, groups)
            or _uses_winograd(gy, (kh, kw), c, (1, 1), dilation, groups)):
        return None
    xp = get_array_module(x, w, gy)
    dtype = xp.result_type(x, w, gy)
    og = o // groups
    wm = _weight_matrix(_flipped(w, groups), groups)  # (G, kh*kw*O/G, C/G), rows (i', j', o)
    gx = buffer_pool.empty(xp, (x.shape[0],) + tuple(x.shape[2:]) + (c,), dtype)
    chunks, patches = _patches(gy, gy_pads, (kh, kw), (1, 1), dilation, groups, x.shape[2:])

    def both(n0: int, n1: int) -> Any:
        cols = patches(n0, n1)
        stacked_matmul(cols, wm, _by_group(gx[n0:n1].reshape(-1, c), groups))
        rows = _by_group(_rows(x[n0:n1]), groups)  # a copy of this chunk only, if NCHW
        return stacked_matmul(cols.transpose(0, 2, 1), rows, xp.empty(wm.shape, dtype))
    gwm = _summed_over_chunks(xp, chunks, both)
    # gwm[g, (i', j', o), c] is gw[g * O/G + o, c, kh-1-i', kw-1-j']
    gw = gwm.reshape(groups, kh, kw, og, cg)[:, ::-1, ::-1].transpose(0, 3, 4, 1, 2)
    return gx.transpose(0, 3, 1, 2), xp.ascontiguousarray(gw).reshape(o, cg, kh, kw)


def _col2im_target(xp: Any, shape: tuple, stride: tuple, pads: tuple, dilation: tuple,
                   out_hw: tuple, dtype: Any) -> Any:
    """Zeros (N, H', W', C) covering every tap's reach and the padded output."""
    kh, kw, n, hy, wy, c = shape
    span_h = stride[0] * (hy - 1) + dilation[0] * (kh - 1) + 1
    span_w = stride[1] * (wy - 1) + dilation[1] * (kw - 1) + 1
    return buffer_pool.zeros(
        xp, (n, max(span_h, pads[0] + out_hw[0]), max(span_w, pads[2] + out_hw[1]), c), dtype)


def _col2im_add(acc: Any, tap: Any, stride: tuple, dilation: tuple, kernel: tuple,
                in_hw: tuple) -> None:
    """Add each tap's (N, Ho, Wo, C) values, ``tap((i, j))``, at its input positions."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            acc[tap_slices(i, j, stride, dilation, in_hw)] += tap((i, j))


def col2im(taps: Any, stride: tuple, pads: tuple, dilation: tuple, out_hw: tuple,
           shape: tuple | None = None) -> Any:
    """Sum (kh, kw, N, Ho, Wo, C) tap values into their input positions: (N, H, W, C) view.

    ``taps`` is that array, or a function of ``(i, j)`` giving one tap's (N, Ho, Wo, C) values
    (then ``shape`` names the full shape). One strided add per kernel tap (never ``add.at``);
    ``pads`` are cropped off the result.
    """
    shape = taps.shape if shape is None else shape
    tap = taps.__getitem__ if not callable(taps) else (lambda ij: taps(*ij))
    first = tap((0, 0))
    acc = _col2im_target(get_array_module(first), shape, stride, pads, dilation, out_hw,
                         first.dtype)
    _col2im_add(acc, lambda ij: first if ij == (0, 0) else tap(ij), stride, dilation,
                shape[:2], shape[3:5])
    top, _, left, _ = pads
    return acc[:, top:top + out_hw[0], left:left + out_hw[1]]


# --- depthwise (one input channel per group): elementwise products per tap, no GEMM -----------
def _depthwise(w: Any, groups: int) -> bool:
    return groups > 1 and w.shape[1] == 1


def _tap_weights(w: Any, groups: int) -> Any:
    """(kh, kw, m, C) per-tap weights of a depthwise kernel (C * m, 1, kh, kw)."""
    o, _, kh, kw = w.shape
    return w.reshape(groups, o // groups, kh, kw).transpose(2, 3, 1, 0)


def _by_multiplier(gy: Any, groups: int) -> Any:
    """A depthwise output (N, C * m, H, W) as (m, N, H, W, C): channels innermost per slice."""
    n, o, h, w = gy.shape
    return _rows(gy).reshape(n, h, w, groups, o // groups).transpose(4, 0, 1, 2, 3)


def _depthwise_forward(x: Any, w: Any, b: Any, stride: tuple, pads: tuple, dilation: tuple,
                       groups: int) -> Any:
    """Depthwise ``conv(x, w) + b``: per tap, each channel times its m weights."""
    xp = get_array_module(x, w)
    a = nhwc_padded(x, pads)
    n, hp, wp, c = a.shape
    _, _, kh, kw = w.shape
    out_hw = (out_size(hp, kh, stride[0], dilation[0], 0),
              out_size(wp, kw, stride[1], dilation[1], 0))
    wt = _tap_weights(w, groups)[:, :, :, None, None, None, :]  # (kh, kw, m, 1, 1, 1, C)
    out = xp.empty((wt.shape[2], n) + out_hw + (c,), x.dtype)
    term = xp.empty_like(out)
    for t in range(kh * kw):
        i, j = divmod(t, kw)
        xp.multiply(a[tap_slices(i, j, stride, dilation, out_hw)], wt[i, j],
                    out=out if t == 0 else term)
        if t:
            out += term
    out = out.transpose(1, 2, 3, 4, 0).reshape(n, out_hw[0], out_hw[1], -1)
    if b is not None:
        out += b
    return out.transpose(0, 3, 1, 2)


def _depthwise_taps(gy: Any, w: Any, groups: int) -> tuple:
    """A function of ``(i, j)`` giving tap (i, j)'s contribution of ``gy`` to the input, and
    the (kh, kw, N, Ho, Wo, C) shape, for ``col2im``."""
    g = _by_multiplier(gy, groups)
    wt = _tap_weights(w, groups)[:, :, :, None, None, None, :]

    def tap(i: int, j: int) -> Any:
        out = g[0] * wt[i, j, 0]
        for k in range(1, g.shape[0]):
            out += g[k] * wt[i, j, k]
        return out
    return tap, w.shape[2:] + g.shape[1:]


def _depthwise_weight(x: Any, gy: Any, kernel: tuple, stride: tuple, pads: tuple,
                      dilation: tuple, groups: int) -> Any:
    """Depthwise weight gradient: per tap, channel-wise sums of input times ``gy``."""
    xp = get_array_module(x, gy)
    a = nhwc_padded(x, pads)
    g = _by_multiplier(gy, groups)
    gw = xp.empty(kernel + g.shape[:1] + (groups,), gy.dtype)  # (kh, kw, m, C)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            view = a[tap_slices(i, j, stride, dilation, g.shape[2:4])]
            gw[i, j] = xp.einsum("nhwc,mnhwc->mc", view, g)
    o = gy.shape[1]
    return xp.ascontiguousarray(gw.transpose(3, 2, 0, 1)).reshape(o, 1, kernel[0], kernel[1])


def conv_weight(x: Any, gy: Any, kernel: tuple, stride: tuple, pads: tuple, dilation: tuple,
                groups: int) -> Any:
    """Adjoint of ``conv`` in ``w``: ``patches(x)^T @ gy`` summed over batch chunks, shaped
    (O, C/G, kh, kw). The patches are rebuilt here, chunk by chunk, never kept from forward."""
    xp = get_array_module(x, gy)
    if groups > 1 and x.shape[1] == groups:  # depthwise: one input channel per group
        return _depthwise_weight(x, gy, kernel, stride, pads, dilation, groups)
    if _uses_winograd(x, kernel, gy.shape[1], stride, dilation, groups):
        return _winograd_weight(x, gy, pads)
    o, hy, wy = gy.shape[1], gy.shape[2], gy.shape[3]
    cg = x.shape[1] // groups
    shape = (groups, kernel[0] * kernel[1] * cg, o // groups)
    dtype = xp.result_type(x, gy)
    chunks, patches = _patches(x, pads, kernel, stride, dilation, groups, (hy, wy))

    def partial(n0: int, n1: int) -> Any:
        rhs = _by_group(_rows(gy[n0:n1]), groups)  # a copy of this chunk only, if NCHW
        return stacked_matmul(patches(n0, n1).transpose(0, 2, 1), rhs, xp.empty(shape, dtype))
    gw = _summed_over_chunks(xp, chunks, partial)
    gw = gw.reshape(groups, kernel[0], kernel[1], cg, o // groups).transpose(0, 4, 3, 1, 2)
    return xp.ascontiguousarray(gw).reshape(o, cg, kernel[0], kernel[1])


def _check_dtypes(name: str, x: Any, w: Any, b: Any) -> None:
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        bias = f" and bias type ({b.dtype})" if b is not None else ""
        raise RuntimeError(f"{name}: input type ({x.dtype}) and weight type ({w.dtype}){bias} "
                           f"should be the same")


class Conv2d(Op):
    """``y = conv2d(x, w) + b``: x (N, C, H, W), w (O, C/G, kh, kw), b (O,) or None."""

    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        _check_dtypes("conv2d", x, w, b)
        ctx.geometry = (stride, pads, dilation, groups)
        # the input and weight only: backward rebuilds the patches, chunk by chunk
        ctx.save_for_backward(x, w)
        return conv_forward(x, w, b, stride, pads, dilation, groups)

    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        gb = grad.sum((0, 2, 3)) if need_b else None
        stride, pads, dilation, groups = ctx.geometry
        if need_x and need_w and stride == (1, 1) and not _state.enabled:
            # no graph of this backward is asked for: both gradients from one patch matrix
            both = stride1_gradients(x._data, w._data, grad._data, pads, dilation, groups)
            if both is not None:
                return function.Tensor(both[0]), function.Tensor(both[1]), gb, \
                    None, None, None, None
        gx = ConvTranspose2d.apply(grad, w, None, *ctx.geometry, x.shape[2:]) if need_x else None
        gw = ConvWeight.apply(x, grad, w.shape[2:], *ctx.geometry) if need_w else None
        return gx, gw, gb, None, None, None, None


class ConvTranspose2d(Op):
    """``x = conv_transpose2d(y, w) + b`` with output size ``out_hw``: the adjoint of Conv2d."""

    def forward(ctx, y, w, b, stride, pads, dilation, groups, out_hw):
        _check_dtypes("conv_transpose2d", y, w, b)
        ctx.geometry = (stride, pads, dilation, groups)
        ctx.save_for_backward(y, w)
        return conv_transpose(y, w, b, stride, pads, dilation, groups, tuple(out_hw))

    def backward(ctx, grad):
        y, w = ctx.saved_tensors
        need_y, need_w, need_b = ctx.needs_input_grad[:3]
        gy = gw = None
        if need_y:
            gy = Conv2d.apply(grad, w, None, *ctx.geometry)
            if tuple(gy.shape) != tuple(y.shape):  # output_padding >= stride leaves extra rows
                gy = gy[:, :, :y.shape[2], :y.shape[3]]
        if need_w:
            gw = ConvWeight.apply(grad, y, w.shape[2:], *ctx.geometry)
        gb = grad.sum((0, 2, 3)) if need_b else None
        return gy, gw, gb, None, None, None, None, None


class ConvWeight(Op):
    """``gw = conv_weight(x, gy)``: the weight gradient of Conv2d."""

    def forward(ctx, x, gy, kernel, stride, pads, dilation, groups):
        ctx.geometry = (stride, pads, dilation, groups)
        ctx.save_for_backward(x, gy)
        return conv_weight(x, gy, tuple(kernel), stride, pads, dilation, groups)

    def backward(ctx, grad):
        x, gy = ctx.saved_tensors
        need_x, need_gy = ctx.needs_input_grad[:2]
        gx = ConvTranspose2d.apply(gy, grad, None, *ctx.geometry, x.shape[2:]) if need_x else None
        ggy = Conv2d.apply(x, grad, None, *ctx.geometry) if need_gy else None
        if ggy is not None and tuple(ggy.shape) != tuple(gy.shape):
            ggy = ggy[:, :, :gy.shape[2], :gy.shape[3]]
        return gx, ggy, None, None, None, None, None


class Unfold(Op):
    """im2col: (N, C, H, W) to (N, C*kh*kw, L) patches, channel-major as ``F.unfold``."""

    def forward(ctx, x, kernel, stride, pads, dilation):
        ctx.args = (kernel, stride, pads, dilation, x.shape[2:])
        cols, (ho, wo) = _im2col(x, kernel, stride, pads, dilation)
        n, c = x.shape[:2]
        cols = cols.reshape(n, ho * wo, kernel[0], kernel[1], c).transpose(0, 4, 2, 3, 1)
        return cols.reshape(n, c * kernel[0] * kernel[1], ho * wo)

    def backward(ctx, grad):
        kernel, stride, pads, dilation, size = ctx.args
        return Fold.apply(grad, size, kernel, stride, pads, dilation), None, None, None, None


class Fold(Op):
    """col2im: (N, C*kh*kw, L) patches summed into (N, C, H, W), as ``F.fold``."""

    def forward(ctx, cols, size, kernel, stride, pads, dilation):
        ctx.args = (kernel, stride, pads, dilation)
        n, ckk, _ = cols.shape
        kh, kw = kernel
        hy = out_size(size[0], kh, stride[0], dilation[0], pads[0] + pads[1])
        wy = out_size(size[1], kw, stride[1], dilation[1], pads[2] + pads[3])
        taps = cols.reshape(n, ckk // (kh * kw), kh, kw, hy, wy).transpose(2, 3, 0, 4, 5, 1)
        return col2im(taps, stride, pads, dilation, tuple(size)).transpose(0, 3, 1, 2)

    def backward(ctx, grad):
        return Unfold.apply(grad, *ctx.args), None, None, None, None, None
