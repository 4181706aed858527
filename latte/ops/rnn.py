"""One recurrent layer (one direction) over a whole sequence as a single primitive.

Why fused: written with Tensor ops, an LSTM step is a dozen graph nodes, so a 35-step, 2-layer
model records ~1,000 nodes per batch and autograd bookkeeping outweighs the arithmetic. Here the
input projection ``x @ w_ih.T + b_ih`` of every step is one GEMM done by the caller (``linear``),
and the kernel loops over time with one GEMM per step for ``h @ w_hh.T``, doing the gate math in
place on a preallocated buffer. The backward is backpropagation through time on raw arrays
(``once_differentiable``): the weight gradient ``dG.T @ h_prev`` is one GEMM over all steps.

Packed sequences: ``batch_sizes[t]`` rows are active at step ``t`` (rows sorted by decreasing
length), so step ``t`` reads and writes rows ``[:batch_sizes[t]]`` only; a row's state is left
untouched outside its span, which gives each row its own final state and, in reverse, starts
each row from ``h0`` at its own last element. Outputs past a row's length are zero.
"""
from __future__ import annotations

from typing import Any

from latte.autograd import function
from latte.autograd.function import Op, once_differentiable
from latte.backend import get_array_module


def _steps(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _sizes(batch_sizes: tuple | None, length: int, n: int) -> tuple:
    return batch_sizes if batch_sizes is not None else (n,) * length


def _gate_vectors(xp: Any, h: int, dtype: Any) -> tuple:
    """``scale`` and ``shift`` over the LSTM gates (i, f, g, o) such that
    ``tanh(pre * scale) * scale + shift`` is sigmoid on i, f, o and tanh on g: one tanh call
    for all four gates (sigmoid(x) = 0.5 tanh(x / 2) + 0.5). ``slope`` and ``level`` give the
    derivatives from the activations ``a``: ``(slope - a) * a + level`` is ``a (1 - a)`` on
    the sigmoid gates and ``1 - a^2`` on g."""
    scale = xp.full(4 * h, 0.5, dtype=dtype)
    scale[2 * h:3 * h] = 1.0
    shift = 0.5 - 0.5 * (scale == 1.0)  # 0.5 on the sigmoid gates, 0 on g
    slope = (scale != 1.0).astype(dtype)
    level = (1.0 - slope).astype(dtype)
    return scale, shift.astype(dtype), slope, level


# --- forward kernels: each returns (output, h_n[, c_n]) and the arrays its backward needs ------
def _lstm_forward(xp, xproj, h, c, w_hh, b_hh, w_hr, reverse, sizes):
    length, n, _ = xproj.shape
    hid, out_size = c.shape[1], h.shape[1]  # out_size: proj_size with a projection w_hr
    packed = len(set(sizes)) > 1 or sizes[0] != n
    new = xp.zeros if packed else xp.empty  # rows past a sequence's end stay finite zeros
    out = new((length, n, out_size), dtype=xproj.dtype)
    acts = new((length, n, 4 * hid), dtype=xproj.dtype)
    h_prev = new((length, n, out_size), dtype=h.dtype)
    c_prev = new((length, n, hid), dtype=h.dtype)
    tanh_c = new((length, n, hid), dtype=xproj.dtype)
    h_full = None if w_hr is None else new((length, n, hid), dtype=xproj.dtype)
    scale, shift, _, _ = _gate_vectors(xp, hid, xproj.dtype)
    # the tanh trick's pre-scaling folded into the operands once, not into every step
    x_scaled = xproj * scale
    if b_hh is not None:
        x_scaled += b_hh * scale
    w_scaled = xp.ascontiguousarray(w_hh.T)  # (H, 4H) rows: the faster GEMM layout
    w_scaled *= scale
    h, c = h.copy(), c.copy()
    for t in _steps(length, reverse):
        bs = sizes[t]
        hp, cp = h[:bs], c[:bs]
        h_prev[t, :bs] = hp
        c_prev[t, :bs] = cp
        g = acts[t, :bs]
        xp.matmul(hp, w_scaled, out=g)
        g += x_scaled[t, :bs]
        xp.tanh(g, out=g)
        g *= scale
        g += shift
        cn = g[:, hid:2 * hid] * cp
        cn += g[:, :hid] * g[:, 2 * hid:3 * hid]
        c[:bs] = cn
        tc = tanh_c[t, :bs]
        xp.tanh(cn, out=tc)
        if w_hr is None:
            xp.multiply(g[:, 3 * hid:], tc, out=out[t, :bs])
        else:  # h_t = (o * tanh(c_t)) @ w_hr.T
            xp.multiply(g[:, 3 * hid:], tc, out=h_full[t, :bs])
            xp.matmul(h_full[t, :bs], w_hr.T, out=out[t, :bs])
        h[:bs] = out[t, :bs]
    return (out, h, c), (acts, h_prev, c_prev, tanh_c, h_full)


def _gru_forward(xp, xproj, h, c, w_hh, b_hh, reverse, sizes):
    length, n, _ = xproj.shape
    hid = w_hh.shape[1]
    new = xp.zeros if len(set(sizes)) > 1 or sizes[0] != n else xp.empty
    out = new((length, n, hid), dtype=xproj.dtype)
    acts = xp.empty((length, n, 3 * hid), dtype=xproj.dtype)  # r, z, n
    h_prev = new((length, n, hid), dtype=h.dtype)
    gh_n = xp.empty((length, n, hid), dtype=xproj.dtype)  # w_hn h + b_hn, inside r * (...)
    w_t = xp.ascontiguousarray(w_hh.T)
    h = h.copy()
    for t in _steps(length, reverse):
        bs = sizes[t]
        hp = h[:bs]
        h_prev[t, :bs] = hp
        gh = xp.matmul(hp, w_t)
        if b_hh is not None:
            gh += b_hh
        x, a = xproj[t, :bs], acts[t, :bs]
        rz = a[:, :2 * hid]
        xp.add(x[:, :2 * hid], gh[:, :2 * hid], out=rz)
        rz *= 0.5
        xp.tanh(rz, out=rz)
        rz *= 0.5
        rz += 0.5
        gh_n[t, :bs] = gh[:, 2 * hid:]
        nn = a[:, 2 * hid:]
        xp.multiply(a[:, :hid], gh[:, 2 * hid:], out=nn)
        nn += x[:, 2 * hid:]
        xp.tanh(nn, out=nn)
        hn = out[t, :bs]
        xp.subtract(hp, nn, out=hn)  # h' = (1 - z) n + z h = n + z (h - n)
        hn *= a[:, hid:2 * hid]
        hn += nn
        h[:bs] = hn
    return (out, h), (acts, h_prev, gh_n)


def _rnn_forward(xp, xproj, h, c, w_hh, b_hh, reverse, sizes, relu):
    length, n, _ = xproj.shape
    hid = w_hh.shape[1]
    new = xp.zeros if len(set(sizes)) > 1 or sizes[0] != n else xp.empty
    out = new((length, n, hid), dtype=xproj.dtype)
    h_prev = new((length, n, hid), dtype=h.dtype)
    w_t = xp.ascontiguousarray(w_hh.T)
    h = h.copy()
    for t in _steps(length, reverse):
        bs = sizes[t]
        hp = h[:bs]
        h_prev[t, :bs] = hp
        pre = out[t, :bs]
        xp.matmul(hp, w_t, out=pre)
        pre += xproj[t, :bs]
        if b_hh is not None:
            pre += b_hh
        if relu:
            xp.maximum(pre, 0, out=pre)
        else:
            xp.tanh(pre, out=pre)
        h[:bs] = pre
    return (out, h), (h_prev,)


# --- backward kernels: return (d xproj, d h0, d c0, dG for w_hh/b_hh, h_prev) ------------------
def _lstm_backward(xp, saved, w_hh, w_hr, reverse, sizes, dout, dh, dc):
    acts, h_prev, c_prev, tanh_c, h_full = saved
    hid = c_prev.shape[2]
    d_proj = None if w_hr is None else xp.zeros_like(dout)  # d h_t of every step, for d w_hr
    _, _, slope, level = _gate_vectors(xp, hid, acts.dtype)
    # step-independent factors in bulk: activation derivatives and d c_t / d h_t = o (1 - tc^2)
    deriv = slope - acts
    deriv *= acts
    deriv += level
    dc_dh = tanh_c * tanh_c
    xp.subtract(1.0, dc_dh, out=dc_dh)
    dc_dh *= acts[:, :, 3 * hid:]
    d_gates = xp.zeros_like(acts)
    dh, dc = dh.copy(), dc.copy()
    for t in reversed(_steps(len(sizes), reverse)):
        bs = sizes[t]
        a, d = acts[t, :bs], d_gates[t, :bs]
        dht = dh[:bs] + dout[t, :bs]
        if w_hr is not None:
            d_proj[t, :bs] = dht
            dht = xp.matmul(dht, w_hr)
        dct = dht * dc_dh[t, :bs]
        dct += dc[:bs]
        xp.multiply(dct, a[:, 2 * hid:3 * hid], out=d[:, :hid])
        xp.multiply(dct, c_prev[t, :bs], out=d[:, hid:2 * hid])
        xp.multiply(dct, a[:, :hid], out=d[:, 2 * hid:3 * hid])
        xp.multiply(dht, tanh_c[t, :bs], out=d[:, 3 * hid:])
        d *= deriv[t, :bs]  # through sigmoid (i, f, o) and tanh (g)
        dc[:bs] = dct * a[:, hid:2 * hid]
        dh[:bs] = xp.matmul(d, w_hh)
    d_hr = None
    if w_hr is not None:
        d_hr = xp.matmul(d_proj.reshape(-1, d_proj.shape[-1]).T, h_full.reshape(-1, hid))
    return d_gates, dh, dc, d_gates, h_prev, d_hr


def _gru_backward(xp, saved, w_hh, w_hr, reverse, sizes, dout, dh, dc):
    acts, h_prev, gh_n = saved
    hid = w_hh.shape[1]
    dx_all, dh_all = xp.zeros_like(acts), xp.zeros_like(acts)
    dh = dh.copy()
    for t in reversed(_steps(len(sizes), reverse)):
        bs = sizes[t]
        a, hp, dx, dhh = acts[t, :bs], h_prev[t, :bs], dx_all[t, :bs], dh_all[t, :bs]
        r, z, nn = a[:, :hid], a[:, hid:2 * hid], a[:, 2 * hid:]
        dht = dh[:bs] + dout[t, :bs]
        dn = dx[:, 2 * hid:]
        xp.multiply(dht, 1.0 - z, out=dn)
        dn *= 1.0 - nn * nn
        dz = dx[:, hid:2 * hid]
        xp.subtract(hp, nn, out=dz)
        dz *= dht
        dz *= z * (1.0 - z)
        dr = dx[:, :hid]
        xp.multiply(dn, gh_n[t, :bs], out=dr)
        dr *= r * (1.0 - r)
        dhh[:, :2 * hid] = dx[:, :2 * hid]
        xp.multiply(dn, r, out=dhh[:, 2 * hid:])
        new_dh = xp.matmul(dhh, w_hh)
        new_dh += dht * z
        dh[:bs] = new_dh
    return dx_all, dh, None, dh_all, h_prev, None


def _rnn_backward(xp, saved, w_hh, w_hr, reverse, sizes, dout, dh, dc, out, relu):
    (h_prev,) = saved
    d_pre = xp.zeros_like(out)
    dh = dh.copy()
    for t in reversed(_steps(len(sizes), reverse)):
        bs = sizes[t]
        d, y = d_pre[t, :bs], out[t, :bs]
        xp.add(dh[:bs], dout[t, :bs], out=d)
        if relu:
            d *= y > 0
        else:
            d *= 1.0 - y * y
        dh[:bs] = xp.matmul(d, w_hh)
    return d_pre, dh, None, d_pre, h_prev, None


class RecurrentLayer(Op):
    """``(output, h_n[, c_n]) = layer(xproj, h0, c0, w_hh, b_hh, w_hr, mode, reverse,
    batch_sizes)``.

    ``xproj`` (L, N, G) is ``x @ w_ih.T + b_ih`` for every step; ``h0``/``c0`` (N, H) (``c0``
    None unless ``mode == 'LSTM'``); ``w_hh`` (G, H); ``b_hh`` (G,) or None; ``mode`` one of
    'LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'; ``w_hr`` (P, H) projects an LSTM's hidden state
    to size P (``proj_size``; ``h0`` and ``w_hh`` then have P columns), else None; ``reverse``
    runs from the last step to the first;
    ``batch_sizes`` (a tuple of host ints, non-increasing) or None. Output (L, N, H).
    """

    def forward(ctx, xproj, h0, c0, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
        xp = get_array_module(xproj, h0, w_hh)
        sizes = _sizes(batch_sizes, xproj.shape[0], xproj.shape[1])
        if mode == "LSTM":
            outs, saved = _lstm_forward(xp, xproj, h0, c0, w_hh, b_hh, w_hr, reverse, sizes)
        elif mode == "GRU":
            outs, saved = _gru_forward(xp, xproj, h0, None, w_hh, b_hh, reverse, sizes)
        else:
            outs, saved = _rnn_forward(xp, xproj, h0, None, w_hh, b_hh, reverse, sizes,
                                       mode == "RNN_RELU")
        ctx.mode, ctx.reverse, ctx.sizes, ctx.n_saved = mode, reverse, sizes, len(saved)
        ctx.save_for_backward(w_hh, w_hr, outs[0], *saved)
        return outs

    @once_differentiable
    def backward(ctx, dout, dh_n, dc_n=None):
        w_hh, w_hr, out, *saved = [None if s is None else s._data for s in ctx.saved_tensors]
        xp = get_array_module(w_hh)
        dout, dh_n = _array(xp, dout, out), _array(xp, dh_n, out[0])
        args = (xp, saved, w_hh, w_hr, ctx.reverse, ctx.sizes, dout, dh_n)
        if ctx.mode == "LSTM":
            dxproj, dh0, dc0, d_hh, h_prev, d_hr = _lstm_backward(
                *args, _array(xp, dc_n, saved[2][0]))
        elif ctx.mode == "GRU":
            dxproj, dh0, dc0, d_hh, h_prev, d_hr = _gru_backward(*args, None)
        else:
            dxproj, dh0, dc0, d_hh, h_prev, d_hr = _rnn_backward(*args, None, out,
                                                                 ctx.mode == "RNN_RELU")
        need = ctx.needs_input_grad
        g2 = d_hh.reshape(-1, d_hh.shape[-1])
        wrap = function.Tensor
        dw = wrap(xp.matmul(g2.T, h_prev.reshape(-1, h_prev.shape[-1]))) if need[3] else None
        db = wrap(g2.sum(0)) if need[4] else None
        dhr = wrap(d_hr) if d_hr is not None and need[5] else None
        return (wrap(dxproj), wrap(dh0), None if dc0 is None else wrap(dc0), dw, db, dhr,
                None, None, None)


def _array(xp: Any, grad: Any, like: Any) -> Any:
    """The raw array of an incoming gradient (zeros when the output received none)."""
    return xp.zeros_like(like) if grad is None else grad._data
