"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: values, input and
parameter gradients, masks of both kinds, unbatched inputs, repr, state_dict keys, errors."""
from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import close, f64, load_from_torch

import latte
import latte.nn as nn
import latte.nn.functional as F
from latte.autograd import gradcheck

torch = pytest.importorskip("torch")


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _sdpa_pair(q, k, v, mask=None, **kw):
    """Run both SDPAs on the same inputs, backward a fixed upstream gradient, compare."""
    lq, lk, lv = (latte.tensor(a, requires_grad=True) for a in (q, k, v))
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    lm = None if mask is None else latte.tensor(mask)
    tm = None if mask is None else torch.tensor(mask)
    lo = F.scaled_dot_product_attention(lq, lk, lv, attn_mask=lm, **kw)
    to = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=tm, **kw)
    close(lo, to, 1e-5, 1e-5, "output")
    up = _rand(*to.shape, seed=9)
    lo.backward(latte.tensor(up))
    to.backward(torch.tensor(up))
    for name, a, b in (("q", lq, tq), ("k", lk, tk), ("v", lv, tv)):
        close(a.grad, b.grad, 1e-4, 1e-5, f"grad of {name}")
    return lo


SDPA_SHAPES = [((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)), ((5, 4), (7, 4), (7, 3)),
               ((3, 5, 8), (3, 5, 8), (3, 5, 8))]


@pytest.mark.parametrize("shapes", SDPA_SHAPES, ids=str)
@pytest.mark.parametrize("kind", ["none", "bool", "float", "causal", "scale"])
def test_sdpa_matches_torch(shapes, kind):
    q, k, v = (_rand(*s, seed=i) for i, s in enumerate(shapes))
    lq, s = shapes[0][-2], shapes[1][-2]
    rng = np.random.default_rng(3)
    mask, kw = None, {}
    if kind == "bool":
        mask = rng.random((lq, s)) > 0.4
        mask[:, 0] = True
    elif kind == "float":
        mask = rng.standard_normal((lq, s)).astype(np.float32)
    elif kind == "causal":
        kw["is_causal"] = True
    elif kind == "scale":
        kw["scale"] = 0.3
    _sdpa_pair(q, k, v, mask, **kw)


def test_sdpa_fully_masked_rows_give_zeros_and_finite_grads():
    q, k, v = _rand(1, 2, 4, 3), _rand(1, 2, 5, 3, seed=1), _rand(1, 2, 5, 3, seed=2)
    mask = np.ones((4, 5), bool)
    mask[1] = False
    out = _sdpa_pair(q, k, v, mask)
    assert np.all(out.detach().numpy()[:, :, 1] == 0)
    fmask = np.where(mask, 0.0, -np.inf).astype(np.float32)
    _sdpa_pair(q, k, v, fmask)


def test_sdpa_broadcast_mask_and_gqa():
    q, k, v = _rand(2, 4, 3, 6), _rand(2, 2, 5, 6, seed=1), _rand(2, 2, 5, 6, seed=2)
    mask = np.random.default_rng(0).random((2, 1, 3, 5)) > 0.3
    mask[..., 0] = True
    _sdpa_pair(q, k, v, mask, enable_gqa=True)


def test_sdpa_dropout_statistics_and_eval():
    latte.manual_seed(0)
    q = latte.zeros(1, 1, 200, 4)
    v = latte.ones(1, 1, 50, 4)
    k = latte.zeros(1, 1, 50, 4)
    out = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    # uniform weights 1/50, half kept and doubled: mean output stays near 1
    assert abs(float(out.mean()) - 1.0) < 0.05
    assert float(out.std()) > 0.05
    close(F.scaled_dot_product_attention(q, k, v), np.ones((1, 1, 200, 4), np.float32))


def test_sdpa_gradcheck_float64():
    q, k, v = f64(2, 3, 4, seed=1), f64(2, 5, 4, seed=2), f64(2, 5, 3, seed=3)
    mask = latte.tensor(np.random.default_rng(0).standard_normal((3, 5)))
    bmask = latte.tensor(np.random.default_rng(1).random((3, 5)) > 0.3)
    bmask[:, 0] = True
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c), (q, k, v))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, mask), (q, k, v))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, bmask), (q, k, v))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                     (q, k, v))


def test_sdpa_errors():
    q = latte.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=latte.ones(3, 3, dtype=latte.bool),
                                       is_causal=True)
    with pytest.raises(RuntimeError, match=r"\(2, 3, 4\).*\(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, latte.randn(2, 3, 5), latte.randn(2, 3, 5))


# --- MultiheadAttention
MHA_CONFIGS = [
    {}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True}, {"kdim": 3, "vdim": 5},
    {"batch_first": True}, {"kdim": 3, "vdim": 5, "batch_first": True, "bias": False},
]


def _mha_inputs(cfg, batched=True, lq=4, s=6, n=3, e=8):
    q = _rand(lq, n, e, seed=1)
    k = _rand(s, n, cfg.get("kdim", e), seed=2)
    v = _rand(s, n, cfg.get("vdim", e), seed=3)
    if not batched:
        return q[:, 0], k[:, 0], v[:, 0]
    if cfg.get("batch_first"):
        return tuple(np.ascontiguousarray(a.transpose(1, 0, 2)) for a in (q, k, v))
    return q, k, v


def _mha_pair(cfg, arrays, self_attn=False, masks=None, **kw):
    """Both MHAs on shared weights; compare output, weights and every gradient."""
    tm = torch.nn.MultiheadAttention(8, 2, **cfg)
    lm = nn.MultiheadAttention(8, 2, **cfg)
    assert list(lm.state_dict()) == list(tm.state_dict())
    load_from_torch(lm, tm)
    lin = [latte.tensor(a, requires_grad=True) for a in arrays]
    tin = [torch.tensor(a, requires_grad=True) for a in arrays]
    if self_attn:
        lin, tin = [lin[0]] * 3, [tin[0]] * 3
    masks = masks or {}
    lk = {name: latte.tensor(m) for name, m in masks.items()}
    tk = {name: torch.tensor(m) for name, m in masks.items()}
    lo, lw = lm(*lin, **lk, **kw)
    to, tw = tm(*tin, **tk, **kw)
    close(lo, to, 1e-5, 1e-5, "output")
    if tw is None:
        assert lw is None
    else:
        close(lw, tw, 1e-5, 1e-6, "weights")
    loss_l = (lo * latte.tensor(_rand(*to.shape, seed=7))).sum()
    loss_t = (to * torch.tensor(_rand(*to.shape, seed=7))).sum()
    if tw is not None:
        loss_l = loss_l + (lw * latte.tensor(_rand(*tw.shape, seed=8))).sum()
        loss_t = loss_t + (tw * torch.tensor(_rand(*tw.shape, seed=8))).sum()
    loss_l.backward()
    loss_t.backward()
    for i, (a, b) in enumerate(zip(lin, tin)):
        close(a.grad, b.grad, 1e-4, 1e-5, f"grad of input {i}")
    tparams = dict(tm.named_parameters())
    for name, p in lm.named_parameters():
        close(p.grad, tparams[name].grad, 1e-4, 1e-5, f"grad of {name}")
    return lm, tm


@pytest.mark.parametrize("cfg", MHA_CONFIGS, ids=str)
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_matches_torch(cfg, need_weights):
    _mha_pair(cfg, _mha_inputs(cfg), need_weights=need_weights)


@pytest.mark.parametrize("mask_dtype", ["bool", "float"])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("cfg", [{}, {"add_bias_kv": True, "add_zero_attn": True},
                                 {"batch_first": True}], ids=str)
def test_mha_masks_match_torch(cfg, need_weights, mask_dtype):
    rng = np.random.default_rng(5)
    kpm = rng.random((3, 6)) > 0.6
    kpm[:, 0] = False
    attn = rng.random((4, 6)) > 0.7
    attn[:, 0] = False
    if mask_dtype == "float":
        kpm = np.where(kpm, -1e4, rng.standard_normal(kpm.shape)).astype(np.float32)
        attn = np.where(attn, -np.inf, 0.0).astype(np.float32)
    _mha_pair(cfg, _mha_inputs(cfg), masks={"key_padding_mask": kpm, "attn_mask": attn},
              need_weights=need_weights)


def test_mha_3d_mask_per_head_weights_and_self_attention():
    rng = np.random.default_rng(2)
    mask = rng.standard_normal((3 * 2, 4, 4)).astype(np.float32)
    lm, _ = _mha_pair({}, _mha_inputs({}, s=4), self_attn=True, masks={"attn_mask": mask},
                      average_attn_weights=False)
    lw = lm(*[latte.randn(4, 3, 8)] * 3, average_attn_weights=False)[1]
    assert tuple(lw.shape) == (3, 2, 4, 4)


def test_mha_causal_hint_with_mask():
    causal = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    _mha_pair({}, _mha_inputs({}, s=4), self_attn=True, masks={"attn_mask": causal},
              is_causal=True, need_weights=False)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_unbatched(need_weights):
    cfg = {"batch_first": True}
    kpm = np.array([False, True, False, False, True, False])
    _mha_pair(cfg, _mha_inputs(cfg, batched=False), masks={"key_padding_mask": kpm},
              need_weights=need_weights)


def test_mha_repr_state_dict_and_init():
    for cfg in MHA_CONFIGS:
        lm, tm = nn.MultiheadAttention(8, 2, **cfg), torch.nn.MultiheadAttention(8, 2, **cfg)
        assert repr(lm) == repr(tm)
        assert list(lm.state_dict()) == list(tm.state_dict())
        assert [tuple(p.shape) for p in lm.parameters()] == \
            [tuple(p.shape) for p in tm.parameters()]
    lm = nn.MultiheadAttention(8, 2)
    assert np.all(lm.in_proj_bias.detach().numpy() == 0)
    assert lm.head_dim == 4 and lm._qkv_same_embed_dim and not lm.batch_first


def test_mha_train_dropout_changes_output_eval_does_not():
    latte.manual_seed(0)
    m = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = latte.randn(5, 2, 8)
    a, b = m(x, x, x)[0], m(x, x, x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    m.eval()
    close(m(x, x, x)[0], m(x, x, x)[0], 0, 0, "eval repeat")


def test_mha_errors():
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    m = nn.MultiheadAttention(8, 2)
    x = latte.randn(4, 3, 8)
    with pytest.raises(AssertionError, match=r"\(4, 3, 7\)"):
        m(latte.randn(4, 3, 7), x, x)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 3\).*\(4, 4\)"):
        m(x, x, x, attn_mask=latte.zeros(3, 3))
    with pytest.raises(AssertionError, match=r"key_padding_mask shape of \(3, 4\)"):
        m(x, x, x, key_padding_mask=latte.zeros(3, 5, dtype=latte.bool))
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m(x, x, x, is_causal=True)
