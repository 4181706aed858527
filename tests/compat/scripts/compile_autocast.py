"""PyTorch 2.x idioms that must not break a CPU run: compile, autocast, GradScaler, flags."""
# written as PyTorch's tutorials and examples are, so some of its habits stay
# ruff: noqa: B007, E501
import argparse

import _compat_dump
import torch
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--data-root", default=".")
_compat_dump.add_args(parser)
args = parser.parse_args()

torch.set_num_threads(2)
assert torch.get_num_threads() == 2
torch.backends.cudnn.benchmark = False
torch.backends.cudnn.deterministic = True
torch.use_deterministic_algorithms(True)
torch.set_float32_matmul_precision("high")
torch.manual_seed(0)
torch.cuda.manual_seed_all(0)
if torch.accelerator.is_available():
    device = torch.accelerator.current_accelerator()
else:
    device = torch.device("cpu")
use_amp = torch.cuda.is_available()
print("torch", torch.__version__, "device", device, "amp", use_amp)

model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1)).to(device)
_compat_dump.init_model(model, args)
compiled = torch.compile(model)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
x = _compat_dump.fixed_randn(64, 10).to(device, non_blocking=True)
y = x.sum(dim=1, keepdim=True)
losses = []
for step in range(args.steps):
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
        loss = nn.functional.mse_loss(compiled(x), y)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    scaler.step(optimizer)
    scaler.update()
    losses.append(loss.item())


@torch.no_grad()
def predict(inputs):
    return compiled(inputs)


with torch.inference_mode():
    out = predict(x[:4])
assert not out.requires_grad
_compat_dump.dump(args, model, losses=losses, pred=out.flatten().tolist())
