"""``MultiheadAttention``: PyTorch's layer, parameter names and masking conventions."""
from __future__ import annotations

from typing import Any

from latte import creation, dtypes
from latte.functional import cat
from latte.nn import init
from latte.nn.functional.attention import scaled_dot_product_attention
from latte.nn.functional.dropout import dropout
from latte.nn.functional.linear import linear
from latte.nn.functional.misc import pad
from latte.nn.modules.linear import Linear
from latte.nn.modules.module import Module, place
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj`` (its repr shows
    it)."""


def _float_mask(mask: Tensor | None, name: str, dtype: Any) -> Tensor | None:
    """A bool mask (True = do not attend) as an additive float mask of ``dtype``."""
    if mask is None:
        return None
    if mask.dtype == dtypes.bool:
        return mask.new_zeros(tuple(mask.shape), dtype=dtype).masked_fill(mask, float("-inf"))
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of {name} are supported, got "
                             f"{mask.dtype}")
    return mask


class MultiheadAttention(Module):
    """Attention of ``num_heads`` heads of size ``embed_dim // num_heads`` over projected
    query, key and value, then an output projection.

    Inputs are ``(L, N, E)`` (``(N, L, E)`` with ``batch_first``) or unbatched ``(L, E)``; keys
    and values have ``S`` positions. ``key_padding_mask (N, S)`` and ``attn_mask`` (``(L, S)``
    or ``(N * num_heads, L, S)``) mark with True the positions *not* to attend (float masks are
    added). Returns ``(output, weights)``: weights ``(N, L, S)`` averaged over heads, or
    ``(N, num_heads, L, S)``, or None when ``need_weights=False``.

    Example::

        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = latte.randn(2, 5, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        (latte.Size([2, 5, 16]), latte.Size([2, 5, 5]))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(creation.empty(3 * embed_dim, embed_dim, dtype=dtype))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(creation.empty(embed_dim, embed_dim, dtype=dtype))
            self.k_proj_weight = Parameter(creation.empty(embed_dim, self.kdim, dtype=dtype))
            self.v_proj_weight = Parameter(creation.empty(embed_dim, self.vdim, dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(creation.empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
            self.bias_v = Parameter(creation.empty(1, 1, embed_dim, dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()
        place(self, device)

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _project(self, query: Tensor, key: Tensor, value: Tensor) -> tuple:
        """The q, k, v input projections of ``(N, *, E)`` inputs (one matmul for
        self-attention)."""
        e, b = self.embed_dim, self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        if not self._qkv_same_embed_dim:
            return (linear(query, self.q_proj_weight, bq), linear(key, self.k_proj_weight, bk),
                    linear(value, self.v_proj_weight, bv))
        w = self.in_proj_weight
        if query is key and key is value:
            return linear(query, w, b).chunk(3, -1)
        if key is value:
            k, v = linear(key, w[e:], None if b is None else b[e:]).chunk(2, -1)
            return linear(query, w[:e], bq), k, v
        return (linear(query, w[:e], bq), linear(key, w[e:2 * e], bk),
                linear(value, w[2 * e:], bv))

    def _check_shapes(self, query: Tensor, key: Tensor, value: Tensor,
                      key_padding_mask: Tensor | None) -> bool:
        batched = query.dim() == 3
        if query.dim() not in (2, 3) or key.dim() != query.dim() or value.dim() != query.dim():
            raise AssertionError(f"query should be unbatched 2D or batched 3D tensor, with key "
                                 f"and value alike, but got query of shape "
                                 f"{tuple(query.shape)}, key of shape {tuple(key.shape)} and "
                                 f"value of shape {tuple(value.shape)}")
        if query.shape[-1] != self.embed_dim or key.shape[-1] != self.kdim or \
                value.shape[-1] != self.vdim or key.shape[:-1] != value.shape[:-1]:
            raise AssertionError(f"{type(self).__name__}: query of shape {tuple(query.shape)}, "
                                 f"key of shape {tuple(key.shape)} and value of shape "
                                 f"{tuple(value.shape)} do not match embed_dim={self.embed_dim}, "
                                 f"kdim={self.kdim}, vdim={self.vdim}")
        if key_padding_mask is not None and key_padding_mask.dim() != (2 if batched else 1):
            raise AssertionError(f"key_padding_mask of shape {tuple(key_padding_mask.shape)} "
                                 f"does not match {'batched' if batched else 'unbatched'} query "
                                 f"of shape {tuple(query.shape)}")
        return batched

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple:
        batched = self._check_shapes(query, key, value, key_padding_mask)
        if is_causal and attn_mask is None:
            raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                               "Transformer module method `generate_square_subsequent_mask` to "
                               "create this mask.")
        # work batch first: (N, L, E)
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif not self.batch_first:
            same_kv = key is value
            same = query is key and same_kv
            query = query.transpose(0, 1)
            key = query if same else key.transpose(0, 1)
            value = key if same_kv else value.transpose(0, 1)
        n, tl, _ = query.shape
        h, hd = self.num_heads, self.head_dim
        q, k, v = self._project(query, key, value)
        mask, kpm = self._masks(attn_mask, key_padding_mask, q.dtype, n, tl, key.shape[1])
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(n, 1, self.embed_dim)], 1)
            v = cat([v, self.bias_v.expand(n, 1, self.embed_dim)], 1)
            mask, kpm = _pad_col(mask), _pad_col(kpm)
        q = q.view(n, tl, h, hd).transpose(1, 2)
        k = k.view(n, k.shape[1], h, hd).transpose(1, 2)
        v = v.view(n, v.shape[1], h, hd).transpose(1, 2)
        if self.add_zero_attn:
            zeros = k.new_zeros((n, h, 1, hd))
            k, v = cat([k, zeros], 2), cat([v, zeros], 2)
            mask, kpm = _pad_col(mask), _pad_col(kpm)
        if kpm is not None:
            kpm = kpm.view(n, 1, 1, kpm.shape[-1])
            mask = kpm if mask is None else mask + kpm
        p = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            scores = (q * (1.0 / hd) ** 0.5) @ k.transpose(-2, -1)
            attn = (scores if mask is None else scores + mask).softmax(-1)
            if p > 0.0:
                attn = dropout(attn, p, training=True)
            out = attn @ v
            weights = attn.mean(1) if average_attn_weights else attn
            if not batched:
                weights = weights.squeeze(0)
        else:
            out = scaled_dot_product_attention(q, k, v, mask, p)
        out = self.out_proj(out.transpose(1, 2).reshape(n, tl, self.embed_dim))
        if not batched:
            return out.squeeze(0), weights
        return (out if self.batch_first else out.transpose(0, 1)), weights

    def _masks(self, attn_mask: Tensor | None, key_padding_mask: Tensor | None, dtype: Any,
               n: int, tl: int, s: int) -> tuple:
        """Additive float masks: ``attn_mask`` as ``(1 or N, 1 or H, L, S)``, the padding mask
        as ``(N, S)``."""
        kpm = _float_mask(key_padding_mask, "key_padding_mask", dtype)
        if kpm is not None and tuple(kpm.shape) != (n, s):
            raise AssertionError(f"expecting key_padding_mask shape of {(n, s)}, but got "
                                 f"{tuple(kpm.shape)}")
        mask = _float_mask(attn_mask, "attn_mask", dtype)
        if mask is None:
            return None, kpm
        if mask.dim() == 2:
            if tuple(mask.shape) != (tl, s):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(mask.shape)}, but "
                                   f"should be {(tl, s)}.")
            return mask.view(1, 1, tl, s), kpm
        if mask.dim() == 3:
            h = self.num_heads
            if tuple(mask.shape) == (h, tl, s) and n == 1:  # an unbatched query's (H, L, S)
                return mask.unsqueeze(0), kpm
            if tuple(mask.shape) != (n * h, tl, s):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(mask.shape)}, but "
                                   f"should be {(n * h, tl, s)}.")
            return mask.view(n, h, tl, s), kpm
        raise RuntimeError(f"attn_mask's dimension {mask.dim()} is not supported")

    def extra_repr(self) -> str:
        return ""


def _pad_col(mask: Tensor | None) -> Tensor | None:
    """One more key position (a bias or zero key) that every query may attend."""
    return None if mask is None else pad(mask, (0, 1))
