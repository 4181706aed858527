"""Convolution primitives: channels-last windows feeding one matrix product per group.

Three ops close the family under differentiation, so double backward comes free:

* ``Conv2d(x, w, b)``: ``y = conv(x, w) + b``, im2col of ``x`` then one GEMM.
* ``ConvTranspose2d(y, w, b)``: the adjoint of ``conv`` in ``x`` (its input gradient, and
  ``F.conv_transpose2d``): with stride 1 a conv with the flipped kernel, otherwise one GEMM and
  col2im by adding one strided slice per kernel tap (never ``add.at``).
* ``ConvWeight(x, gy)``: the adjoint of ``conv`` in ``w`` (its weight gradient).

Each backward is written with the other two. Inside, activations are NHWC (channels-last): the
window copies then move runs of ``kw * C`` contiguous values instead of single elements, which
is where an NCHW im2col spends its time. Outputs are NHWC arrays shown as NCHW views, so the
next conv or pool transposes back for free.

Geometry shared by all three: ``stride``, ``dilation`` as ``(h, w)`` pairs, ``pads`` as
``(top, bottom, left, right)`` (asymmetric for ``padding='same'`` with even kernels), ``groups``.
"""
from __future__ import annotations

from typing import Any

from latte.autograd import function
from latte.autograd.function import Op
from latte.backend import get_array_module, is_device_array

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
    out = xp.zeros(shape, x.dtype) if fill == 0 else xp.full(shape, fill, x.dtype)
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


def _im2col(x: Any, kernel: tuple, stride: tuple, pads: tuple, dilation: tuple, groups: int,
            limit: tuple | None = None) -> tuple:
    """The (G, N*Ho*Wo, kh*kw*C/G) patch matrix of ``x`` (N, C, H, W), and ``(Ho, Wo)``.

    ``limit`` keeps only the first windows (a transposed conv's output padding can leave more
    input rows than its own input's windows reach).
    """
    a = nhwc_padded(x, pads)
    n, hp, wp, c = a.shape
    out_hw = (out_size(hp, kernel[0], stride[0], dilation[0], 0),
              out_size(wp, kernel[1], stride[1], dilation[1], 0))
    if limit is not None:
        out_hw = (min(out_hw[0], limit[0]), min(out_hw[1], limit[1]))
    rows = n * out_hw[0] * out_hw[1]
    if c == 1:
        # one channel: copy tap by tap into a (kh*kw, P) matrix, whose rows are contiguous
        # runs, and hand out its transpose (the product takes either layout as is)
        xp = get_array_module(x)
        taps = xp.empty((kernel[0] * kernel[1], n, out_hw[0], out_hw[1]), x.dtype)
        for t in range(kernel[0] * kernel[1]):
            taps[t] = a[tap_slices(t // kernel[1], t % kernel[1], stride, dilation, out_hw)][..., 0]
        return taps.reshape(-1, rows).T[None], out_hw
    win = windows(a, kernel, stride, dilation, out_hw)
    cg = c // groups
    if groups == 1:
        return win.reshape(1, rows, kernel[0] * kernel[1] * c), out_hw
    win = win.reshape(win.shape[:5] + (groups, cg)).transpose(5, 0, 1, 2, 3, 4, 6)
    return win.reshape(groups, rows, kernel[0] * kernel[1] * cg), out_hw


def _rows(g: Any) -> Any:
    """A (N, C, H, W) array as the (N*H*W, C) matrix of its channels-last layout."""
    t = g.transpose(0, 2, 3, 1)
    return t.reshape(-1, t.shape[3])


def _by_group(m: Any, groups: int) -> Any:
    """(P, G*k) rows as (G, P, k) stacks."""
    return m.reshape(m.shape[0], groups, -1).transpose(1, 0, 2)


def conv_forward(x: Any, w: Any, b: Any, stride: tuple, pads: tuple, dilation: tuple,
                 groups: int) -> tuple:
    """``conv(x, w) + b`` as an NCHW view of NHWC memory, and the patch matrix for reuse."""
    xp = get_array_module(x, w)
    o, cg, kh, kw = w.shape
    if _depthwise(w, groups):
        return _depthwise_forward(x, w, b, stride, pads, dilation, groups), None
    cols, (ho, wo) = _im2col(x, (kh, kw), stride, pads, dilation, groups)
    if groups == 1:
        out = cols[0] @ w.transpose(2, 3, 1, 0).reshape(kh * kw * cg, o)
    else:
        wm = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1)
        out = xp.matmul(cols, wm.reshape(groups, kh * kw * cg, o // groups))
        out = out.transpose(1, 0, 2).reshape(-1, o)
    if b is not None:
        out += b
    return out.reshape(x.shape[0], ho, wo, o).transpose(0, 3, 1, 2), cols


def conv_transpose(gy: Any, w: Any, b: Any, stride: tuple, pads: tuple, dilation: tuple,
                   groups: int, out_hw: tuple) -> Any:
    """Adjoint of ``conv`` in ``x``: spread each row of ``gy @ w`` over its window (col2im).

    With stride 1 this is a plain convolution of ``gy`` with the flipped, transposed kernel,
    which costs one patch copy instead of kh*kw strided additions.
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
        top = dilation[0] * (kh - 1) - pads[0]
        left = dilation[1] * (kw - 1) - pads[2]
        bottom = out_hw[0] + dilation[0] * (kh - 1) - hy - top
        right = out_hw[1] + dilation[1] * (kw - 1) - wy - left
        if min(top, bottom, left, right) >= 0:
            flipped = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
            flipped = flipped[..., ::-1, ::-1].reshape(c, o // groups, kh, kw)
            out, _ = conv_forward(gy, flipped, b, stride, (top, bottom, left, right), dilation,
                                  groups)
            return out
    if groups == 1:
        # one (O, C) matrix per tap, so each tap's result is a contiguous (P, C) block
        taps = xp.matmul(_rows(gy), xp.ascontiguousarray(w.transpose(2, 3, 0, 1)))
    else:
        wk = w.reshape(groups, o // groups, cg, kh, kw).transpose(3, 4, 0, 1, 2)
        taps = xp.matmul(_by_group(_rows(gy), groups), xp.ascontiguousarray(wk))
        taps = taps.transpose(0, 1, 3, 2, 4)
    out = col2im(taps.reshape(kh, kw, n, hy, wy, c), stride, pads, dilation, out_hw)
    if b is not None:
        out += b
    return out.transpose(0, 3, 1, 2)


def col2im(taps: Any, stride: tuple, pads: tuple, dilation: tuple, out_hw: tuple,
           shape: tuple | None = None) -> Any:
    """Sum (kh, kw, N, Ho, Wo, C) tap values into their input positions: (N, H, W, C) view.

    ``taps`` is that array, or a function of ``(i, j)`` giving one tap's (N, Ho, Wo, C) values
    (then ``shape`` names the full shape). One strided add per kernel tap (never ``add.at``);
    ``pads`` are cropped off the result.
    """
    kh, kw, n, hy, wy, c = taps.shape if shape is None else shape
    tap = taps.__getitem__ if shape is None else (lambda ij: taps(*ij))
    first = tap((0, 0))
    xp = get_array_module(first)
    top, _, left, _ = pads
    span_h = stride[0] * (hy - 1) + dilation[0] * (kh - 1) + 1
    span_w = stride[1] * (wy - 1) + dilation[1] * (kw - 1) + 1
    acc = xp.zeros((n, max(span_h, top + out_hw[0]), max(span_w, left + out_hw[1]), c),
                   first.dtype)
    for i in range(kh):
        for j in range(kw):
            acc[tap_slices(i, j, stride, dilation, (hy, wy))] += first if i == j == 0 \
                else tap((i, j))
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
                groups: int, cols: Any = None) -> Any:
    """Adjoint of ``conv`` in ``w``: ``patches(x)^T @ gy``, shaped (O, C/G, kh, kw)."""
    xp = get_array_module(x, gy)
    if groups > 1 and x.shape[1] == groups:  # depthwise: one input channel per group
        return _depthwise_weight(x, gy, kernel, stride, pads, dilation, groups)
    if cols is None:
        cols, _ = _im2col(x, kernel, stride, pads, dilation, groups, gy.shape[2:])
    o = gy.shape[1]
    g = _rows(gy)
    if groups == 1:
        gw = cols[0].T @ g
    else:
        gw = xp.matmul(cols.transpose(0, 2, 1), _by_group(g, groups))
    cg = cols.shape[2] // (kernel[0] * kernel[1])
    gw = gw.reshape(groups, kernel[0], kernel[1], cg, o // groups).transpose(0, 4, 3, 1, 2)
    return xp.ascontiguousarray(gw).reshape(o, cg, kernel[0], kernel[1])


def _check_dtypes(name: str, x: Any, w: Any, b: Any) -> None:
    if x.dtype != w.dtype or (b is not None and b.dtype != x.dtype):
        bias = f" and bias type ({b.dtype})" if b is not None else ""
        raise RuntimeError(f"{name}: input type ({x.dtype}) and weight type ({w.dtype}){bias} "
                           f"should be the same")


def _channels_last(t: Any) -> Any:
    """Tensor ``t`` (N, C, H, W) with NHWC memory: one copy if needed (none inside a graph)."""
    nhwc = t._data.transpose(0, 2, 3, 1)
    if t.requires_grad or nhwc.flags.c_contiguous:
        return t
    return function.Tensor(get_array_module(nhwc).ascontiguousarray(nhwc).transpose(0, 3, 1, 2))


class Conv2d(Op):
    """``y = conv2d(x, w) + b``: x (N, C, H, W), w (O, C/G, kh, kw), b (O,) or None."""

    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        _check_dtypes("conv2d", x, w, b)
        ctx.geometry = (stride, pads, dilation, groups)
        y, cols = conv_forward(x, w, b, stride, pads, dilation, groups)
        # the patch matrix (if any) is reused for the weight gradient
        ctx.save_for_backward(x, w, *(() if cols is None else (cols,)))
        return y

    def backward(ctx, grad):
        x, w, *cols = ctx.saved_tensors
        cols = cols[0]._data if cols else None
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if need_x and need_w:
            grad = _channels_last(grad)  # both products read it by rows of channels
        gx = ConvTranspose2d.apply(grad, w, None, *ctx.geometry, x.shape[2:]) if need_x else None
        gw = ConvWeight.apply(x, grad, w.shape[2:], *ctx.geometry, cols) if need_w else None
        gb = grad.sum((0, 2, 3)) if need_b else None
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
            gw = ConvWeight.apply(grad, y, w.shape[2:], *ctx.geometry, None)
        gb = grad.sum((0, 2, 3)) if need_b else None
        return gy, gw, gb, None, None, None, None, None


class ConvWeight(Op):
    """``gw = conv_weight(x, gy)``: the weight gradient of Conv2d (``cols``: cached patches)."""

    def forward(ctx, x, gy, kernel, stride, pads, dilation, groups, cols):
        ctx.geometry = (stride, pads, dilation, groups)
        ctx.save_for_backward(x, gy)
        return conv_weight(x, gy, tuple(kernel), stride, pads, dilation, groups, cols)

    def backward(ctx, grad):
        x, gy = ctx.saved_tensors
        need_x, need_gy = ctx.needs_input_grad[:2]
        gx = ConvTranspose2d.apply(gy, grad, None, *ctx.geometry, x.shape[2:]) if need_x else None
        ggy = Conv2d.apply(x, grad, None, *ctx.geometry) if need_gy else None
        if ggy is not None and tuple(ggy.shape) != tuple(gy.shape):
            ggy = ggy[:, :, :gy.shape[2], :gy.shape[3]]
        return gx, ggy, None, None, None, None, None, None


class Unfold(Op):
    """im2col: (N, C, H, W) to (N, C*kh*kw, L) patches, channel-major as ``F.unfold``."""

    def forward(ctx, x, kernel, stride, pads, dilation):
        ctx.args = (kernel, stride, pads, dilation, x.shape[2:])
        cols, (ho, wo) = _im2col(x, kernel, stride, pads, dilation, 1)
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
