"""RNN, LSTM, GRU, their cells and packed sequences against PyTorch: outputs, final states and
the gradients of the input, the initial states and every parameter."""
from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import close, load_from_torch

import latte
from latte import nn
from latte.autograd import gradcheck
from latte.nn.utils import rnn as lrnn

torch = pytest.importorskip("torch")
trnn = torch.nn.utils.rnn

KINDS = {
    "lstm": ("LSTM", {}),
    "gru": ("GRU", {}),
    "rnn_tanh": ("RNN", {"nonlinearity": "tanh"}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
}


def _pair(kind: str, *args, **kwargs):
    cls, extra = KINDS[kind]
    torch.manual_seed(0)
    tmod = getattr(torch.nn, cls)(*args, **extra, **kwargs)
    lmod = getattr(nn, cls)(*args, **extra, **kwargs)
    load_from_torch(lmod, tmod)
    return lmod, tmod


def _leaves(rng, *shape):
    x = rng.standard_normal(shape).astype(np.float32)
    return latte.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _flat(out):
    """Output tensors of a module call, flattened (PackedSequence -> its data)."""
    if isinstance(out, (lrnn.PackedSequence, trnn.PackedSequence)):
        return [out.data]
    if isinstance(out, tuple):
        return [t for o in out for t in _flat(o)]
    return [out]


def _backward_both(lout, tout, seed=1):
    rng = np.random.default_rng(seed)
    lsum, tsum = 0, 0
    for lo, to in zip(_flat(lout), _flat(tout)):
        close(lo, to, 1e-5, 1e-5, "output")
        up = rng.standard_normal(tuple(to.shape)).astype(np.float32)
        lsum = lsum + (lo * latte.tensor(up)).sum()
        tsum = tsum + (to * torch.tensor(up)).sum()
    lsum.backward()
    tsum.backward()


def _compare_grads(lmod, tmod, pairs):
    for i, (a, b) in enumerate(pairs):
        close(a.grad, b.grad, 1e-4, 1e-5, f"grad of input {i}")
    tparams = dict(tmod.named_parameters())
    lparams = dict(lmod.named_parameters())
    assert list(lparams) == list(tparams)
    for name, p in lparams.items():
        close(p.grad, tparams[name].grad, 1e-4, 1e-5, f"grad of {name}")


CONFIGS = [
    dict(num_layers=1),
    dict(num_layers=2),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=1, batch_first=True),
    dict(num_layers=2, bias=False, bidirectional=True, batch_first=True),
]


@pytest.mark.parametrize("with_h0", [False, True], ids=["no_h0", "h0"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(f"{k}{v}" for k, v in c.items()))
@pytest.mark.parametrize("kind", list(KINDS))
def test_layer_matches_torch(kind, cfg, with_h0):
    lmod, tmod = _pair(kind, 5, 7, **cfg)
    rng = np.random.default_rng(3)
    seq, batch = 6, 4
    shape = (batch, seq, 5) if cfg.get("batch_first") else (seq, batch, 5)
    pairs = [_leaves(rng, *shape)]
    args_l, args_t = [pairs[0][0]], [pairs[0][1]]
    if with_h0:
        dirs = 2 if cfg.get("bidirectional") else 1
        states = [_leaves(rng, dirs * cfg["num_layers"], batch, 7)
                  for _ in range(2 if kind == "lstm" else 1)]
        pairs += states
        hl = [s[0] for s in states]
        ht = [s[1] for s in states]
        args_l.append(tuple(hl) if kind == "lstm" else hl[0])
        args_t.append(tuple(ht) if kind == "lstm" else ht[0])
    lout, tout = lmod(*args_l), tmod(*args_t)
    _backward_both(lout, tout)
    _compare_grads(lmod, tmod, pairs)


@pytest.mark.parametrize("packed", [False, True], ids=["padded", "packed"])
@pytest.mark.parametrize("cfg", [dict(num_layers=1), dict(num_layers=2, bidirectional=True,
                                                           batch_first=True)])
def test_lstm_proj_size_matches_torch(cfg, packed):
    lmod, tmod = _pair("lstm", 3, 6, proj_size=4, **cfg)
    assert [(k, tuple(v.shape)) for k, v in lmod.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tmod.state_dict().items()]
    rng = np.random.default_rng(4)
    dirs = 2 if cfg.get("bidirectional") else 1
    layers = dirs * cfg["num_layers"]
    shape = (4, 5, 3) if cfg.get("batch_first") else (5, 4, 3)
    pairs = [_leaves(rng, *shape), _leaves(rng, layers, 4, 4), _leaves(rng, layers, 4, 6)]
    xl, xt = pairs[0]
    if packed:
        xl = lrnn.pack_padded_sequence(xl, [5, 3, 3, 2], batch_first=cfg.get("batch_first", False))
        xt = trnn.pack_padded_sequence(xt, [5, 3, 3, 2], batch_first=cfg.get("batch_first", False))
    lout = lmod(xl, (pairs[1][0], pairs[2][0]))
    tout = tmod(xt, (pairs[1][1], pairs[2][1]))
    _backward_both(lout, tout)
    _compare_grads(lmod, tmod, pairs)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("with_h0", [False, True], ids=["no_h0", "h0"])
def test_unbatched_input(kind, with_h0):
    lmod, tmod = _pair(kind, 3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(0)
    pairs = [_leaves(rng, 5, 3)]
    args_l, args_t = [pairs[0][0]], [pairs[0][1]]
    if with_h0:
        states = [_leaves(rng, 4, 4) for _ in range(2 if kind == "lstm" else 1)]
        pairs += states
        args_l.append(tuple(s[0] for s in states) if kind == "lstm" else states[0][0])
        args_t.append(tuple(s[1] for s in states) if kind == "lstm" else states[0][1])
    lout, tout = lmod(*args_l), tmod(*args_t)
    assert tuple(lout[0].shape) == (5, 8)
    _backward_both(lout, tout)
    _compare_grads(lmod, tmod, pairs)


@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", list(KINDS))
def test_packed_sequence_matches_torch(kind, bidirectional, enforce_sorted):
    lengths = [6, 4, 4, 1] if enforce_sorted else [4, 6, 1, 3]
    lmod, tmod = _pair(kind, 3, 5, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(2)
    x_l, x_t = _leaves(rng, 6, 4, 3)
    states = [_leaves(rng, 4 if bidirectional else 2, 4, 5)
              for _ in range(2 if kind == "lstm" else 1)]
    lp = lrnn.pack_padded_sequence(x_l, lengths, enforce_sorted=enforce_sorted)
    tp = trnn.pack_padded_sequence(x_t, lengths, enforce_sorted=enforce_sorted)
    close(lp.batch_sizes, tp.batch_sizes, what="batch_sizes")
    close(lp.data, tp.data, what="packed data")
    h_l = tuple(s[0] for s in states) if kind == "lstm" else states[0][0]
    h_t = tuple(s[1] for s in states) if kind == "lstm" else states[0][1]
    lout, tout = lmod(lp, h_l), tmod(tp, h_t)
    assert isinstance(lout[0], lrnn.PackedSequence)
    close(lout[0].batch_sizes, tout[0].batch_sizes, what="output batch_sizes")
    lpad, llen = lrnn.pad_packed_sequence(lout[0], batch_first=True)
    tpad, tlen = trnn.pad_packed_sequence(tout[0], batch_first=True)
    close(lpad, tpad, what="padded output")
    assert llen.tolist() == tlen.tolist()
    _backward_both(lout, tout)
    _compare_grads(lmod, tmod, [(x_l, x_t)] + states)


def test_pad_pack_utilities_match_torch():
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, 2)).astype(np.float32) for n in (2, 5, 3)]
    lseq = [latte.tensor(a, requires_grad=True) for a in arrays]
    tseq = [torch.tensor(a, requires_grad=True) for a in arrays]
    for side in ("right", "left"):
        close(lrnn.pad_sequence(lseq, batch_first=True, padding_value=-1, padding_side=side),
              trnn.pad_sequence(tseq, batch_first=True, padding_value=-1, padding_side=side))
    close(lrnn.pad_sequence(lseq), trnn.pad_sequence(tseq))
    lp = lrnn.pack_sequence(lseq, enforce_sorted=False)
    tp = trnn.pack_sequence(tseq, enforce_sorted=False)
    for got, want in zip(lp, tp):
        close(got, want)
    lpad, llen = lrnn.pad_packed_sequence(lp, padding_value=9.0, total_length=7)
    tpad, tlen = trnn.pad_packed_sequence(tp, padding_value=9.0, total_length=7)
    close(lpad, tpad)
    assert llen.tolist() == tlen.tolist() and llen.dtype == latte.int64
    (lpad * latte.arange(7.0).reshape(7, 1, 1)).sum().backward()
    (tpad * torch.arange(7.0).reshape(7, 1, 1)).sum().backward()
    for a, b in zip(lseq, tseq):
        close(a.grad, b.grad)
    for got, want in zip(lrnn.unpack_sequence(lp), arrays):
        close(got, want)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        lrnn.pack_sequence(lseq)


@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("cls,extra", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                       ("LSTMCell", {}), ("GRUCell", {})])
@pytest.mark.parametrize("with_h", [True, False])
def test_cells_match_torch(cls, extra, bias, batched, with_h):
    torch.manual_seed(0)
    tmod = getattr(torch.nn, cls)(3, 5, bias=bias, **extra)
    lmod = getattr(nn, cls)(3, 5, bias=bias, **extra)
    load_from_torch(lmod, tmod)
    assert repr(lmod) == repr(tmod)
    rng = np.random.default_rng(1)
    lead = (4,) if batched else ()
    pairs = [_leaves(rng, *lead, 3)]
    args_l, args_t = [pairs[0][0]], [pairs[0][1]]
    if with_h:
        states = [_leaves(rng, *lead, 5) for _ in range(2 if cls == "LSTMCell" else 1)]
        pairs += states
        args_l.append(tuple(s[0] for s in states) if cls == "LSTMCell" else states[0][0])
        args_t.append(tuple(s[1] for s in states) if cls == "LSTMCell" else states[0][1])
    lout, tout = lmod(*args_l), tmod(*args_t)
    _backward_both(lout, tout)
    _compare_grads(lmod, tmod, pairs)


def test_parameters_init_and_repr_match_torch():
    for args, kwargs in [((3, 4), {}), ((3, 4, 2), dict(bias=False, batch_first=True,
                                                         dropout=0.5, bidirectional=True))]:
        for cls in ("RNN", "LSTM", "GRU"):
            tmod, lmod = getattr(torch.nn, cls)(*args, **kwargs), getattr(nn, cls)(*args,
                                                                                  **kwargs)
            assert repr(lmod) == repr(tmod)
            tstate, lstate = tmod.state_dict(), lmod.state_dict()
            assert list(lstate) == list(tstate)
            for k in tstate:
                assert tuple(lstate[k].shape) == tuple(tstate[k].shape), k
                bound = 1 / 2  # 1 / sqrt(hidden_size)
                assert float(lstate[k].abs().max()) <= bound
            assert [[tuple(p.shape) for p in ws] for ws in lmod.all_weights] == \
                [[tuple(p.shape) for p in ws] for ws in tmod.all_weights]
            lmod.flatten_parameters()
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == repr(torch.nn.RNN(3, 4,
                                                                        nonlinearity="relu"))
    assert repr(nn.LSTM(3, 4, proj_size=2)) == repr(torch.nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match="proj_size argument is only supported"):
        nn.GRU(3, 4, proj_size=2)


def test_wrong_sizes_name_both():
    lstm = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match="Expected 3, got 6"):
        lstm(latte.zeros(5, 2, 6))
    with pytest.raises(RuntimeError,
                       match=r"Expected hidden\[0\] size \(1, 2, 4\), got \[1, 3, 4\]"):
        lstm(latte.zeros(5, 2, 3), (latte.zeros(1, 3, 4), latte.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(latte.zeros(5, 2, 3, 3))
    with pytest.raises(RuntimeError, match="got 6 expected 3"):
        nn.LSTMCell(3, 4)(latte.zeros(2, 6))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        nn.GRUCell(3, 4)(latte.zeros(2, 3), latte.zeros(3, 4))


def test_dropout_between_layers():
    lstm = nn.LSTM(3, 6, num_layers=3, dropout=0.5)
    x = latte.randn(7, 2, 3)
    out, (h, c) = lstm(x)
    assert tuple(out.shape) == (7, 2, 6) and tuple(h.shape) == (3, 2, 6)
    lstm.eval()
    plain = nn.LSTM(3, 6, num_layers=3)
    plain.load_state_dict(lstm.state_dict())
    close(lstm(x)[0], plain(x)[0], 0, 0, "eval mode = no dropout")
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_gradcheck_float64(cls):
    latte.manual_seed(0)
    mod = getattr(nn, cls)(2, 3, num_layers=2, bidirectional=True).double()
    rng = np.random.default_rng(0)
    x = latte.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    h = latte.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    params = list(mod.parameters())
    if cls == "LSTM":
        c = latte.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
        assert gradcheck(lambda x, h, c, *ps: mod(x, (h, c))[0].sum() + mod(x, (h, c))[1][1].sum(),
                         (x, h, c, *params))
    else:
        assert gradcheck(lambda x, h, *ps: mod(x, h)[0].sum() + mod(x, h)[1].sum(),
                         (x, h, *params))


def test_packed_gradcheck_float64():
    latte.manual_seed(0)
    mod = nn.LSTM(2, 3, bidirectional=True).double()
    x = latte.tensor(np.random.default_rng(0).standard_normal((4, 3, 2)), requires_grad=True)

    def f(x, *ps):
        out, (h, c) = mod(lrnn.pack_padded_sequence(x, [4, 2, 1]))
        return out.data.sum() + (h * c).sum()
    assert gradcheck(f, (x, *mod.parameters()))
