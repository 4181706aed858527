"""Float32 accuracy at real sizes: Latte's error against PyTorch's, both measured on float64.

Each ``Case`` is an op at the size networks use, on values distributed as real data are (an
offset large against the spread, as activations after a constant background have; MNIST-like
images with most pixels at one value). One evaluation runs the op forward and backward (a fixed
random upstream gradient) in float32 in Latte and in PyTorch, and in float64 in PyTorch on the
same float32-rounded inputs: the reference. The error of a result is normwise,
``|a - ref| / |ref|`` over all its elements; a case's error is the worst over its outputs
(forward) or its inputs' gradients (backward).

The ratio compared is ``max(latte, FLOOR) / max(torch, FLOOR)``: errors below ``FLOOR`` are the
rounding of the result itself, where a ratio says nothing.

Where the registry (``op_db``) has the op, the case calls the registry's ``fn``: the harness
adds large samples to it. Used by ``tests/test_accuracy.py`` (the ``ci`` cases) and by
``benchmarks/accuracy_table.py`` (all of them, ``make accuracy``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from op_db import OPS_BY_NAME

FLOOR = 1e-7   # about 1.7 units of float32 rounding: the error of a correctly rounded result
BOUND = 4.0    # the largest Latte/PyTorch error ratio accepted


@dataclass
class Case:
    """``fn(lib, *tensors)`` on the arrays ``inputs(rng)`` gives (floating arrays become
    differentiable leaves, integer arrays class indices). ``exception``: why this case may
    exceed ``BOUND`` (none expected)."""

    name: str
    fn: Callable
    inputs: Callable
    ci: bool = True
    exception: str = ""


# --- value distributions ------------------------------------------------------------------------
def offset(rng: np.random.Generator, shape: tuple, mean: float = 5.0,
           spread: float = 0.1) -> np.ndarray:
    """``mean + spread * randn``: an offset large against the spread."""
    return mean + spread * rng.standard_normal(shape)


def mnist_like(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Normalised MNIST-style pixels: 80% background at one value, strokes in (0, 1]."""
    ink = rng.random(shape) < 0.2
    pixels = np.where(ink, rng.uniform(0.0, 1.0, shape), 0.0)
    return (pixels - 0.1307) / 0.3081


def activations(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Conv activations ``(N, C, *)`` over a constant background: per channel an offset in
    [1, 4], 70% of the positions at it, the rest spread by 0.2."""
    c = shape[1]
    base = rng.uniform(1.0, 4.0, (1, c) + (1,) * (len(shape) - 2))
    ink = rng.random(shape) < 0.3
    return base + np.where(ink, 0.2 * rng.standard_normal(shape), 0.0)


def registry(name: str) -> Callable:
    """The op's ``fn`` from the registry: one definition shared with the generic tests."""
    return OPS_BY_NAME[name].fn


# --- the table ----------------------------------------------------------------------------------
def _reductions() -> list:
    out = []
    for op in ("sum", "mean", "var", "std"):
        fn = registry(op)
        out += [
            Case(f"{op} all 1e6 offset", fn, lambda r: [offset(r, (1000, 1000))]),
            Case(f"{op} dim0 1e6 offset", lambda lib, x, fn=fn: fn(lib, x, dim=0),
                 lambda r: [offset(r, (1000, 1000))]),
            Case(f"{op} dim1 of 3-D offset", lambda lib, x, fn=fn: fn(lib, x, dim=1),
                 lambda r: [offset(r, (20, 5000, 10))], ci=False),
            Case(f"{op} (0,2,3) mnist", lambda lib, x, fn=fn: fn(lib, x, dim=(0, 2, 3)),
                 lambda r: [mnist_like(r, (128, 4, 28, 28))], ci=op in ("sum", "var")),
        ]
    return out


def _norms() -> list:
    def bn(lib, x, w, b):
        return lib.nn.functional.batch_norm(x, None, None, w, b, training=True)

    def ln(lib, x, w, b):
        return lib.nn.functional.layer_norm(x, x.shape[1:], w, b)

    def gn(lib, x, w, b):
        return lib.nn.functional.group_norm(x, 8, w, b)

    def inorm(lib, x):
        return lib.nn.functional.instance_norm(x)

    def chan(shape):
        return lambda r: [activations(r, shape), r.uniform(0.5, 1.5, shape[1]),
                          0.1 * r.standard_normal(shape[1])]

    def trail(shape):
        return lambda r: [activations(r, shape), r.uniform(0.5, 1.5, shape[1:]),
                          0.1 * r.standard_normal(shape[1:])]

    return [
        Case("batch_norm (64,32,28,28)", bn, chan((64, 32, 28, 28))),
        Case("batch_norm channels-last (64,32,28,28)", lambda lib, x, w, b: bn(
            lib, x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), w, b),
            chan((64, 32, 28, 28))),
        Case("batch_norm (128,16,28,28) mnist", bn, lambda r: [
            mnist_like(r, (128, 16, 28, 28)) + 2.0, r.uniform(0.5, 1.5, 16),
            0.1 * r.standard_normal(16)], ci=False),
        Case("layer_norm (16,32,28,28) over CHW", ln, trail((16, 32, 28, 28))),
        Case("layer_norm (512,4096)", lambda lib, x, w, b: lib.nn.functional.layer_norm(
            x, (4096,), w, b), lambda r: [offset(r, (512, 4096)), r.uniform(0.5, 1.5, 4096),
                                          0.1 * r.standard_normal(4096)], ci=False),
        Case("group_norm (64,32,28,28) 8 groups", gn, chan((64, 32, 28, 28)), ci=False),
        Case("group_norm (16,32,28,28) 8 groups", gn, chan((16, 32, 28, 28))),
        Case("instance_norm (32,32,28,28)", inorm, lambda r: [activations(r, (32, 32, 28, 28))],
             ci=False),
    ]


def _softmaxes() -> list:
    def logits(shape):
        return lambda r: [offset(r, shape, 0.0, 3.0)]

    return [
        Case("softmax (16,50000)", lambda lib, x: registry("softmax")(lib, x, 1),
             logits((16, 50000))),
        Case("log_softmax (16,50000)", lambda lib, x: registry("log_softmax")(lib, x, 1),
             logits((16, 50000))),
        Case("logsumexp (16,50000)", lambda lib, x: registry("logsumexp")(lib, x, dim=1),
             logits((16, 50000))),
        Case("log_softmax dim0 (10000,16)", lambda lib, x: registry("log_softmax")(lib, x, 0),
             logits((10000, 16)), ci=False),
        Case("logsumexp dim0 (100000,8)", lambda lib, x: registry("logsumexp")(lib, x, dim=0),
             logits((100000, 8)), ci=False),
    ]


def _products() -> list:
    def linear(lib, x, w, b):
        return lib.nn.functional.linear(x, w, b)

    def conv(lib, x, w, b):
        return lib.nn.functional.conv2d(x, w, b, padding=1)

    return [
        Case("matmul (128,4608)@(4608,128)", registry("matmul"), lambda r: [
            np.maximum(offset(r, (128, 4608), 0.5, 1.0), 0.0),
            0.02 * r.standard_normal((4608, 128))]),
        Case("linear 4608->256 b512", linear, lambda r: [
            np.maximum(offset(r, (512, 4608), 0.5, 1.0), 0.0),
            0.02 * r.standard_normal((256, 4608)), offset(r, (256,), 0.0, 0.1)], ci=False),
        Case("linear 64->10 b128 (head)", linear, lambda r: [
            offset(r, (128, 64), 1.0, 0.5), 0.1 * r.standard_normal((10, 64)),
            offset(r, (10,), 0.0, 0.1)]),
        Case("conv2d 512->32 3x3 (K=4608)", conv, lambda r: [
            np.maximum(offset(r, (8, 512, 6, 6), 0.5, 1.0), 0.0),
            0.02 * r.standard_normal((32, 512, 3, 3)), offset(r, (32,), 0.0, 0.1)]),
        Case("conv2d 256->256 3x3 Winograd (16,256,8,8)", conv, lambda r: [
            np.maximum(offset(r, (16, 256, 8, 8), 0.5, 1.0), 0.0),
            0.03 * r.standard_normal((256, 256, 3, 3)), offset(r, (256,), 0.0, 0.1)]),
        Case("conv2d 16->16 3x3 mnist (128,16,28,28)", conv, lambda r: [
            activations(r, (128, 16, 28, 28)), 0.1 * r.standard_normal((16, 16, 3, 3)),
            offset(r, (16,), 0.0, 0.1)], ci=False),
        Case("conv2d depthwise 32ch 3x3 (64,32,28,28)", lambda lib, x, w, b: (
            lib.nn.functional.conv2d(x, w, b, padding=1, groups=32)), lambda r: [
            activations(r, (64, 32, 28, 28)), 0.3 * r.standard_normal((32, 1, 3, 3)),
            offset(r, (32,), 0.0, 0.1)]),
        Case("conv2d 1->16 3x3 mnist (64,1,28,28)", conv, lambda r: [
            mnist_like(r, (64, 1, 28, 28)), 0.3 * r.standard_normal((16, 1, 3, 3)),
            offset(r, (16,), 0.0, 0.1)]),
    ]


def _scans() -> list:
    return [
        Case("cumsum (4,100000) dim1", lambda lib, x: registry("cumsum")(lib, x, 1),
             lambda r: [offset(r, (4, 100000), 1.0, 1.0)]),
        Case("cumsum (100000,4) dim0", lambda lib, x: registry("cumsum")(lib, x, 0),
             lambda r: [offset(r, (100000, 4), 1.0, 1.0)], ci=False),
        Case("cumprod (4,10000) dim1", lambda lib, x: registry("cumprod")(lib, x, 1),
             lambda r: [offset(r, (4, 10000), 1.0, 0.01)]),
    ]


def _losses() -> list:
    def ce(lib, x, t):
        return lib.nn.functional.cross_entropy(x, t)

    def nll(lib, x, t):
        return lib.nn.functional.nll_loss(lib.log_softmax(x, 1), t)

    def targets(m, c):
        return lambda r: [offset(r, (m, c), 0.0, 2.0), r.integers(0, c, m)]

    return [
        Case("mse_loss mean 1e6", lambda lib, x, y: lib.nn.functional.mse_loss(x, y),
             lambda r: [offset(r, (1000, 1000)), offset(r, (1000, 1000))]),
        Case("cross_entropy mean (65536,10)", ce, targets(65536, 10)),
        Case("cross_entropy mean (256,10000)", ce, targets(256, 10000), ci=False),
        Case("nll_loss mean (65536,10)", nll, targets(65536, 10)),
    ]


CASES = _reductions() + _norms() + _softmaxes() + _products() + _scans() + _losses()


# --- evaluation ---------------------------------------------------------------------------------
def _rel_error(a: np.ndarray, ref: np.ndarray) -> float:
    ref = ref.astype(np.float64)
    scale = np.linalg.norm(ref.ravel())
    diff = np.linalg.norm((a.astype(np.float64) - ref).ravel())
    return float(diff / scale) if scale else float(diff)


def _run(lib: Any, case: Case, arrays: list, upstream: list | None, dtype: Any) -> tuple:
    """Outputs and input gradients (NumPy float64) of one evaluation."""
    leaves = []
    for a in arrays:
        if a.dtype.kind == "f":
            leaves.append(lib.tensor(a, dtype=dtype).requires_grad_(True))
        else:
            leaves.append(lib.tensor(a, dtype=lib.int64))
    out = case.fn(lib, *leaves)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    if upstream is None:  # drawn once per case, shared by the three evaluations
        rng = np.random.default_rng(1)
        upstream = [np.float32(1.0) if o.dim() == 0 else
                    rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outs]
    lib.autograd.backward(outs, [lib.tensor(np.asarray(u), dtype=dtype) for u in upstream])
    values = [o.detach().numpy().astype(np.float64) for o in outs]
    grads = [t.grad.numpy().astype(np.float64) for t in leaves if t.grad is not None]
    return values, grads, upstream


def evaluate(case: Case, latte: Any, torch: Any) -> dict:
    """Forward and backward errors against float64 for Latte and PyTorch, and their ratios."""
    rng = np.random.default_rng(0)
    arrays = [a.astype(np.float32) if a.dtype.kind == "f" else a.astype(np.int64)
              for a in case.inputs(rng)]
    ref_out, ref_grad, upstream = _run(torch, case, arrays, None, torch.float64)
    res = {"name": case.name, "exception": case.exception}
    for tag, lib in (("latte", latte), ("torch", torch)):
        outs, grads, _ = _run(lib, case, arrays, upstream, lib.float32)
        res[f"{tag}_fwd"] = max(_rel_error(o, r) for o, r in zip(outs, ref_out))
        res[f"{tag}_bwd"] = max(_rel_error(g, r) for g, r in zip(grads, ref_grad))
    for part in ("fwd", "bwd"):
        res[f"ratio_{part}"] = (max(res[f"latte_{part}"], FLOOR)
                                / max(res[f"torch_{part}"], FLOOR))
    return res


def format_table(rows: list) -> str:
    """A Markdown table of the results of ``evaluate``."""
    lines = ["| op | latte fwd | torch fwd | ratio | latte bwd | torch bwd | ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['name']} | {r['latte_fwd']:.1e} | {r['torch_fwd']:.1e} | "
                     f"{r['ratio_fwd']:.2f} | {r['latte_bwd']:.1e} | {r['torch_bwd']:.1e} | "
                     f"{r['ratio_bwd']:.2f} |")
    return "\n".join(lines)
