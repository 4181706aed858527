"""Winograd's minimal filtering F(2x2, 3x3): a 3x3, stride-1 convolution in 2.25x fewer products.

Each 2x2 block of outputs is computed from the 4x4 input tile around it as

    Y = A^T [ (G g G^T) * (B^T d B) ] A

(Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2015), with ``*`` the
elementwise product and, for F(2x2, 3x3),

    B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    G   = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
    A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].

Summed over input channels, the elementwise product of each of the 16 transform positions is a
matrix product: ``M[k, l] = V[k, l] @ U[k, l]`` with ``V`` the (tiles, C) transformed inputs and
``U`` the (C, O) transformed kernel. A direct convolution multiplies 9 values per output and
channel pair, Winograd 16 per 2x2 block: 4 per output. The transforms only add and subtract
(their halves are exact in binary), so float32 results keep the direct product's accuracy.

The weight gradient is the same identity differentiated in ``U``: per transform position,
``dU[k, l] = V[k, l]^T @ (A gy A^T)[k, l]``, then ``dg = G^T dU G``.

Everything here works on one batch chunk of channels-last arrays whose scratch the caller
hands out (``ops/conv.py`` owns the chunking and the reused buffers): ``scratch(shape, slot)``
returns an uninitialised array. Each transform is a few whole-array additions over strided
views, never a Python loop over tiles; on the CPU the images of a chunk are split over the
threads of ``latte._threads`` (the additions are memory-bound passes NumPy runs on one core).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from latte._threads import run_spans
from latte.backend import get_array_module, is_device_array
from latte.ops.linalg import stacked_matmul

__all__ = ["kernel_transform", "kernel_gradient", "forward_chunk", "weight_chunk",
           "tile_counts", "scratch_items"]

Scratch = Callable[[tuple, str], Any]
_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def tile_counts(out_hw: tuple) -> tuple:
    """Tiles ``(Th, Tw)`` covering an ``(Ho, Wo)`` output in 2x2 blocks."""
    return (out_hw[0] + 1) // 2, (out_hw[1] + 1) // 2


def scratch_items(tiles: tuple, c: int, o: int) -> int:
    """Scratch elements one image needs in ``forward_chunk`` or ``weight_chunk``: the column
    stage, the transformed inputs, the 16 products (or the transformed output gradient), the
    output's row stage, and a whole-blocks output (or output gradient) for odd sizes."""
    th, tw = tiles
    t = th * tw
    return 4 * (2 * th + 2) * tw * c + 16 * t * c + 16 * t * o + 8 * t * o + 4 * t * o


def _kernel_matrix(xp: Any, dtype: Any) -> Any:
    """``G (x) G`` as a (16, 9) matrix: row ``4k + l``, column ``3i + j`` holds
    ``G[k, i] * G[l, j]``, so that ``(G g G^T)[k, l]`` is row ``4k + l`` times ``g`` raveled."""
    g = xp.asarray(_G, dtype=dtype)
    return (g[:, None, :, None] * g[None, :, None, :]).reshape(16, 9)


def kernel_transform(w: Any) -> Any:
    """``G g G^T`` of a (O, C, 3, 3) kernel, as 16 (C, O) matrices: (16, C, O), the transposed
    view of (16, O, C) memory (a BLAS operand as it is). One (16, 9) @ (9, O*C) product reads
    the kernel in its own order: no transposed copy of it."""
    xp = get_array_module(w)
    o, c = w.shape[:2]
    u = xp.matmul(_kernel_matrix(xp, w.dtype), w.reshape(o * c, 9).T)  # (16, O * C)
    return u.reshape(16, o, c).transpose(0, 2, 1)


def kernel_gradient(du: Any) -> Any:
    """``G^T dU G`` of the 16 (C, O) gradients of ``kernel_transform``, as (O, C, 3, 3); ``du``
    is the (16, C, O) transposed view of (16, O, C) memory that ``weight_chunk`` fills."""
    xp = get_array_module(du)
    _, c, o = du.shape
    rows = du.transpose(0, 2, 1).reshape(16, o * c)
    return xp.matmul(rows.T, _kernel_matrix(xp, du.dtype)).reshape(o, c, 3, 3)


def _by_image(body: Callable[[int, int], None], chunk: Any) -> None:
    """Run ``body(lo, hi)`` over the images of ``chunk`` (nb, ...): split over threads on the
    CPU."""
    nb = chunk.shape[0]
    if is_device_array(chunk):
        body(0, nb)
    else:
        run_spans(body, nb, 1)


def _input_transform(a: Any, tiles: tuple, scratch: Scratch) -> Any:
    """``B^T d B`` of every 4x4 tile (stride 2) of the padded channels-last chunk ``a``
    (nb, 2*Th + 2, 2*Tw + 2, C): (16, nb*Th*Tw, C), position-major, one matrix per position."""
    xp = get_array_module(a)
    th, tw = tiles
    nb, hp, _, c = a.shape
    # columns first, over whole padded rows: (4, nb, Hp, Tw, C)
    cols = scratch((4, nb, hp, tw, c), "winograd_cols")
    v = scratch((4, 4, nb, th, tw, c), "winograd_v")

    def body(lo: int, hi: int) -> None:
        part = cols[:, lo:hi]
        _combine(xp, [a[lo:hi, :, i:i + 2 * tw:2] for i in range(4)], part)
        _combine(xp, [part[:, :, i:i + 2 * th:2] for i in range(4)], v[:, :, lo:hi])
    _by_image(body, a)
    return v.reshape(16, nb * th * tw, c)


def _combine(xp: Any, d: list, out: Any) -> None:
    """``out[k] = (B^T d)[k]`` along the first axis of ``out`` from the four strided taps."""
    xp.subtract(d[0], d[2], out=out[0])
    xp.add(d[1], d[2], out=out[1])
    xp.subtract(d[2], d[1], out=out[2])
    xp.subtract(d[1], d[3], out=out[3])


def forward_chunk(a: Any, u: Any, b: Any, out: Any, scratch: Scratch) -> None:
    """Write the convolution of the padded chunk ``a`` (nb, 2*Th + 2, 2*Tw + 2, C) with the
    transformed kernel ``u`` (16, C, O), plus the bias ``b`` (O,) unless None, into ``out``
    (nb, Ho, Wo, O), Ho <= 2*Th, Wo <= 2*Tw."""
    xp = get_array_module(a, u)
    nb, ho, wo, o = out.shape
    th, tw = (a.shape[1] - 2) // 2, (a.shape[2] - 2) // 2
    v = _input_transform(a, (th, tw), scratch)
    m = stacked_matmul(v, u, scratch((16, nb * th * tw, o), "winograd_m"))
    m = m.reshape(4, 4, nb, th, tw, o)
    # A^T over k: (2, 4, nb, Th, Tw, O), then over l straight into the 2x2 output blocks
    s = scratch((2, 4, nb, th, tw, o), "winograd_s")
    even = (ho, wo) == (2 * th, 2 * tw)
    full = out if even else scratch((nb, 2 * th, 2 * tw, o), "winograd_out")
    blocks = full.reshape(nb, th, 2, tw, 2, o)

    def body(lo: int, hi: int) -> None:
        _collapse(xp, m[:, :, lo:hi], s[:, :, lo:hi])
        for p in range(2):
            _collapse(xp, s[p, :, lo:hi], [blocks[lo:hi, :, p, :, 0], blocks[lo:hi, :, p, :, 1]])
        if not even:
            out[lo:hi] = full[lo:hi, :ho, :wo]
        if b is not None:  # while these images are in cache, on every thread
            out[lo:hi] += b
    _by_image(body, blocks)


def _collapse(xp: Any, m: Any, out: Any) -> None:
    """``out[0] = m[0] + m[1] + m[2]``, ``out[1] = m[1] - m[2] - m[3]`` (``A^T`` over axis 0)."""
    xp.add(m[0], m[1], out=out[0])
    out[0] += m[2]
    xp.subtract(m[1], m[2], out=out[1])
    out[1] -= m[3]


def weight_chunk(a: Any, gy: Any, du: Any, accumulate: bool, scratch: Scratch) -> None:
    """Add (or, when ``accumulate`` is false, write) this chunk's ``dU`` (16, C, O), the
    transposed view of (16, O, C) memory: the padded input chunk ``a`` (nb, 2*Th + 2, 2*Tw + 2,
    C) against the C-contiguous output gradient ``gy`` (nb, 2*Th, 2*Tw, O), zeros past an odd
    output."""
    xp = get_array_module(a, gy)
    nb, _, _, o = gy.shape
    th, tw = (a.shape[1] - 2) // 2, (a.shape[2] - 2) // 2
    v = _input_transform(a, (th, tw), scratch)
    blocks = gy.reshape(nb, th, 2, tw, 2, o)
    # A over q, then over p: (4, 4, nb, Th, Tw, O)
    rows = scratch((2, 4, nb, th, tw, o), "winograd_s")
    g = scratch((4, 4, nb, th, tw, o), "winograd_m")

    def body(lo: int, hi: int) -> None:
        for p in range(2):
            _spread(xp, blocks[lo:hi, :, p, :, 0], blocks[lo:hi, :, p, :, 1], rows[p, :, lo:hi])
        _spread(xp, rows[0, :, lo:hi], rows[1, :, lo:hi], g[:, :, lo:hi])
    _by_image(body, blocks)
    g = g.reshape(16, nb * th * tw, o)
    part = du if not accumulate else scratch((16, o, du.shape[1]), "winograd_du").transpose(0, 2, 1)
    # dU^T = g^T V per position: written in (16, O, C) memory order
    stacked_matmul(g.transpose(0, 2, 1), v, part.transpose(0, 2, 1))
    if accumulate:
        du += part


def _spread(xp: Any, g0: Any, g1: Any, out: Any) -> None:
    """``out = A @ [g0, g1]`` along the first axis: ``g0, g0 + g1, g0 - g1, -g1``."""
    out[0] = g0
    xp.add(g0, g1, out=out[1])
    xp.subtract(g0, g1, out=out[2])
    xp.negative(g1, out=out[3])
