"""Text classification with nn.Embedding averaged over each sentence (a bag of words)."""
# written as PyTorch's tutorials and examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse

import _compat_dump
import torch
import torch.nn as nn
import torch.nn.functional as F

SENTENCES = [("the movie was great and fun", 1), ("a boring and slow film", 0),
             ("great acting and a fun story", 1), ("slow story and bad acting", 0),
             ("fun fun fun", 1), ("bad boring movie", 0), ("the story was great", 1),
             ("the film was bad", 0)]


class BagOfEmbeddings(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, tokens, mask):
        emb = self.embedding(tokens) * mask.unsqueeze(-1)
        mean = emb.sum(dim=1) / mask.sum(dim=1, keepdim=True)
        return self.fc(mean)


parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

vocab = {"<pad>": 0}
for text, _ in SENTENCES:
    for word in text.split():
        vocab.setdefault(word, len(vocab))
longest = max(len(t.split()) for t, _ in SENTENCES)
tokens = torch.zeros(len(SENTENCES), longest, dtype=torch.long)
for i, (text, _) in enumerate(SENTENCES):
    ids = [vocab[w] for w in text.split()]
    tokens[i, :len(ids)] = torch.tensor(ids)
mask = (tokens != 0).float()
labels = torch.tensor([label for _, label in SENTENCES])

model = BagOfEmbeddings(len(vocab), 16, 2)
_compat_dump.init_model(model, args)
optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.9)
losses = []
for epoch in range(args.epochs):
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(tokens, mask), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    optimizer.step()
    scheduler.step()
    losses.append(loss.item())
model.eval()
with torch.no_grad():
    acc = (model(tokens, mask).argmax(1) == labels).sum().item() / len(labels)
print(f"losses {losses[0]:.4f} -> {losses[-1]:.4f}, accuracy {acc:.2f}")
_compat_dump.dump(args, model, losses=losses, acc=[acc])
