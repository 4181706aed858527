"""DCGAN as in pytorch/examples/dcgan, shrunk to 16x16 images and a few steps.

Generator: ConvTranspose2d + BatchNorm2d + ReLU, Tanh out; Discriminator: Conv2d + LeakyReLU
(+ BatchNorm2d), Sigmoid out; ``weights_init`` picks layers by ``m.__class__.__name__``; BCELoss
and two Adam optimizers with ``betas=(0.5, 0.999)``. Real images come from FakeData, noise
from seeded NumPy draws.
"""
# written as PyTorch's examples are, so some of its habits stay
# ruff: noqa: B007, E501, UP031
import argparse

import _compat_dump
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data
import torchvision.datasets as dset
import torchvision.transforms as transforms


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, nz, ngf, nc):
        super().__init__()
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 4 x 4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 8 x 8
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 16 x 16
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, nc, ndf):
        super().__init__()
        self.main = nn.Sequential(
            # input is (nc) x 16 x 16
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 8 x 8
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 4 x 4
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


parser = argparse.ArgumentParser()
parser.add_argument("--data-root", default=".")
parser.add_argument("--batch-size", type=int, default=8)
parser.add_argument("--nz", type=int, default=8)
parser.add_argument("--ngf", type=int, default=8)
parser.add_argument("--ndf", type=int, default=8)
parser.add_argument("--lr", type=float, default=0.0002)
parser.add_argument("--beta1", type=float, default=0.5)
parser.add_argument("--steps", type=int, default=3)
_compat_dump.add_args(parser)
args = parser.parse_args()
torch.manual_seed(999)
nz, nc = args.nz, 3

netG = Generator(nz, args.ngf, nc)
netG.apply(weights_init)
netD = Discriminator(nc, args.ndf)
netD.apply(weights_init)
assert abs(netD.main[3].weight.mean().item() - 1.0) < 0.05 and netD.main[3].bias.abs().sum() == 0
models = nn.ModuleDict({"netG": netG, "netD": netD})
_compat_dump.init_model(models, args)
print(netG)

criterion = nn.BCELoss()
fixed_noise = _compat_dump.fixed_randn(4, nz, 1, 1, seed=1)
real_label = 1
fake_label = 0

optimizerD = optim.Adam(netD.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
# the example's --dataset fake: FakeData noise images, normalised to [-1, 1]
dataset = dset.FakeData(size=args.steps * args.batch_size, image_size=(nc, 16, 16),
                        transform=transforms.Compose([transforms.ToTensor(),
                                                      transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
dataloader = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size,
                                         shuffle=not args.no_shuffle)

errDs, errGs, dxs, dgz1s, dgz2s = [], [], [], [], []
for i, data in enumerate(dataloader, 0):
    ############################
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    ###########################
    # train with real
    netD.zero_grad()
    real_cpu = data[0]
    batch_size = real_cpu.size(0)
    label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)

    output = netD(real_cpu)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()

    # train with fake
    noise = _compat_dump.fixed_randn(batch_size, nz, 1, 1, seed=10 + i)
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach())
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()

    ############################
    # (2) Update G network: maximize log(D(G(z)))
    ###########################
    netG.zero_grad()
    label.fill_(real_label)  # fake labels are real for generator cost
    output = netD(fake)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()

    print('[%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
          % (i, len(dataloader), errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
    errDs.append(errD.item())
    errGs.append(errG.item())
    dxs.append(D_x)
    dgz1s.append(D_G_z1)
    dgz2s.append(D_G_z2)

label = torch.full((2,), 0.9, dtype=torch.float)
assert label.dtype == torch.float32 and label.tolist() == [np.float32(0.9).item()] * 2
netG.eval()
with torch.no_grad():
    fake = netG(fixed_noise).detach()
_compat_dump.dump(args, models, errD=errDs, errG=errGs, D_x=dxs, D_G_z1=dgz1s, D_G_z2=dgz2s,
                  fake=[fake.sum().item(), fake.abs().sum().item()])
