"""PNG plots of a run: curves, weights, filters, feature maps, confusion matrix, mistakes.

Needs matplotlib (``pip install matplotlib``, or ``pip install 'latte[plot]'``), imported only
when a plot is drawn and always with the file-only ``Agg`` backend, so plotting works on
machines without a display. Every function writes one PNG and returns its path.

Example::

    >>> from latte.train import plots
    >>> # loss.png, accuracy.png, lr.png
    >>> plots.plot_history(History.load("runs/mlp"), "runs/mlp")  # doctest: +SKIP
    >>> plots.plot_first_layer_images(model[1], "runs/mlp/first_layer.png")  # doctest: +SKIP
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import latte

__all__ = ["plot_history", "plot_linear_weights", "plot_first_layer_images",
           "plot_conv_filters", "plot_feature_maps", "plot_confusion_matrix",
           "plot_misclassified", "plot_gradient_flow", "matplotlib_available"]


def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plots need matplotlib: pip install matplotlib "
                          "(or pip install 'latte[plot]')") from None
    matplotlib.use("Agg")  # files only: no display needed, no window opened
    import matplotlib.pyplot as plt
    return plt


def _save(fig: Any, path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    _pyplot().close(fig)
    return path


def _np(x: Any) -> np.ndarray:
    x = getattr(x, "detach", lambda: x)()
    return np.asarray(getattr(x, "_data", x), dtype=np.float64)


def plot_history(history: Any, out_dir: str | os.PathLike) -> list[Path]:
    """``loss.png`` and ``accuracy.png`` (train and validation per epoch) and ``lr.png``."""
    plt = _pyplot()
    rows = history.rows if hasattr(history, "rows") else list(history)
    epochs = [r["epoch"] for r in rows]
    written = []
    for metric, title in (("loss", "Loss"), ("acc", "Accuracy")):
        fig, ax = plt.subplots(figsize=(6, 4))
        for split in ("train", "val"):
            key = f"{split}_{metric}"
            if any(key in r for r in rows):
                ax.plot(epochs, [r.get(key, np.nan) for r in rows], marker="o",
                        label="validation" if split == "val" else "train")
        ax.set(xlabel="epoch", ylabel=metric, title=title)
        ax.grid(alpha=0.3)
        ax.legend()
        written.append(_save(fig, Path(out_dir) / ("loss.png" if metric == "loss"
                                                   else "accuracy.png")))
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(epochs, [r.get("lr", np.nan) for r in rows], marker="o")
    ax.set(xlabel="epoch", ylabel="learning rate", title="Learning rate")
    ax.grid(alpha=0.3)
    written.append(_save(fig, Path(out_dir) / "lr.png"))
    return written


def plot_linear_weights(layer: Any, path: str | os.PathLike) -> Path:
    """Heatmap of a ``Linear`` layer's weight ``(out_features, in_features)``."""
    plt = _pyplot()
    w = _np(layer.weight)
    limit = np.abs(w).max() or 1.0
    fig, ax = plt.subplots(figsize=(8, max(2.0, 8 * w.shape[0] / max(w.shape[1], 1))))
    im = ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto",
                   interpolation="nearest")
    ax.set(xlabel="input", ylabel="output unit", title=f"Linear weights {tuple(w.shape)}")
    fig.colorbar(im, ax=ax)
    return _save(fig, path)


def _grid(plt: Any, images: np.ndarray, titles: Sequence[str] | None = None,
          cmap: str = "RdBu_r", symmetric: bool = True) -> Any:
    n = len(images)
    cols = min(n, 10)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols, 1.4 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i]
        if img.ndim == 3:  # (C, H, W) colour: show as RGB scaled to [0, 1]
            img = img.transpose(1, 2, 0)
            img = (img - img.min()) / (np.ptp(img) or 1.0)
            ax.imshow(img, interpolation="nearest")
        else:
            limit = np.abs(img).max() or 1.0
            kwargs = {"vmin": -limit, "vmax": limit} if symmetric else {}
            ax.imshow(img, cmap=cmap, interpolation="nearest", **kwargs)
        if titles is not None:
            ax.set_title(titles[i], fontsize=8)
    return fig


def plot_first_layer_images(layer: Any, path: str | os.PathLike,
                            shape: tuple[int, int] = (28, 28), max_units: int = 40) -> Path:
    """The first ``max_units`` rows of a ``Linear`` weight reshaped to ``shape`` images.

    On MNIST each unit's weights look like strokes of the digits it responds to.
    """
    plt = _pyplot()
    w = _np(layer.weight)
    if w.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"a Linear layer with {w.shape[1]} inputs cannot be shown as "
                         f"{shape[0]}x{shape[1]} images")
    fig = _grid(plt, w[:max_units].reshape(-1, *shape), [f"unit {i}" for i in
                                                         range(min(max_units, len(w)))])
    fig.suptitle("First layer weights")
    return _save(fig, path)


def plot_conv_filters(conv: Any, path: str | os.PathLike, max_filters: int = 64) -> Path:
    """The filters of a ``Conv2d`` ``(out, in, kH, kW)``: RGB when ``in == 3``, else channel 0."""
    plt = _pyplot()
    w = _np(conv.weight)[:max_filters]
    images = w if w.shape[1] == 3 else w[:, 0]
    fig = _grid(plt, images)
    fig.suptitle(f"Conv filters {tuple(_np(conv.weight).shape)}")
    return _save(fig, path)


def plot_feature_maps(model: Any, layer: str, x: Any, path: str | os.PathLike,
                      max_maps: int = 32) -> Path:
    """The output of submodule ``layer`` (a name from ``named_modules``) for one input ``x``.

    ``x`` is one sample without the batch dimension, e.g. ``(1, 28, 28)``. A forward hook
    catches the layer's output, so the model is used as is.
    """
    plt = _pyplot()
    captured = {}
    module = model.get_submodule(layer)
    handle = module.register_forward_hook(lambda m, i, out: captured.setdefault("out", out))
    was_training = model.training
    model.eval()
    try:
        with latte.no_grad():
            model(x.unsqueeze(0))
    finally:
        handle.remove()
        model.train(was_training)
    out = _np(captured["out"])[0]
    if out.ndim == 1:  # a fully connected layer: show its activations as one row
        out = out[None, None, :]
    fig = _grid(plt, out[:max_maps], cmap="viridis", symmetric=False)
    fig.suptitle(f"Feature maps of {layer} {tuple(out.shape)}")
    return _save(fig, path)


def plot_confusion_matrix(matrix: Any, path: str | os.PathLike,
                          classes: Sequence[str] | None = None) -> Path:
    """Counts with rows = true class, columns = predicted class, numbers written in."""
    plt = _pyplot()
    cm = np.asarray(matrix)
    n = cm.shape[0]
    classes = list(classes) if classes is not None else [str(i) for i in range(n)]
    fig, ax = plt.subplots(figsize=(1 + 0.6 * n, 1 + 0.6 * n))
    ax.imshow(cm, cmap="Blues")
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xticks(range(n), classes, rotation=90, fontsize=7)
    ax.set_yticks(range(n), classes, fontsize=7)
    ax.set(xlabel="predicted", ylabel="true",
           title=f"Confusion matrix (accuracy {np.trace(cm) / max(cm.sum(), 1):.2%})")
    return _save(fig, path)


def plot_misclassified(images: Any, targets: Any, predicted: Any, path: str | os.PathLike,
                       classes: Sequence[str] | None = None, max_images: int = 40) -> Path:
    """A grid of wrongly classified images titled ``true -> predicted``.

    ``images`` ``(N, C, H, W)`` or ``(N, H, W)``; ``targets`` and ``predicted`` ``(N,)``.
    """
    plt = _pyplot()
    x, y, p = _np(images), _np(targets).astype(int), _np(predicted).astype(int)
    wrong = np.flatnonzero(y != p)[:max_images]
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    name = (lambda c: str(classes[c]).split(" - ")[0]) if classes else str
    titles = [f"{name(y[i])}->{name(p[i])}" for i in wrong]
    fig = _grid(plt, x[wrong] if len(wrong) else np.zeros((1, 2, 2)), titles or ["none"],
                cmap="gray", symmetric=False)
    fig.suptitle(f"Misclassified: {int((y != p).sum())} of {len(y)}")
    return _save(fig, path)


def plot_gradient_flow(named_parameters: Any, path: str | os.PathLike) -> Path:
    """Mean and max ``|grad|`` of each weight (biases left out), input layer first: gradients
    that fade towards the input show as bars that shrink to the left."""
    plt = _pyplot()
    names, means, maxes = [], [], []
    for name, p in named_parameters:
        if p.grad is not None and p.dim() > 1:
            g = np.abs(_np(p.grad))
            names.append(name)
            means.append(g.mean())
            maxes.append(g.max())
    if not names:
        raise ValueError("plot_gradient_flow: no weight has a gradient; call backward() first")
    fig, ax = plt.subplots(figsize=(max(6, len(names) * 0.5), 4))
    x = np.arange(len(names))
    ax.bar(x, maxes, alpha=0.4, color="c", label="max |grad|")
    ax.bar(x, means, alpha=0.8, color="b", label="mean |grad|")
    ax.set_xticks(x, names, rotation=90, fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("|gradient|")
    ax.set_title("Gradient flow")
    ax.legend()
    return _save(fig, path)
