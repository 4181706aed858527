"""Attention and Transformer layers on the stand-in GPU (and cuda:1): the same values, input and
parameter gradients as on the CPU (float64), with no array crossing to the host on the way."""
from __future__ import annotations

import numpy as np
import pytest
from test_device_nn import R, Spec, check_on_gpu

import latte
from latte import nn
from latte.nn import functional as F


def BOOL(*shape: int, p: float = 0.3) -> Spec:
    """A boolean mask, True with probability ``p``, never True in column 0 of the last dim."""
    def draw(rng):
        m = rng.random(shape) < p
        m[..., 0] = False
        return m
    return Spec(draw, False)


def CAUSAL(n: int) -> Spec:
    return Spec(lambda rng: np.triu(np.full((n, n), -np.inf), 1), False)


class MHA(nn.Module):
    """MultiheadAttention with the masks as inputs; returns only the tensors it produced."""

    def __init__(self, self_attn: bool = False, **kw) -> None:
        super().__init__()
        self.self_attn = self_attn
        self.need_weights = kw.pop("need_weights", True)
        self.mha = nn.MultiheadAttention(8, 2, **kw)

    def forward(self, q, k, v, key_padding_mask=None, attn_mask=None):
        if self.self_attn:
            k = v = q
        out, w = self.mha(q, k, v, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                          need_weights=self.need_weights)
        return out if w is None else (out, w)


class SDPA(nn.Module):
    def __init__(self, **kw) -> None:
        super().__init__()
        self.kw = kw

    def forward(self, q, k, v, mask=None):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **self.kw)


class Decoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0)

    def forward(self, tgt, memory, tgt_mask, memory_key_padding_mask):
        return self.layer(tgt, memory, tgt_mask=tgt_mask,
                          memory_key_padding_mask=memory_key_padding_mask)


Q, KV = R(4, 3, 8), R(6, 3, 8)
CASES = [
    ("sdpa_bool_mask", lambda: SDPA(), [R(2, 3, 4, 5), R(2, 3, 6, 5), R(2, 3, 6, 5),
                                        BOOL(4, 6)]),
    ("sdpa_causal", lambda: SDPA(is_causal=True), [R(2, 4, 5), R(2, 4, 5), R(2, 4, 3)]),
    ("mha_self_weights_kpm", lambda: MHA(True), [Q, Q, Q, BOOL(3, 4)]),
    ("mha_no_weights_masks", lambda: MHA(need_weights=False),
     [Q, KV, KV, BOOL(3, 6), BOOL(4, 6)]),
    ("mha_bias_kv_zero_attn", lambda: MHA(add_bias_kv=True, add_zero_attn=True),
     [Q, KV, KV, BOOL(3, 6)]),
    ("mha_kdim_vdim_batch_first", lambda: MHA(kdim=3, vdim=5, batch_first=True),
     [R(3, 4, 8), R(3, 6, 3), R(3, 6, 5)]),
    ("encoder_layer", lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0),
     [R(5, 3, 8), CAUSAL(5), BOOL(3, 5)]),
    ("encoder_layer_norm_first_gelu",
     lambda: nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation="gelu",
                                        norm_first=True, batch_first=True), [R(3, 5, 8)]),
    ("decoder_layer", Decoder, [R(4, 3, 8), R(6, 3, 8), CAUSAL(4), BOOL(3, 6)]),
    ("transformer", lambda: nn.Transformer(8, 2, 1, 1, 16, dropout=0.0), [R(6, 2, 8),
                                                                         R(4, 2, 8)]),
]


@pytest.mark.parametrize("on", ["cuda:0", "cuda:1"])
@pytest.mark.parametrize("factory,specs", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_attention_on_gpu_matches_cpu(gpu, factory, specs, on):
    check_on_gpu(gpu, factory, specs, on=latte.device(on))


def test_encoder_layer_dropout_on_gpu_without_host_copies(gpu):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5).to("cuda")
    x = latte.randn(5, 3, 8, device="cuda", requires_grad=True)
    before = gpu.transfers["to_host"]
    layer(x).sum().backward()
    assert gpu.transfers["to_host"] == before
    assert x.grad.device == latte.device("cuda:0")


def test_square_subsequent_mask_on_gpu(gpu):
    m = nn.Transformer.generate_square_subsequent_mask(4, device="cuda")
    assert m.device == latte.device("cuda:0")
    expected = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    np.testing.assert_array_equal(m.cpu().numpy(), expected)
