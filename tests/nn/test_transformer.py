"""Transformer layers, stacks and nn.Transformer against PyTorch on copied weights: values,
input and parameter gradients (eval mode, and train mode with dropout 0), masks, repr,
state_dict keys, the square subsequent mask."""
from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import close, load_from_torch

import latte
import latte.nn as nn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch: nested-tensor notes


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _compare(lm, tm, inputs, masks=None, train=False, **kw):
    """Forward both modules, backward a fixed upstream gradient, compare everything."""
    assert list(lm.state_dict()) == list(tm.state_dict())
    load_from_torch(lm, tm)
    lm.train(train)
    tm.train(train)
    lin = [latte.tensor(a, requires_grad=True) for a in inputs]
    tin = [torch.tensor(a, requires_grad=True) for a in inputs]
    masks = masks or {}
    lo = lm(*lin, **{k: latte.tensor(m) for k, m in masks.items()}, **kw)
    to = tm(*tin, **{k: torch.tensor(m) for k, m in masks.items()}, **kw)
    close(lo, to, 1e-4, 1e-5, "output")
    up = _rand(*to.shape, seed=11)
    lo.backward(latte.tensor(up))
    to.backward(torch.tensor(up))
    for i, (a, b) in enumerate(zip(lin, tin)):
        close(a.grad, b.grad, 1e-4, 1e-4, f"grad of input {i}")
    tparams = dict(tm.named_parameters())
    for name, p in lm.named_parameters():
        close(p.grad, tparams[name].grad, 1e-4, 1e-4, f"grad of {name}")


LAYER_CFGS = [
    {}, {"norm_first": True}, {"activation": "gelu"}, {"batch_first": True},
    {"bias": False, "layer_norm_eps": 1e-3}, {"norm_first": True, "batch_first": True},
]


def _seq(cfg, s, n=3, e=8, seed=0):
    x = _rand(s, n, e, seed=seed)
    return np.ascontiguousarray(x.transpose(1, 0, 2)) if cfg.get("batch_first") else x


@pytest.mark.parametrize("cfg", LAYER_CFGS, ids=str)
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer_matches_torch(cfg, train):
    kw = dict(dim_feedforward=16, dropout=0.0, **cfg)
    _compare(nn.TransformerEncoderLayer(8, 2, **kw), torch.nn.TransformerEncoderLayer(8, 2, **kw),
             [_seq(cfg, 5)], train=train)


@pytest.mark.parametrize("cfg", LAYER_CFGS, ids=str)
@pytest.mark.parametrize("train", [False, True])
def test_decoder_layer_matches_torch(cfg, train):
    kw = dict(dim_feedforward=16, dropout=0.0, **cfg)
    _compare(nn.TransformerDecoderLayer(8, 2, **kw), torch.nn.TransformerDecoderLayer(8, 2, **kw),
             [_seq(cfg, 4), _seq(cfg, 6, seed=1)], train=train)


def test_encoder_layer_callable_activation_and_masks():
    kw = dict(dim_feedforward=16, dropout=0.0)
    lm = nn.TransformerEncoderLayer(8, 2, activation=latte.nn.functional.gelu, **kw)
    tm = torch.nn.TransformerEncoderLayer(8, 2, activation=torch.nn.functional.gelu, **kw)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    causal = nn.Transformer.generate_square_subsequent_mask(5).numpy()
    _compare(lm, tm, [_rand(5, 3, 8)], masks={"src_mask": causal, "src_key_padding_mask": kpm},
             train=True, is_causal=True)


def test_encoder_layer_module_activation_is_a_submodule():
    lm = nn.TransformerEncoderLayer(8, 2, 16, activation=nn.GELU())
    tm = torch.nn.TransformerEncoderLayer(8, 2, 16, activation=torch.nn.GELU())
    assert repr(lm) == repr(tm)
    assert list(lm.state_dict()) == list(tm.state_dict())


@pytest.mark.parametrize("norm", [False, True])
def test_encoder_stack_matches_torch(norm):
    kw = dict(dim_feedforward=16, dropout=0.0)
    lm = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 2,
                               nn.LayerNorm(8) if norm else None, enable_nested_tensor=False)
    tm = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 2,
                                     torch.nn.LayerNorm(8) if norm else None,
                                     enable_nested_tensor=False)
    assert repr(lm) == repr(tm)
    kpm = np.zeros((3, 5), bool)
    kpm[0, 4] = True
    _compare(lm, tm, [_rand(5, 3, 8)], masks={"src_key_padding_mask": kpm}, train=True)
    # the layers are copies, not one shared layer
    assert lm.layers[0].linear1.weight is not lm.layers[1].linear1.weight


def test_decoder_stack_matches_torch():
    kw = dict(dim_feedforward=16, dropout=0.0)
    lm = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, **kw), 2, nn.LayerNorm(8))
    tm = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, **kw), 2,
                                     torch.nn.LayerNorm(8))
    assert repr(lm) == repr(tm)
    mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    mkpm = np.zeros((3, 6), bool)
    mkpm[2, 5] = True
    _compare(lm, tm, [_rand(4, 3, 8), _rand(6, 3, 8, seed=1)],
             masks={"tgt_mask": mask, "memory_key_padding_mask": mkpm}, train=False)


@pytest.mark.parametrize("cfg", [{}, {"batch_first": True, "norm_first": True}], ids=str)
def test_transformer_matches_torch(cfg):
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=16, dropout=0.0, **cfg)
    lm, tm = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    assert repr(lm) == repr(tm)
    mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    _compare(lm, tm, [_seq(cfg, 6), _seq(cfg, 4, seed=1)], masks={"tgt_mask": mask}, train=True)


def test_transformer_init_attributes_and_mask():
    m = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=32)
    assert (m.d_model, m.nhead, m.batch_first) == (16, 4, False)
    # weight matrices are xavier-uniform: bound sqrt(6 / (fan_in + fan_out))
    w = m.encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= np.sqrt(6 / 48) and np.abs(w).max() > 0.5 * np.sqrt(6 / 48)
    got = nn.Transformer.generate_square_subsequent_mask(4)
    close(got, torch.nn.Transformer.generate_square_subsequent_mask(4), 0, 0, "mask")
    assert got.dtype == latte.float32
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=latte.float64).dtype == \
        latte.float64


def test_transformer_state_dict_loads_into_torch():
    kw = dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
              dim_feedforward=16)
    lm, tm = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in lm.state_dict().items()})
    lm.eval()
    tm.eval()
    src, tgt = _rand(5, 2, 8), _rand(3, 2, 8, seed=1)
    with torch.no_grad():
        expected = tm(torch.tensor(src), torch.tensor(tgt))
    close(lm(latte.tensor(src), latte.tensor(tgt)), expected, 1e-4, 1e-5, "output")


def test_train_mode_dropout_is_active():
    latte.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = latte.randn(5, 2, 8)
    assert not np.allclose(layer(x).detach().numpy(), layer(x).detach().numpy())
    layer.eval()
    close(layer(x), layer(x), 0, 0, "eval")


def test_errors():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    m = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                       dim_feedforward=16)
    with pytest.raises(RuntimeError, match=r"batch number.*\(5, 2, 8\).*\(3, 4, 8\)"):
        m(latte.randn(5, 2, 8), latte.randn(3, 4, 8))
    with pytest.raises(RuntimeError, match=r"d_model=8.*\(5, 2, 6\)"):
        m(latte.randn(5, 2, 6), latte.randn(3, 2, 6))
