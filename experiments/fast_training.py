"""CIFAR-10 to 94% and MNIST to 99.5% test accuracy in minutes on a CPU: the fast recipes.

The CIFAR-10 net (1.97M parameters): a fixed 2x2 patch-whitening convolution (3 -> 24 channels),
then three conv groups of widths 64, 256, 256, each ``conv 3x3 -> max-pool 2 -> BatchNorm ->
GELU -> conv 3x3 -> BatchNorm -> GELU``, a 3x3 max-pool and a linear layer scaled by 1/9. No
residuals. Training: Nesterov SGD on the summed label-smoothed loss, batch 1024, a triangular
learning-rate schedule stepped every batch, a look-ahead average of the weights every five steps,
alternating flips and 2-pixel translations; testing averages six views (mirror and 1-pixel
translations). MNIST's recipe is the same with widths 32, 64, 128, no flips and six epochs
(``fast_recipes.py`` holds both). The PyTorch twin, ``benchmarks/fast_training_torch.py``, runs
this very script on PyTorch, with the same batches, schedule and initial whitening.

Data: the CIFAR-10 python batches (cifar-10-batches-py) or the MNIST IDX files (mnist/) under
--data-dir or $LATTE_DATA.

    python experiments/fast_training.py --recipe cifar10 --data-dir ../shared/data
    python experiments/fast_training.py --recipe mnist --data-dir ../shared/data [--quick]
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import fast_recipes
import numpy as np

import latte
from latte import nn
from latte.nn import functional as F


class BatchNorm(nn.BatchNorm2d):
    """BatchNorm whose scale stays 1: only the shift learns (it adds nothing the next conv's
    weights cannot do, and a fixed scale keeps the effective learning rate steady)."""

    def __init__(self, num_features: int, momentum: float, eps: float = 1e-12) -> None:
        super().__init__(num_features, eps=eps, momentum=1 - momentum)
        self.weight.requires_grad = False


class Conv(nn.Conv2d):
    """3x3 'same' convolution without bias, starting close to the identity on its first input
    channels (a Dirac kernel), so that the deep net starts out shallow."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size=3, padding="same", bias=False)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        with latte.no_grad():
            nn.init.dirac_(self.weight[:self.weight.shape[1]])


class ConvGroup(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, momentum: float) -> None:
        super().__init__()
        self.conv1 = Conv(in_channels, out_channels)
        self.pool = nn.MaxPool2d(2)
        self.norm1 = BatchNorm(out_channels, momentum)
        self.conv2 = Conv(out_channels, out_channels)
        self.norm2 = BatchNorm(out_channels, momentum)
        self.activ = nn.GELU()

    def forward(self, x: latte.Tensor) -> latte.Tensor:
        x = self.activ(self.norm1(self.pool(self.conv1(x))))
        return self.activ(self.norm2(self.conv2(x)))


class Scale(nn.Module):
    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor

    def forward(self, x: latte.Tensor) -> latte.Tensor:
        return x * self.factor


def make_net(hyper: dict) -> nn.Sequential:
    w1, w2, w3 = hyper["widths"]
    momentum = hyper["batchnorm_momentum"]
    channels = len(hyper["mean"])
    whiten_width = 2 * 4 * channels  # each 2x2 patch direction and its negative
    return nn.Sequential(
        nn.Conv2d(channels, whiten_width, kernel_size=2, padding=0, bias=True), nn.GELU(),
        ConvGroup(whiten_width, w1, momentum), ConvGroup(w1, w2, momentum),
        ConvGroup(w2, w3, momentum),
        nn.MaxPool2d(3), nn.Flatten(), nn.Linear(w3, 10, bias=False),
        Scale(hyper["scaling_factor"]))


def make_optimizer(net: nn.Module, hyper: dict) -> latte.optim.SGD:
    """PyTorch's SGD with the recipe's lr and weight decay per 1024 examples made absolute."""
    kilostep = 1024 * (1 + 1 / (1 - hyper["momentum"]))
    lr = hyper["lr"] / kilostep
    decay = hyper["weight_decay"] * hyper["batch_size"] / kilostep
    bias_lr = lr * hyper["bias_scaler"]
    biases = [p for n, p in net.named_parameters() if "norm" in n and p.requires_grad]
    others = [p for n, p in net.named_parameters() if "norm" not in n and p.requires_grad]
    return latte.optim.SGD([dict(params=biases, lr=bias_lr, weight_decay=decay / bias_lr),
                            dict(params=others, lr=lr, weight_decay=decay / lr)],
                           momentum=hyper["momentum"], nesterov=True)


class LookAhead:
    """Every few steps the weights move to an average of their past: ``avg += (1 - decay) *
    (weights - avg)``, then the net continues from ``avg``."""

    def __init__(self, net: nn.Module) -> None:
        self.average = {k: v.clone() for k, v in net.state_dict().items()}

    def update(self, net: nn.Module, decay: float) -> None:
        with latte.no_grad():
            for key, value in net.state_dict().items():
                if value.dtype == latte.float32:
                    self.average[key].lerp_(value, 1 - decay)
                    value.copy_(self.average[key])


def predict(net: nn.Module, images: latte.Tensor, tta_level: int, flip: bool) -> latte.Tensor:
    """Logits averaged over the test-time views: none, the mirror (where the recipe flips), and
    1-pixel shifts."""
    def mirrored(x: latte.Tensor) -> latte.Tensor:
        return 0.5 * net(x) + 0.5 * net(x.flip(-1)) if flip else net(x)
    if tta_level == 0:
        return net(images)
    logits = mirrored(images)
    if tta_level == 1:
        return logits
    h, w = images.shape[2:]
    padded = F.pad(images, (1, 1, 1, 1), mode="reflect")
    shifted = [mirrored(padded[:, :, 0:h, 0:w]), mirrored(padded[:, :, 2:h + 2, 2:w + 2])]
    return 0.5 * logits + 0.25 * (shifted[0] + shifted[1])


def evaluate(net: nn.Module, images: np.ndarray, labels: np.ndarray, hyper: dict,
             tta_level: int) -> float:
    net.eval()
    correct = 0
    with latte.no_grad():
        for i in range(0, len(images), hyper["eval_batch_size"]):
            batch = images[i:i + hyper["eval_batch_size"]]
            batch = latte.from_numpy(fast_recipes.normalize(batch, hyper))
            logits = predict(net, batch, tta_level, hyper["flip"])
            correct += int((logits.argmax(1).numpy() == labels[i:i + len(batch)]).sum())
    net.train()
    return correct / len(images)


def train(args: argparse.Namespace) -> dict:
    recipe = fast_recipes.RECIPES[args.recipe]
    hyper = dict(recipe, epochs=args.epochs or recipe["epochs"])
    start = time.perf_counter()
    train_images, train_labels, test_images, test_labels = fast_recipes.load(hyper, args.data_dir)
    if args.quick:  # 4 steps of 128 images: a check that everything runs
        train_images, train_labels = train_images[:512], train_labels[:512]
        test_images, test_labels = test_images[:200], test_labels[:200]
        hyper.update(batch_size=128, epochs=1, eval_batch_size=100)
    latte.manual_seed(args.seed)
    net = make_net(hyper)
    whiten = net[0]
    whiten.weight.requires_grad = False
    with latte.no_grad():
        sample = fast_recipes.normalize(train_images[:5000], hyper)
        whiten.weight.copy_(latte.from_numpy(fast_recipes.whitening_weights(sample)))
    optimizer = make_optimizer(net, hyper)
    batches = fast_recipes.EpochBatches(train_images, train_labels, hyper, seed=args.seed)
    total_steps = int(hyper["epochs"] * len(batches))
    scheduler = latte.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: fast_recipes.lr_factor(step, total_steps))
    lookahead = LookAhead(net)
    history, step = [], 0
    print(f"{len(train_images):,} train / {len(test_images):,} test images; "
          f"{sum(p.numel() for p in net.parameters()):,} parameters; {total_steps} steps")
    for epoch in range(math.ceil(hyper["epochs"])):
        whiten.bias.requires_grad = epoch < hyper["whiten_bias_epochs"]
        epoch_start, losses = time.perf_counter(), []
        for images, labels in batches.epoch(epoch):
            outputs = net(latte.from_numpy(images))
            loss = F.cross_entropy(outputs, latte.from_numpy(labels), reduction="none",
                                   label_smoothing=hyper["label_smoothing"]).sum()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            losses.append(loss.item() / len(labels))
            if step % 5 == 0:
                lookahead.update(net, decay=fast_recipes.lookahead_decay(step, total_steps))
            if step >= total_steps or (args.limit_batches and len(losses) >= args.limit_batches):
                break
        if epoch == math.ceil(hyper["epochs"]) - 1:
            lookahead.update(net, decay=1.0)  # end on the averaged weights
        accuracy = evaluate(net, test_images, test_labels, hyper, tta_level=0)
        row = {"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "test_acc": accuracy,
               "epoch_s": time.perf_counter() - epoch_start,
               "wall_s": time.perf_counter() - start}
        history.append(row)
        print(json.dumps(row), flush=True)
    tta = evaluate(net, test_images, test_labels, hyper, tta_level=hyper["tta_level"])
    result = {"framework": latte.__name__, "recipe": args.recipe, "test_acc": accuracy,
              "test_acc_tta": tta, "wall_s": time.perf_counter() - start,
              "epochs": hyper["epochs"], "history": history}
    print(f"test accuracy {100 * accuracy:.2f}% ({100 * tta:.2f}% with test-time "
          f"augmentation) after {result['wall_s']:.0f} s")
    return result


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipe", choices=sorted(fast_recipes.RECIPES), default="cifar10")
    p.add_argument("--data-dir", help="folder holding cifar-10-batches-py or mnist/ "
                                      "(default $LATTE_DATA)")
    p.add_argument("--epochs", type=float, help="default: the recipe's (10 CIFAR-10, 6 MNIST)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit-batches", type=int, help="stop each epoch after this many batches")
    p.add_argument("--quick", action="store_true", help="512 images, one epoch: a check")
    p.add_argument("--out", help="write the result and per-epoch history to this JSON file")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    result = train(args)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
