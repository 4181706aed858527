"""Word-level language model as in pytorch/examples: an LSTM and a Transformer on a token stream.

Embedding + 2-layer LSTM (dropout) + tied Linear decoder, and the same with nn.TransformerEncoder,
positional encoding and a causal mask; batchify/get_batch, truncated BPTT with detached hidden
state, clip_grad_norm_ and hand-written SGD steps. The corpus is a seeded synthetic token stream.
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse
import math

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ["LSTM", "GRU"]:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            except KeyError as e:
                raise ValueError("An invalid option for `--model` was supplied, "
                                 "options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):
    """Container module with an encoder, a transformer encoder and a decoder."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid,
                         num_encoder_layers=nlayers)
        self.model_type = "Transformer"
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        self.init_weights()

    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, has_mask=True):
        if has_mask:
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                mask = self._generate_square_subsequent_mask(len(src)).to(src.device)
                self.src_mask = mask
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


class TransformerLM(nn.Module):
    """The same model built from nn.TransformerEncoder directly, with the library's causal mask."""

    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
        super().__init__()
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        layer = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)

    def forward(self, src):
        mask = nn.Transformer.generate_square_subsequent_mask(len(src))
        src = self.encoder(src) * math.sqrt(self.ninp)
        output = self.transformer_encoder(self.pos_encoder(src), mask)
        return F.log_softmax(self.decoder(output), dim=-1)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def get_batch(source, i, bptt):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def train(model, data, args, criterion, ntokens, recurrent, lr):
    model.train()
    losses = []
    hidden = model.init_hidden(args.batch_size) if recurrent else None
    for batch, i in enumerate(range(0, data.size(0) - 1, args.bptt)):
        inputs, targets = get_batch(data, i, args.bptt)
        model.zero_grad()
        if recurrent:
            hidden = repackage_hidden(hidden)
            output, hidden = model(inputs, hidden)
        else:
            output = model(inputs).view(-1, ntokens)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    return losses


def evaluate(model, data, args, criterion, ntokens, recurrent):
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(args.batch_size) if recurrent else None
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, args.bptt):
            inputs, targets = get_batch(data, i, args.bptt)
            if recurrent:
                output, hidden = model(inputs, hidden)
                hidden = repackage_hidden(hidden)
            else:
                output = model(inputs).view(-1, ntokens)
            total_loss += len(inputs) * criterion(output, targets).item()
    return total_loss / (len(data) - 1)


def generate(model, ntokens, steps, recurrent):
    """Greedy continuation from token 0 (argmax, so both frameworks pick the same words)."""
    model.eval()
    inp = torch.zeros(1, 1, dtype=torch.long)
    words = []
    hidden = model.init_hidden(1) if recurrent else None
    with torch.no_grad():
        for _ in range(steps):
            if recurrent:
                output, hidden = model(inp, hidden)
                word_idx = output[-1].argmax()
                inp.fill_(word_idx)
            else:
                output = model(inp, False)
                word_idx = output[-1, 0].argmax()
                inp = torch.cat([inp, torch.full((1, 1), word_idx.item(), dtype=torch.long)], 0)
            words.append(int(word_idx))
    return words


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
parser.add_argument("--tokens", type=int, default=30)
parser.add_argument("--length", type=int, default=600)
parser.add_argument("--emsize", type=int, default=16)
parser.add_argument("--batch-size", type=int, default=4)
parser.add_argument("--bptt", type=int, default=12)
parser.add_argument("--clip", type=float, default=0.25)
parser.add_argument("--lr", type=float, default=5.0)
parser.add_argument("--epochs", type=int, default=2)
_compat_dump.add_args(parser)
args = parser.parse_args()
torch.manual_seed(1111)
dropout = 0.0 if args.no_dropout else 0.2

# A stream with structure to learn: each token mostly follows its predecessor plus one.
rng = np.random.RandomState(0)
stream = [0]
for _ in range(args.length - 1):
    stream.append((stream[-1] + 1) % args.tokens if rng.rand() < 0.8 else int(rng.randint(args.tokens)))
ids = torch.tensor(stream, dtype=torch.long)
split = int(0.8 * len(ids))
train_data = batchify(ids[:split], args.batch_size)
val_data = batchify(ids[split:], args.batch_size)
ntokens = args.tokens
criterion = nn.NLLLoss()

lstm = RNNModel("LSTM", ntokens, args.emsize, args.emsize, 2, dropout, tie_weights=True)
transformer = TransformerModel(ntokens, args.emsize, 2, 32, 2, dropout)
encoder_lm = TransformerLM(ntokens, args.emsize, 2, 32, 1, dropout)
gru = RNNModel("GRU", ntokens, args.emsize, 24, 2, dropout)
rnn_tanh = RNNModel("RNN_TANH", ntokens, args.emsize, 24, 1, dropout)
models = nn.ModuleDict({"lstm": lstm, "transformer": transformer, "encoder_lm": encoder_lm,
                        "gru": gru, "rnn_tanh": rnn_tanh})
_compat_dump.init_model(models, args)
if args.no_dropout:  # attention dropout is a float attribute, not an nn.Dropout module
    for m in models.modules():
        if isinstance(m, nn.MultiheadAttention):
            m.dropout = 0.0
assert lstm.decoder.weight is lstm.encoder.weight

series = {}
for name, model in models.items():
    recurrent = isinstance(model, RNNModel)
    lr = args.lr if recurrent else 0.5
    losses, vals = [], []
    for epoch in range(args.epochs):
        losses += train(model, train_data, args, criterion, ntokens, recurrent, lr)
        vals.append(evaluate(model, val_data, args, criterion, ntokens, recurrent))
        print(f"{name} epoch {epoch} train {losses[-1]:.4f} valid {vals[-1]:.4f} ppl {math.exp(vals[-1]):.2f}")
        lr /= 4.0 if len(vals) > 1 and vals[-1] > vals[-2] else 1.0
    series[f"{name}_losses"] = losses
    series[f"{name}_val"] = vals
    if name != "encoder_lm":
        words = generate(model, ntokens, 8, recurrent)
        print(name, "generates", words)
        series[f"{name}_words"] = words

# the example's generate.py samples with a temperature (random: checked, not compared)
with torch.no_grad():
    lstm.rnn.flatten_parameters()
    output, _ = lstm(torch.zeros(1, 1, dtype=torch.long), lstm.init_hidden(1))
    word_weights = output.squeeze().div(0.8).exp().cpu()
    word_idx = torch.multinomial(word_weights, 1)[0]
    assert word_idx.dim() == 0 and 0 <= word_idx.item() < ntokens

mask = nn.Transformer.generate_square_subsequent_mask(4)
series["mask"] = [v if v == 0 else -1.0 for v in mask.flatten().tolist()]
_compat_dump.dump(args, models, **series)
