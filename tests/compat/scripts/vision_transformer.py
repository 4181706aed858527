"""pytorch/examples/vision_transformer, shrunk: patches cut with Tensor.unfold, a class token
and positional embedding as Parameters, pre-norm encoder blocks around nn.MultiheadAttention,
Adam with weight decay, FakeData images and ``torch.hub.tqdm`` progress bars.
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: B007, E501, UP008, UP031
import argparse

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torchvision
from torch import optim
from torch.hub import tqdm
from torch.utils.data import DataLoader
from torchvision.transforms import Compose, ToTensor


class PatchExtractor(nn.Module):
    def __init__(self, patch_size=16):
        super().__init__()
        self.patch_size = patch_size

    def forward(self, input_data):
        batch_size, channels, height, width = input_data.size()
        assert height % self.patch_size == 0 and width % self.patch_size == 0, \
            f"Input height ({height}) and width ({width}) must be divisible by patch size ({self.patch_size})"

        num_patches_h = height // self.patch_size
        num_patches_w = width // self.patch_size
        num_patches = num_patches_h * num_patches_w

        patches = input_data.unfold(2, self.patch_size, self.patch_size). \
            unfold(3, self.patch_size, self.patch_size). \
            permute(0, 2, 3, 1, 4, 5). \
            contiguous(). \
            view(batch_size, num_patches, -1)
        return patches


class InputEmbedding(nn.Module):
    def __init__(self, args):
        super(InputEmbedding, self).__init__()
        self.patch_size = args.patch_size
        self.n_channels = args.n_channels
        self.latent_size = args.latent_size
        self.device = torch.device("cpu")
        self.batch_size = args.batch_size
        self.input_size = self.patch_size * self.patch_size * self.n_channels

        # Linear projection
        self.LinearProjection = nn.Linear(self.input_size, self.latent_size)
        # Class token
        self.class_token = nn.Parameter(torch.randn(self.batch_size, 1, self.latent_size).to(self.device))
        # Positional embedding
        self.pos_embedding = nn.Parameter(torch.randn(self.batch_size, 1, self.latent_size).to(self.device))

    def forward(self, input_data):
        input_data = input_data.to(self.device)
        # Patchifying the Image
        patchify = PatchExtractor(patch_size=self.patch_size)
        patches = patchify(input_data)

        linear_projection = self.LinearProjection(patches).to(self.device)
        b, n, _ = linear_projection.shape
        linear_projection = torch.cat((self.class_token, linear_projection), dim=1)
        pos_embed = self.pos_embedding[:, :n + 1, :]
        linear_projection += pos_embed
        return linear_projection


class EncoderBlock(nn.Module):
    def __init__(self, args):
        super(EncoderBlock, self).__init__()
        self.latent_size = args.latent_size
        self.num_heads = args.num_heads
        self.dropout = args.dropout
        self.norm = nn.LayerNorm(self.latent_size)
        self.attention = nn.MultiheadAttention(self.latent_size, self.num_heads, dropout=self.dropout)
        self.enc_MLP = nn.Sequential(
            nn.Linear(self.latent_size, self.latent_size * 4),
            nn.GELU(),
            nn.Dropout(self.dropout),
            nn.Linear(self.latent_size * 4, self.latent_size),
            nn.Dropout(self.dropout)
        )

    def forward(self, emb_patches):
        first_norm = self.norm(emb_patches)
        attention_out = self.attention(first_norm, first_norm, first_norm)[0]
        first_added = attention_out + emb_patches
        second_norm = self.norm(first_added)
        mlp_out = self.enc_MLP(second_norm)
        output = mlp_out + first_added
        return output


class ViT(nn.Module):
    def __init__(self, args):
        super(ViT, self).__init__()
        self.num_encoders = args.num_encoders
        self.latent_size = args.latent_size
        self.num_classes = args.num_classes
        self.dropout = args.dropout

        self.embedding = InputEmbedding(args)
        # Encoder Stack
        self.encoders = nn.ModuleList([EncoderBlock(args) for _ in range(self.num_encoders)])
        self.MLPHead = nn.Sequential(
            nn.LayerNorm(self.latent_size),
            nn.Linear(self.latent_size, self.latent_size),
            nn.Linear(self.latent_size, self.num_classes),
        )

    def forward(self, test_input):
        enc_output = self.embedding(test_input)
        for enc_layer in self.encoders:
            enc_output = enc_layer(enc_output)
        class_token_embed = enc_output[:, 0]
        return self.MLPHead(class_token_embed)


parser = argparse.ArgumentParser(description='Vision Transformer in PyTorch')
parser.add_argument('--data-root', default='.')
parser.add_argument('--patch-size', type=int, default=4)
parser.add_argument('--latent-size', type=int, default=16)
parser.add_argument('--n-channels', type=int, default=3)
parser.add_argument('--num-heads', type=int, default=2)
parser.add_argument('--num-encoders', type=int, default=2)
parser.add_argument('--dropout', type=float, default=0.1)
parser.add_argument('--img-size', type=int, default=16)
parser.add_argument('--num-classes', type=int, default=10)
parser.add_argument('--epochs', type=int, default=2)
parser.add_argument('--lr', type=float, default=1e-3)
parser.add_argument('--weight-decay', type=float, default=3e-2)
parser.add_argument('--batch-size', type=int, default=4)
_compat_dump.add_args(parser)
args = parser.parse_args()
if args.no_dropout:
    args.dropout = 0.0
torch.manual_seed(0)

transforms = Compose([ToTensor()])
train_data = torchvision.datasets.FakeData(size=16, image_size=(3, args.img_size, args.img_size),
                                           transform=transforms)
valid_data = torchvision.datasets.FakeData(size=8, image_size=(3, args.img_size, args.img_size),
                                           transform=transforms, random_offset=100)
train_loader = DataLoader(train_data, batch_size=args.batch_size, shuffle=not args.no_shuffle)
valid_loader = DataLoader(valid_data, batch_size=args.batch_size, shuffle=False)

model = ViT(args)
_compat_dump.init_model(model, args)
optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
criterion = nn.CrossEntropyLoss()

train_losses, valid_losses, step_losses = [], [], []
for epoch in range(args.epochs):
    model.train()
    total_loss = 0.0
    tk = tqdm(train_loader, desc="EPOCH" + "[TRAIN]" + str(epoch + 1) + "/" + str(args.epochs))
    for t, data in enumerate(tk):
        images, labels = data
        optimizer.zero_grad()
        logits = model(images)
        loss = criterion(logits, labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
        step_losses.append(loss.item())
        tk.set_postfix({"Loss": "%6f" % float(total_loss / (t + 1))})
    train_losses.append(total_loss / len(train_loader))
    model.eval()
    total_loss = 0.0
    with torch.no_grad():
        for images, labels in tqdm(valid_loader, desc="[VALID]"):
            total_loss += criterion(model(images), labels).item()
    valid_losses.append(total_loss / len(valid_loader))
    print(f"epoch {epoch}: train {train_losses[-1]:.4f} valid {valid_losses[-1]:.4f}")
assert np.isfinite(valid_losses[-1])
# The key third of in_proj_bias gets no true gradient (softmax ignores a constant per query), so
# its gradient is float rounding that Adam scales up to full steps: compare the rest only.
L = args.latent_size
checksums = [[float(v.double().sum()), float(v.double().abs().sum())] for k, v in model.state_dict().items()
             if not k.endswith("in_proj_bias")]
checksums += [[float(v[:L].double().sum()), float(v[2 * L:].double().sum())]
              for k, v in model.state_dict().items() if k.endswith("in_proj_bias")]
_compat_dump.dump(args, None, train=train_losses, valid=valid_losses, steps=step_losses,
                  params=[x for pair in checksums for x in pair])
