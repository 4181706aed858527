"""``scaled_dot_product_attention``: ``softmax(Q K^T * scale + mask) V``, composed of Tensor ops
(batched matmul, masked fill, the fused softmax), so autograd comes free."""
from __future__ import annotations

import math

from latte import dtypes
from latte.nn.functional._device import on_input_device
from latte.nn.functional.dropout import dropout
from latte.tensor import Tensor

__all__ = ["scaled_dot_product_attention"]

_NEG_INF = float("-inf")


def causal_mask(query: Tensor, n_q: int, n_k: int) -> Tensor:
    """The ``(L, S)`` boolean lower triangle (True = attend) on ``query``'s device."""
    return Tensor(query._xp().tri(n_q, n_k, dtype=bool))


def _check_mask(mask: Tensor, scores: tuple) -> None:
    """``attn_mask`` must broadcast to the ``(*, L, S)`` scores without growing them."""
    shape = tuple(mask.shape)
    ok = len(shape) <= len(scores) and all(
        m in (1, s) for m, s in zip(reversed(shape), reversed(scores)))
    if not ok:
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {shape} does not "
                           f"broadcast to the attention scores of shape {scores} (*, L, S)")


def safe_softmax(scores: Tensor) -> Tensor:
    """Softmax over the last dim where rows that are all ``-inf`` give zeros (not NaN) and a
    zero gradient, as PyTorch's attention kernels do for fully masked queries."""
    full = (scores == _NEG_INF).all(-1, keepdim=True)
    # filling the dead rows before the softmax keeps NaN out of the backward pass too
    return scores.masked_fill(full, 0.0).softmax(-1).masked_fill(full, 0.0)


@on_input_device
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """Attention of ``query (*, L, E)`` over ``key (*, S, E)`` and ``value (*, S, Ev)``,
    giving ``(*, L, Ev)``: ``softmax(Q K^T * scale + bias) V`` with ``scale = 1/sqrt(E)``
    unless given.

    ``attn_mask`` broadcasts to ``(*, L, S)``: a bool mask keeps positions where it is True, a
    float mask is added to the scores. ``is_causal`` applies the lower-triangular mask (query
    ``i`` sees keys ``0..i``) and excludes ``attn_mask``. Fully masked rows give zeros.
    ``dropout_p`` is always applied (pass 0 in evaluation). ``enable_gqa`` repeats the key/value
    heads (dim -3) to match the query's.

    Example::

        >>> q = latte.randn(2, 4, 10, 16)                  # (N, heads, L, E)
        >>> F.scaled_dot_product_attention(q, q, q, is_causal=True).shape
        latte.Size([2, 4, 10, 16])
    """
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2 or \
            query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: query of shape {tuple(query.shape)}, "
                           f"key of shape {tuple(key.shape)} and value of shape "
                           f"{tuple(value.shape)} do not match (expected (*, L, E), (*, S, E), "
                           f"(*, S, Ev))")
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or hq % value.shape[-3]:
            raise RuntimeError(f"scaled_dot_product_attention: {hq} query heads are not a "
                               f"multiple of the key/value heads (key of shape "
                               f"{tuple(key.shape)}, value of shape {tuple(value.shape)})")
        key = key.repeat_interleave(hq // hk, -3)
        value = value.repeat_interleave(hq // value.shape[-3], -3)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    if attn_mask is not None:
        _check_mask(attn_mask, tuple(scores.shape))
    if is_causal:
        keep = causal_mask(query, query.shape[-2], key.shape[-2])
        attn = scores.masked_fill(keep.logical_not(), _NEG_INF).softmax(-1)
    elif attn_mask is None:
        attn = scores.softmax(-1)
    elif attn_mask.dtype == dtypes.bool:
        attn = safe_softmax(scores.masked_fill(attn_mask.logical_not(), _NEG_INF))
    else:
        attn = safe_softmax(scores + attn_mask)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ value
