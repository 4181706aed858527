"""Graph convolutional network as in pytorch/examples gcn/main.py, on sparse COO tensors.

The Cora-style data path (row-normalised features, an int64 sparse adjacency made dense by
``eye + adj``, symmetric degree normalisation by sparse diagonal products, then ``to_sparse``),
``torch.mm`` of a sparse input by a dense kernel and ``torch.spmm`` by the adjacency, trained
with Adam and weight decay on a seeded synthetic graph.
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: E501, UP008
import argparse

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class GraphConv(nn.Module):
    def __init__(self, input_dim, output_dim, use_bias=False):
        super(GraphConv, self).__init__()
        self.kernel = nn.Parameter(torch.Tensor(input_dim, output_dim))
        nn.init.xavier_normal_(self.kernel)
        self.bias = None
        if use_bias:
            self.bias = nn.Parameter(torch.Tensor(output_dim))
            nn.init.zeros_(self.bias)

    def forward(self, input_tensor, adj_mat):
        support = torch.mm(input_tensor, self.kernel)
        output = torch.spmm(adj_mat, support)
        if self.bias is not None:
            output = output + self.bias
        return output


class GCN(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, use_bias=True, dropout_p=0.1):
        super(GCN, self).__init__()
        self.gc1 = GraphConv(input_dim, hidden_dim, use_bias=use_bias)
        self.gc2 = GraphConv(hidden_dim, output_dim, use_bias=use_bias)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input_tensor, adj_mat):
        x = self.gc1(input_tensor, adj_mat)
        x = F.relu(x)
        x = self.dropout(x)
        x = self.gc2(x, adj_mat)
        return F.log_softmax(x, dim=1)


def make_graph(n_nodes, n_features, n_classes, n_edges, seed):
    """Cora's files as arrays: content rows ``id, binary features..., label`` and int32 edges."""
    rng = np.random.RandomState(seed)
    labels = rng.randint(0, n_classes, n_nodes)
    words = (rng.rand(n_nodes, n_features) < 0.15).astype(np.int32)
    words[:, :n_classes] |= np.eye(n_classes, dtype=np.int32)[labels]  # a feature per class
    words[3] = 0  # a node with no words: its scale is inf, then set to 0
    content = np.concatenate([np.arange(n_nodes)[:, None], words, labels[:, None]], axis=1)
    src = rng.randint(0, n_nodes, n_edges)
    dst = np.where(rng.rand(n_edges) < 0.7, rng.permutation(src), rng.randint(0, n_nodes, n_edges))
    edges = np.stack([src, dst], axis=1).astype(np.int32)
    edges = np.concatenate([edges, edges[:5]])  # duplicates: the sparse tensor is uncoalesced
    return content, edges


def load_cora(content, edges, device):
    features = torch.FloatTensor(content[:, 1:-1].astype(np.int32))
    scale_vector = torch.sum(features, dim=1)
    scale_vector = 1 / scale_vector
    scale_vector[scale_vector == float('inf')] = 0
    scale_vector = torch.diag(scale_vector).to_sparse()
    features = scale_vector @ features

    labels = torch.LongTensor(content[:, -1].astype(np.int64))
    V = len(content)
    E = edges.shape[0]
    adj_mat = torch.sparse_coo_tensor(edges.T, torch.ones(E), (V, V), dtype=torch.int64)
    adj_mat = torch.eye(V) + adj_mat

    degree_mat = torch.sum(adj_mat, dim=1)
    degree_mat = torch.sqrt(1 / degree_mat)
    degree_mat[degree_mat == float('inf')] = 0
    degree_mat = torch.diag(degree_mat).to_sparse()
    adj_mat = degree_mat @ adj_mat @ degree_mat
    return features.to_sparse().to(device), labels.to(device), adj_mat.to_sparse().to(device)


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--l2", type=float, default=5e-4)
parser.add_argument("--hidden-dim", type=int, default=16)
parser.add_argument("--dropout-p", type=float, default=0.5)
_compat_dump.add_args(parser)
args = parser.parse_args()
torch.manual_seed(42)
device = torch.device("cpu")

content, edges = make_graph(60, 24, 4, 150, seed=0)
features, labels, adj_mat = load_cora(content, edges, device)
assert features.is_sparse and adj_mat.is_sparse and adj_mat.layout == torch.sparse_coo
idx = torch.arange(len(labels))  # a fixed split
idx_train, idx_val, idx_test = idx[:30], idx[30:45], idx[45:]

model = GCN(features.shape[1], args.hidden_dim, int(labels.max()) + 1, True, args.dropout_p).to(device)
_compat_dump.init_model(model, args)
optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.l2)
criterion = nn.NLLLoss()

losses, val_losses, accs = [], [], []
for epoch in range(args.epochs):
    model.train()
    optimizer.zero_grad()
    output = model(features, adj_mat)
    loss = criterion(output[idx_train], labels[idx_train])
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        output = model(features, adj_mat)
        val_losses.append(criterion(output[idx_val], labels[idx_val]).item())
        accs.append((output[idx_test].argmax(1) == labels[idx_test]).float().mean().item())
    print(f"Epoch {epoch + 1}: loss {losses[-1]:.4f}, val {val_losses[-1]:.4f}, acc {accs[-1]:.3f}")
_compat_dump.dump(args, model, losses=losses, val_losses=val_losses, acc=accs,
                  data=[float(features.to_dense().sum()), float(adj_mat.to_dense().sum()),
                        adj_mat._nnz(), features._nnz()])
