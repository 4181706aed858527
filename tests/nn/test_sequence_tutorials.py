"""The recurrent and attention models of PyTorch's NLP tutorials, run in Latte: the char-RNN
name classifier, the seq2seq GRU with Bahdanau attention, the LSTM tagger, packed batches and
the Transformer language model; plus the checks and behaviours those scripts rely on (dtype
and shape errors, ``is_causal`` without a mask, the encoder's nested-tensor inference path).

Hard-coded expectations run without PyTorch; the parity tests import it when installed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import latte
from latte import nn
from latte.nn import functional as F
from latte.nn.utils import rnn as lrnn

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # torch: nested-tensor notes


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _torch():
    return pytest.importorskip("torch")


def _copy(lmod, tmod):
    lmod.load_state_dict({k: v.detach().numpy() for k, v in tmod.state_dict().items()})


def _close(got, expected, atol=1e-5, what=""):
    got = got.detach().numpy()
    expected = expected.detach().numpy()
    assert got.shape == expected.shape, f"{what}: {got.shape} vs {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=atol, err_msg=what)


def _close_grads(lmod, tmod, atol=1e-5):
    tgrads = {k: p.grad for k, p in tmod.named_parameters()}
    lgrads = {k: p.grad for k, p in lmod.named_parameters()}
    assert list(lgrads) == list(tgrads)
    for k, g in tgrads.items():
        _close(lgrads[k], g, atol, f"grad of {k}")


# ---------------------------------------------------------------- errors (no PyTorch needed)

def test_rnn_input_dtype_must_match_the_weights():
    with pytest.raises(ValueError, match=r"RNN input dtype \(latte.float64\) does not match "
                                         r"weight dtype \(latte.float32\)"):
        nn.LSTM(4, 6)(latte.randn(5, 2, 4, dtype=latte.float64))
    with pytest.raises(ValueError, match="does not match weight dtype"):
        nn.GRU(4, 6)(latte.ones(5, 2, 4, dtype=latte.int64))
    packed = lrnn.pack_sequence([latte.randn(3, 4, dtype=latte.float64)])
    with pytest.raises(ValueError, match="does not match weight dtype"):
        nn.RNN(4, 6)(packed)


def test_rnn_hidden_state_dtype_must_match_the_input():
    with pytest.raises(RuntimeError, match="dtype latte.float32 like the input, got "
                                           "latte.float64"):
        nn.GRU(4, 6)(latte.randn(5, 2, 4), latte.zeros(1, 2, 6, dtype=latte.float64))
    with pytest.raises(RuntimeError, match="like the input"):
        nn.LSTM(4, 6)(latte.randn(5, 2, 4),
                      (latte.zeros(1, 2, 6), latte.zeros(1, 2, 6, dtype=latte.float64)))


def test_cells_check_input_and_hidden_dtypes():
    with pytest.raises(RuntimeError, match=r"GRUCell: input dtype \(latte.float64\)"):
        nn.GRUCell(4, 6)(latte.randn(2, 4, dtype=latte.float64))
    with pytest.raises(RuntimeError, match="hidden1 to have dtype latte.float32"):
        nn.LSTMCell(4, 6)(latte.randn(2, 4),
                          (latte.zeros(2, 6), latte.zeros(2, 6, dtype=latte.float64)))
    # a float64 model takes float64 data
    out = nn.GRU(4, 6).double()(latte.randn(3, 2, 4, dtype=latte.float64))[0]
    assert out.dtype == latte.float64


@pytest.mark.parametrize("cls, message", [
    (nn.RNN, "RNN: Expected input to be 2D or 3D, got 4D tensor instead"),
    (nn.LSTM, "LSTM: Expected input to be 2D or 3D, got 4D instead"),
    (nn.GRU, "GRU: Expected input to be 2D or 3D, got 4D instead"),
])
def test_rnn_rank_error_has_pytorchs_wording(cls, message):
    with pytest.raises(ValueError) as info:
        cls(4, 6)(latte.randn(1, 5, 2, 4))
    assert str(info.value) == message


def test_lstm_unbatched_state_rank_error_names_the_expected_rank():
    with pytest.raises(RuntimeError) as info:
        nn.LSTM(3, 4)(latte.ones(5, 3), (latte.ones(1, 1, 4), latte.ones(1, 1, 4)))
    assert str(info.value) == ("For unbatched 2-D input, hx and cx should also be 2-D but got "
                               "(3-D, 3-D) tensors")
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx and cx should also be 3-D"):
        nn.LSTM(3, 4)(latte.ones(5, 2, 3), (latte.ones(2, 4), latte.ones(2, 4)))


def test_pack_padded_sequence_checks_the_number_of_lengths():
    with pytest.raises(RuntimeError) as info:
        lrnn.pack_padded_sequence(latte.randn(5, 2, 3), [5, 2, 1])
    assert str(info.value) == ("Expected `len(lengths)` to be equal to batch_size, but got 3 "
                               "(batch_size=2)")
    with pytest.raises(RuntimeError, match="batch_size=3"):
        lrnn.pack_padded_sequence(latte.randn(3, 5, 2), [5, 2], batch_first=True,
                                  enforce_sorted=False)
    with pytest.raises(RuntimeError, match="'lengths' argument should be a 1D CPU int64 tensor"):
        lrnn.pack_padded_sequence(latte.randn(3, 2, 1), latte.tensor([[3, 2]]))


def test_pad_and_pack_sequence_errors():
    for fn in (lrnn.pad_sequence, lrnn.pack_sequence):
        with pytest.raises(RuntimeError, match="received an empty list of sequences"):
            fn([])
    with pytest.raises(RuntimeError, match="one of left or right, but got top"):
        lrnn.pad_sequence([latte.ones(2, 3)], padding_side="top")
    with pytest.raises(RuntimeError, match=r"trailing shape \(3,\).*\(3, 4\)"):
        lrnn.pad_sequence([latte.ones(2, 3), latte.ones(3, 4)])


def test_sdpa_rejects_a_mask_that_does_not_broadcast():
    q, k = latte.ones(2, 3, 4), latte.ones(2, 5, 4)
    with pytest.raises(RuntimeError, match=r"attn_mask of shape \(4, 5\) does not broadcast"):
        F.scaled_dot_product_attention(q, k, k, attn_mask=latte.ones(4, 5, dtype=latte.bool))
    with pytest.raises(RuntimeError, match="does not broadcast"):  # would grow the batch
        F.scaled_dot_product_attention(latte.ones(1, 3, 4), latte.ones(1, 5, 4),
                                       latte.ones(1, 5, 4), attn_mask=latte.zeros(2, 3, 5))
    ok = F.scaled_dot_product_attention(q, k, k, attn_mask=latte.zeros(1, 5))
    assert ok.shape == (2, 3, 4)


def test_is_causal_hint_without_a_mask_raises_in_the_stacks():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1).eval()
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16), 1).eval()
    x = latte.randn(5, 2, 8)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        enc(x, is_causal=True)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        dec(x, x, tgt_is_causal=True)
    mask = nn.Transformer.generate_square_subsequent_mask(5)
    hinted, plain = enc(x, mask=mask, is_causal=True), enc(x, mask=mask)
    np.testing.assert_allclose(hinted.detach().numpy(), plain.detach().numpy(), atol=1e-6)


# ------------------------------------------------- the encoder's nested-tensor inference path

def _encoder(nhead=2, norm_first=False, batch_first=True, mask_check=True, norm=None):
    latte.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, nhead, 16, batch_first=batch_first,
                                       norm_first=norm_first)
    return nn.TransformerEncoder(layer, 2, norm=norm, mask_check=mask_check).eval()


_RIGHT = np.array([[False] * 3 + [True] * 2, [False] * 5, [False] * 4 + [True]])


def test_nested_path_zeroes_padded_outputs_in_inference():
    enc = _encoder()
    assert enc.use_nested_tensor
    x, kpm = latte.tensor(_rand(3, 5, 8)), latte.tensor(_RIGHT)
    with latte.no_grad():
        fast = enc(x, src_key_padding_mask=kpm).numpy()
    slow = enc(x, src_key_padding_mask=kpm).detach().numpy()  # gradients wanted: computed
    assert np.all(fast[_RIGHT] == 0) and np.abs(slow[_RIGHT]).sum() > 1
    np.testing.assert_allclose(fast[~_RIGHT], slow[~_RIGHT], atol=1e-6)
    float_kpm = latte.tensor(np.where(_RIGHT, -np.inf, 0).astype(np.float32))
    with latte.no_grad():
        np.testing.assert_allclose(enc(x, src_key_padding_mask=float_kpm).numpy(), fast,
                                   atol=1e-6)


@pytest.mark.parametrize("case", ["odd_heads", "norm_first", "seq_first", "mask", "train",
                                  "left_padded"])
def test_nested_path_off_keeps_padded_outputs(case):
    enc = _encoder(nhead=1 if case == "odd_heads" else 2, norm_first=case == "norm_first",
                   batch_first=case != "seq_first")
    kpm = _RIGHT[:, ::-1].copy() if case == "left_padded" else _RIGHT
    x = _rand(3, 5, 8)
    if case == "seq_first":
        x = x.transpose(1, 0, 2).copy()
    if case == "train":
        enc.train()
        for layer in enc.layers:
            layer.dropout.p = layer.dropout1.p = layer.dropout2.p = 0.0
    mask = latte.zeros(5, 5) if case == "mask" else None
    with latte.no_grad():
        out = enc(latte.tensor(x), mask=mask, src_key_padding_mask=latte.tensor(kpm)).numpy()
    if case == "seq_first":
        out = out.transpose(1, 0, 2)
    assert np.abs(out[kpm]).min() > 0


def test_nested_path_without_mask_check_takes_the_first_positions():
    left = np.array([[True] * 2 + [False] * 3, [False] * 5])
    as_right = np.array([[False] * 3 + [True] * 2, [False] * 5])
    x = latte.tensor(_rand(2, 5, 8))
    with latte.no_grad():
        got = _encoder(mask_check=False)(x, src_key_padding_mask=latte.tensor(left))
        want = _encoder()(x, src_key_padding_mask=latte.tensor(as_right))
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-6)


def test_nested_path_zeroes_before_the_final_norm():
    enc = _encoder(norm=nn.LayerNorm(8))
    with latte.no_grad():
        nn.init.constant_(enc.norm.bias, 0.5)
        out = enc(latte.tensor(_rand(3, 5, 8)), src_key_padding_mask=latte.tensor(_RIGHT))
    np.testing.assert_allclose(out.numpy()[_RIGHT], 0.5, atol=1e-6)  # LayerNorm(0) = bias


# ------------------------------------------------------------------- parity with PyTorch

def _char_rnn(t):
    class CharRNN(t.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = t.nn.RNN(57, 32)
            self.h2o = t.nn.Linear(32, 18)
            self.softmax = t.nn.LogSoftmax(dim=1)

        def forward(self, line):
            _, hidden = self.rnn(line)
            return self.softmax(self.h2o(hidden[0]))
    return CharRNN()


def _char_step(t, model):
    line = t.zeros(5, 1, 57)
    for i, c in enumerate([3, 10, 20, 5, 1]):
        line[i][0][c] = 1
    out = model(line)
    loss = t.nn.NLLLoss()(out, t.tensor([4], dtype=t.long))
    loss.backward()
    values, indices = out.topk(3)
    return out, loss, values, indices


def test_char_rnn_classifier_matches_torch():
    torch = _torch()
    torch.manual_seed(0)
    tm, lm = _char_rnn(torch), _char_rnn(latte)
    _copy(lm, tm)
    for got, want in zip(_char_step(latte, lm), _char_step(torch, tm)):
        _close(got, want)
    _close_grads(lm, tm)


def _seq2seq(t, steps=6):
    nn_, F_ = t.nn, t.nn.functional

    class Bahdanau(nn_.Module):
        def __init__(self, h):
            super().__init__()
            self.Wa, self.Ua, self.Va = nn_.Linear(h, h), nn_.Linear(h, h), nn_.Linear(h, 1)

        def forward(self, query, keys):
            scores = self.Va(t.tanh(self.Wa(query) + self.Ua(keys))).squeeze(2).unsqueeze(1)
            weights = F_.softmax(scores, dim=-1)
            return t.bmm(weights, keys), weights

    class Model(nn_.Module):
        def __init__(self, n_in=20, h=16, n_out=15):
            super().__init__()
            self.enc_emb, self.enc = nn_.Embedding(n_in, h), nn_.GRU(h, h, batch_first=True)
            self.dec_emb, self.attention = nn_.Embedding(n_out, h), Bahdanau(h)
            self.dec = nn_.GRU(2 * h, h, batch_first=True)
            self.out, self.dropout = nn_.Linear(h, n_out), nn_.Dropout(0.1)

        def forward(self, src, target=None):
            keys, hidden = self.enc(self.dropout(self.enc_emb(src)))
            token = t.empty(src.size(0), 1, dtype=t.long).fill_(0)
            outputs, attentions = [], []
            for i in range(steps):
                query = hidden.permute(1, 0, 2)
                context, weights = self.attention(query, keys)
                step_in = t.cat((self.dropout(self.dec_emb(token)), context), dim=2)
                output, hidden = self.dec(step_in, hidden)
                output = self.out(output)
                outputs.append(output)
                attentions.append(weights)
                if target is not None:
                    token = target[:, i].unsqueeze(1)  # teacher forcing
                else:
                    token = output.topk(1)[1].squeeze(-1).detach()
            return F_.log_softmax(t.cat(outputs, dim=1), dim=-1), hidden, t.cat(attentions, 1)
    return Model()


def test_seq2seq_attention_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(0)
    src, tgt = rng.integers(0, 20, (3, 6)), rng.integers(0, 15, (3, 6))
    torch.manual_seed(0)
    tm, lm = _seq2seq(torch).eval(), _seq2seq(latte).eval()
    _copy(lm, tm)
    results = []
    for t, m in ((latte, lm), (torch, tm)):
        out, hidden, attn = m(t.tensor(src), t.tensor(tgt))
        loss = t.nn.NLLLoss()(out.view(-1, out.size(-1)), t.tensor(tgt).view(-1))
        loss.backward()
        with t.no_grad():
            greedy = m(t.tensor(src))[0].topk(1)[1].squeeze()
        results.append((out, hidden, attn, loss))
        results[-1] += (greedy,)
    for got, want in zip(*results):
        if want.dtype == _torch().int64:
            assert got.tolist() == want.tolist()
        else:
            _close(got, want, 1e-5)
    _close_grads(lm, tm, 1e-5)


def test_lstm_tagger_unbatched_matches_torch():
    torch = _torch()

    def build(t):
        class Tagger(t.nn.Module):
            def __init__(self):
                super().__init__()
                self.emb, self.lstm = t.nn.Embedding(9, 6), t.nn.LSTM(6, 6)
                self.hidden2tag = t.nn.Linear(6, 3)

            def forward(self, sentence):
                out, _ = self.lstm(self.emb(sentence).view(len(sentence), 1, -1))
                scores = self.hidden2tag(out.view(len(sentence), -1))
                return t.nn.functional.log_softmax(scores, dim=1)
        return Tagger()
    torch.manual_seed(0)
    tm, lm = build(torch), build(latte)
    _copy(lm, tm)
    for t, m in ((latte, lm), (torch, tm)):
        scores = m(t.tensor([0, 1, 2, 3, 4]))
        t.nn.NLLLoss()(scores, t.tensor([0, 1, 2, 0, 1])).backward()
        m.scores = scores.detach()
    _close(lm.scores, tm.scores)
    _close_grads(lm, tm)
    x = _rand(5, 6, seed=3)
    h = _rand(1, 6, seed=4)
    for got, want in zip(lm.lstm(latte.tensor(x), (latte.tensor(h), latte.tensor(h)))[1],
                         tm.lstm(torch.tensor(x), (torch.tensor(h), torch.tensor(h)))[1]):
        _close(got, want)  # 2-D input: states (layers, H)


def test_packed_bidirectional_unsorted_with_initial_state_matches_torch():
    torch = _torch()
    torch.manual_seed(0)
    tm = torch.nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    lm = nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True)
    _copy(lm, tm)
    seqs = [_rand(n, 4, seed=n) for n in (3, 5, 2)]
    h0 = _rand(4, 3, 6, seed=9)
    outs = []
    for t, m, rnn in ((latte, lm, lrnn), (torch, tm, torch.nn.utils.rnn)):
        padded = rnn.pad_sequence([t.tensor(s) for s in seqs], batch_first=True)
        packed = rnn.pack_padded_sequence(padded, t.tensor([3, 5, 2]), batch_first=True,
                                          enforce_sorted=False)
        hx = t.tensor(h0, requires_grad=True)
        out, h = m(packed, hx)
        unpacked, lengths = rnn.pad_packed_sequence(out, batch_first=True, total_length=6)
        (unpacked.sum() + h.sum()).backward()
        outs.append((packed.data, out.data, unpacked, h, hx.grad, packed.sorted_indices,
                     lengths))
    for got, want in zip(*outs):
        if want.dtype == torch.int64:
            assert got.tolist() == want.tolist() and got.dtype == latte.int64
        else:
            _close(got, want)
    _close_grads(lm, tm)


@pytest.mark.parametrize("nhead, mask_check, padding, final_norm", [
    (2, True, "right", False), (2, True, "right", True), (2, True, "left", False),
    (2, False, "left", True), (1, True, "right", False), (2, True, "float", False)])
def test_encoder_inference_matches_torch(nhead, mask_check, padding, final_norm):
    torch = _torch()
    kpm = _RIGHT[:, ::-1].copy() if padding == "left" else _RIGHT
    encoders = []
    for t in (torch, latte):
        t.manual_seed(0)
        layer = t.nn.TransformerEncoderLayer(8, nhead, 16, batch_first=True)
        encoders.append(t.nn.TransformerEncoder(
            layer, 2, norm=t.nn.LayerNorm(8) if final_norm else None, mask_check=mask_check))
    tenc, lenc = encoders
    _copy(lenc, tenc)
    assert lenc.use_nested_tensor == tenc.use_nested_tensor
    outs = []
    for t, enc in ((torch, tenc.eval()), (latte, lenc.eval())):
        mask = t.tensor(np.where(kpm, -np.inf, 0).astype(np.float32)) if padding == "float" \
            else t.tensor(kpm)
        with t.no_grad():
            outs.append(enc(t.tensor(_rand(3, 5, 8)), src_key_padding_mask=mask))
    _close(outs[1], outs[0], 1e-5)


def test_transformer_language_model_matches_torch():
    torch = _torch()

    def build(t):
        class PositionalEncoding(t.nn.Module):
            def __init__(self, d_model, max_len=64):
                super().__init__()
                position = t.arange(max_len).unsqueeze(1)
                div_term = t.exp(t.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
                pe = t.zeros(max_len, 1, d_model)
                pe[:, 0, 0::2] = t.sin(position * div_term)
                pe[:, 0, 1::2] = t.cos(position * div_term)
                self.register_buffer("pe", pe)
                self.dropout = t.nn.Dropout(0.1)

            def forward(self, x):
                return self.dropout(x + self.pe[:x.size(0)])

        class LM(t.nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding, self.pos = t.nn.Embedding(30, 16), PositionalEncoding(16)
                layer = t.nn.TransformerEncoderLayer(16, 2, 32, 0.1, activation="gelu")
                self.encoder = t.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
                self.linear = t.nn.Linear(16, 30)

            def forward(self, src):
                mask = t.nn.Transformer.generate_square_subsequent_mask(len(src))
                x = self.pos(self.embedding(src) * math.sqrt(16))
                return self.linear(self.encoder(x, mask, is_causal=True))
        return LM()
    torch.manual_seed(0)
    tm, lm = build(torch).eval(), build(latte).eval()
    assert [k for k, _ in lm.named_buffers()] == ["pos.pe"]
    _copy(lm, tm)
    src = np.random.default_rng(1).integers(0, 30, (7, 3))
    outs = []
    for t, m in ((latte, lm), (torch, tm)):
        out = m(t.tensor(src))
        loss = t.nn.CrossEntropyLoss()(out.view(-1, 30), t.tensor(src).view(-1))
        loss.backward()
        outs.append((out, loss))
    for got, want in zip(*outs):
        _close(got, want, 1e-4)
    _close_grads(lm, tm, 1e-4)


@pytest.mark.parametrize("case", ["dtype", "len_lengths", "empty", "is_causal", "rank"])
def test_misuse_raises_the_same_exception_type_as_torch(case):
    torch = _torch()

    def run(t):
        rnn = t.nn.utils.rnn
        if case == "dtype":
            t.nn.LSTM(4, 6)(t.randn(5, 2, 4, dtype=t.float64))
        elif case == "len_lengths":
            rnn.pack_padded_sequence(t.randn(5, 2, 3), [5, 2, 1])
        elif case == "empty":
            rnn.pad_sequence([])
        elif case == "is_causal":
            t.nn.TransformerEncoder(t.nn.TransformerEncoderLayer(8, 2, 16), 1)(
                t.randn(5, 2, 8), is_causal=True)
        else:
            t.nn.GRU(4, 6)(t.randn(1, 5, 2, 4))

    errors = []
    for t in (torch, latte):
        with pytest.raises(Exception) as info:
            run(t)
        errors.append(info.value)
    assert type(errors[1]).__name__ == type(errors[0]).__name__
