"""Attention and Transformer layers, and the smaller layers added with them (RMSNorm, shuffles,
EmbeddingBag, margin losses...), on the stand-in GPU (and cuda:1): the same values, input and
parameter gradients as on the CPU (float64), with no array crossing to the host on the way."""
from __future__ import annotations

import numpy as np
import pytest
from test_device_nn import SIGN, I, R, Spec, check_on_gpu

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


class Bag(nn.Module):
    def __init__(self, **kw) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(10, 3, **kw)

    def forward(self, idx, offsets=None, weights=None):
        return self.bag(idx, offsets, per_sample_weights=weights)


class Fn(nn.Module):
    def __init__(self, fn) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


IDX = Spec(lambda rng: np.array([1, 2, 4, 5, 4, 0, 3, 0, 9]), False)
OFF = Spec(lambda rng: np.array([0, 2, 2, 5]), False)
SMALL = [
    ("rmsnorm", lambda: nn.RMSNorm(6), [R(3, 4, 6)]),
    ("local_response_norm", lambda: nn.LocalResponseNorm(3), [R(2, 5, 3, 3)]),
    ("pixel_shuffle", lambda: nn.PixelShuffle(2), [R(2, 8, 3, 3)]),
    ("pixel_unshuffle", lambda: nn.PixelUnshuffle(2), [R(2, 2, 4, 6)]),
    ("channel_shuffle", lambda: nn.ChannelShuffle(2), [R(2, 6, 3)]),
    ("cosine_similarity", lambda: nn.CosineSimilarity(), [R(4, 5), R(4, 5)]),
    ("pairwise_distance", lambda: nn.PairwiseDistance(), [R(4, 5), R(4, 5)]),
    ("softmax2d", lambda: nn.Softmax2d(), [R(2, 3, 4, 4)]),
    ("pdist", lambda: Fn(F.pdist), [R(5, 3)]),
    ("embedding_bag_mean_padding", lambda: Bag(padding_idx=0), [IDX, OFF]),
    ("embedding_bag_max", lambda: Bag(mode="max"), [IDX, OFF]),
    ("embedding_bag_sum_weights", lambda: Bag(mode="sum"), [IDX, OFF, R(9)]),
    ("embedding_bag_2d", lambda: Bag(mode="mean"),
     [Spec(lambda rng: rng.integers(0, 10, (3, 4)), False)]),
    ("triplet_margin", lambda: nn.TripletMarginLoss(swap=True), [R(4, 5), R(4, 5), R(4, 5)]),
    ("multilabel_soft_margin", lambda: nn.MultiLabelSoftMarginLoss(),
     [R(4, 5), Spec(lambda rng: (rng.random((4, 5)) > 0.5) * 1.0, False)]),
    ("multi_margin", lambda: nn.MultiMarginLoss(p=2), [R(4, 5), I(5, 4)]),
    ("hinge_embedding", lambda: nn.HingeEmbeddingLoss(), [R(4, 5), SIGN(4, 5)]),
]
CASES += SMALL


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
