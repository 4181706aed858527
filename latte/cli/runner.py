"""What ``latte train``, ``eval`` and ``plot`` do, as functions that sweeps and scripts reuse."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

import latte
from latte.cli.build import (
    build_batch_augment,
    build_loss,
    build_model,
    build_optimizer,
    build_scheduler,
    scheduler_interval,
)
from latte.cli.config import TrainConfig
from latte.cli.data import BatchTransformLoader, DataBundle, load_data, split_train_val
from latte.cli.parallel import OneProcess
from latte.onnx import export as onnx_export
from latte.train import (
    EarlyStopping,
    History,
    TestTimeAugmentation,
    evaluate,
    fit,
    load_checkpoint,
    seed_everything,
)
from latte.train.tensorboard import TensorBoardLogger
from latte.utils.data import DataLoader

__all__ = ["run_train", "evaluate_checkpoint", "make_plots", "new_run_dir", "model_from_checkpoint"]


def new_run_dir(cfg: TrainConfig) -> Path:
    """``out/name`` (default ``out/<model>-<dataset>``), numbered ``-2``, ``-3`` when taken."""
    base = Path(cfg.out) / (cfg.name or f"{cfg.model}-{cfg.dataset}")
    path, n = base, 1
    while (path / "last.pt").exists() or (path / "results.json").exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def _loader(ds: Any, cfg: TrainConfig, shuffle: bool, sampler: Any = None) -> DataLoader:
    return DataLoader(ds, batch_size=cfg.batch_size if shuffle else max(cfg.batch_size, 256),
                      shuffle=shuffle and sampler is None, sampler=sampler,
                      num_workers=cfg.workers if shuffle else 0)


def _quiet(message: str) -> None:
    pass


def _with_transform(loader: Any, transform: Any) -> Any:
    return loader if transform is None else BatchTransformLoader(loader, transform)


def _load_data(cfg: TrainConfig, log: Any) -> DataBundle:
    """The data of ``cfg``, with its per-image or batch augmentation."""
    batch = build_batch_augment(cfg) if cfg.batch_augment else None
    return load_data(cfg.dataset, cfg.data_dir, cfg.augment_mode == "per-image", cfg.seed, log,
                     batch_augment=batch)


def _steps_per_epoch(loader: Any, limit_batches: int | None) -> int:
    return len(loader) if limit_batches is None else min(len(loader), limit_batches)


def _test(model: Any, loader: Any, loss_fn: Any, cfg: TrainConfig, num_classes: int,
          limit_batches: int | None, replicas: Any = None) -> tuple[Any, Any]:
    """The test meter, with ``cfg.tta`` when set, and the meter without it (None when no
    test-time augmentation was asked for)."""
    plain = evaluate(model, loader, loss_fn, num_classes=num_classes,
                     limit_batches=limit_batches, replicas=replicas)
    if cfg.tta == "none":
        return plain, None
    tta = evaluate(TestTimeAugmentation(model, cfg.tta), loader, loss_fn,
                   num_classes=num_classes, limit_batches=limit_batches, replicas=replicas)
    return tta, plain


def run_train(cfg: TrainConfig, run_dir: Path | None = None, resume: bool = False,
              log: Any = print, processes: OneProcess | None = None) -> dict[str, Any]:
    """Train as ``cfg`` says, test the result, write plots; returns the results summary.

    ``processes`` (``latte.cli.parallel.start``) makes this one process of a data-parallel
    run: each trains on ``cfg.batch_size`` examples per step, and only the main process logs
    and writes into ``run_dir``.
    """
    procs = processes or OneProcess()
    main = procs.is_main
    log = log if main else _quiet
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir(cfg)
    start = time.perf_counter()
    seed_everything(cfg.seed)  # the same seed everywhere: replicas start, and draw, alike
    bundle = _load_data(cfg, log)
    log(f"Data: {bundle.description}")
    train_ds, val_ds = split_train_val(bundle, cfg.val_split, cfg.seed)
    model = build_model(cfg, bundle.input_shape, bundle.num_classes)
    model.to(training_device(cfg.device, procs.world_size))
    optimizer = build_optimizer(cfg, model)
    train_loader = _with_transform(_loader(train_ds, cfg, True, procs.sampler(train_ds, cfg.seed)),
                                   bundle.train_batch_transform)
    val_loader = _with_transform(_loader(procs.shard(val_ds), cfg, False),
                                 bundle.batch_normalize) if val_ds else None
    scheduler = build_scheduler(cfg, optimizer, _steps_per_epoch(train_loader, cfg.limit_batches))
    stopper = EarlyStopping(cfg.monitor, cfg.patience) if cfg.patience else None
    n_params = sum(p.numel() for p in model.parameters())
    log(f"Model: {cfg.model} ({n_params:,} parameters); {cfg.optimizer} lr {cfg.lr}; "
        f"{len(train_ds):,} train / {len(val_ds) if val_ds else 0:,} validation; "
        f"run folder {run_dir}")
    if procs.world_size > 1:
        log(f"Data-parallel on {procs.world_size} processes: {cfg.batch_size} examples per "
            f"process per step, {cfg.batch_size * procs.world_size} in all")
    board = _tensorboard(cfg, run_dir, model, train_ds) if main else None
    try:
        result = fit(procs.wrap(model), train_loader, build_loss(cfg), optimizer,
                     epochs=cfg.epochs, val_loader=val_loader,
                     scheduler=scheduler, early_stopping=stopper, run_dir=run_dir,
                     resume=resume, config=cfg.to_dict(), num_classes=bundle.num_classes,
                     limit_batches=cfg.limit_batches, show_progress=cfg.progress, log=log,
                     replicas=procs, on_epoch_end=board,
                     scheduler_interval=scheduler_interval(cfg))
    finally:
        if board is not None:
            board.close()
    summary: dict[str, Any] = {"run_dir": str(run_dir), "epochs": result.epochs_done,
                               "stopped_early": result.stopped_early,
                               "interrupted": result.interrupted, "data": bundle.description}
    if result.interrupted:
        log(f"Stopped after epoch {result.epochs_done}; continue with: latte train --resume "
            f"{run_dir}")
        return summary
    test, plain = _test(model, _loader(procs.shard(bundle.test), cfg, False), build_loss(cfg),
                        cfg, bundle.num_classes, cfg.limit_batches, procs)
    history = result.history
    summary.update(test_loss=test.loss, test_acc=test.accuracy,
                   best_val_acc=max(history.column("val_acc"), default=None)
                   if "val_acc" in history.keys else None,
                   train_time_s=round(sum(history.column("time")), 2),
                   epoch_time_s=round(float(np.mean(history.column("time"))), 2)
                   if len(history) else None,
                   wall_time_s=round(time.perf_counter() - start, 2))
    summary.update({f"test_{k}": v for k, v in (("top5", test.topk.get(5)),) if v is not None})
    if plain is not None:
        summary.update(tta=cfg.tta, test_acc_no_tta=plain.accuracy)
    if procs.world_size > 1:
        summary["processes"] = procs.world_size
    if not main:
        return summary
    np.savetxt(run_dir / "confusion.csv", test.confusion, fmt="%d", delimiter=",")
    model.cpu()  # plots read the weights on the host
    if cfg.plots:
        summary["plots"] = make_plots(run_dir, model, bundle, log)
    (run_dir / "results.json").write_text(json.dumps(summary, indent=1) + "\n")
    log(_summary_text(summary))
    return summary


def _gradient_flow(model: Any, x: Any, y: Any, path: Path) -> Path:
    """The gradient-flow plot of one cross-entropy backward on a test batch."""
    from latte.train import plots
    model.zero_grad()
    latte.nn.functional.cross_entropy(model(x), y).backward()
    try:
        return plots.plot_gradient_flow(model.named_parameters(), path)
    finally:
        model.zero_grad()


def _tensorboard(cfg: TrainConfig, run_dir: Path, model: Any, train_ds: Any) -> Any:
    """The TensorBoard callback of ``--tensorboard`` (None without it), with 16 training
    images to show when the data are images."""
    if not cfg.tensorboard:
        return None
    first = next(iter(DataLoader(train_ds, batch_size=16)))[0]
    images = first if first.ndim == 4 else None
    return TensorBoardLogger(run_dir / "tensorboard", model, images)


def training_device(spec: str, world_size: int = 1) -> latte.device:
    """The device ``--device`` names: ``auto`` is a GPU when one is there, else the CPU."""
    if spec == "auto":
        spec = "cuda" if latte.cuda.is_available() else "cpu"
    device = latte.backend.parse_device(spec)
    if device.type != "cpu" and world_size > 1:
        raise ValueError("--nproc with --device cuda is not supported yet: data-parallel "
                         "training runs on CPUs (one process per core)")
    return device


def _summary_text(s: dict[str, Any]) -> str:
    early = "  (stopped early)" if s["stopped_early"] else ""
    lines = ["", "Results", f"  data:           {s['data']}",
             f"  epochs:         {s['epochs']}{early}",
             f"  test accuracy:  {s['test_acc']:.2%}   test loss {s['test_loss']:.4f}"
             + (f"   (tta {s['tta']}; {s['test_acc_no_tta']:.2%} without)" if "tta" in s
                else "")]
    if s.get("test_top5") is not None:
        lines.append(f"  test top-5:     {s['test_top5']:.2%}")
    lines.append(f"  time:           {s['wall_time_s']:.1f} s "
                 f"({s['epoch_time_s']} s per epoch)")
    lines.append(f"  run folder:     {s['run_dir']}")
    if s.get("plots"):
        lines.append(f"  plots:          {Path(s['plots'][0]).parent}")
    return "\n".join(lines)


def model_from_checkpoint(path: str | Path, data_dir: str | None = None,
                          log: Any = print) -> tuple[Any, TrainConfig, DataBundle, dict]:
    """Rebuild the model a checkpoint was trained with and load its weights."""
    ckpt = load_checkpoint(path)
    if not ckpt.get("config"):
        raise RuntimeError(f"{path} holds no training configuration, so the model cannot be "
                           f"rebuilt; it was not written by latte train")
    cfg = TrainConfig.from_dict(ckpt["config"])
    if data_dir is not None:
        cfg.data_dir = data_dir
    bundle = load_data(cfg.dataset, cfg.data_dir, False, cfg.seed, log)  # tested unaugmented
    model = build_model(cfg, bundle.input_shape, bundle.num_classes)
    try:
        model.load_state_dict(ckpt["model"])
    except (KeyError, RuntimeError, ValueError) as e:
        raise RuntimeError(f"checkpoint {path} does not match the model {cfg.model} rebuilt "
                           f"from its configuration: {e}") from None
    return model, cfg, bundle, ckpt


def export_checkpoint(path: str | Path, onnx_file: str | Path, opset: int | None = None,
                      log: Any = print) -> Path:
    """``latte export``: the checkpoint's model as ONNX, batch dimension free."""
    model, cfg, bundle, _ = model_from_checkpoint(path, None, _quiet)
    example = latte.zeros(1, *bundle.input_shape)
    onnx_export(model, example, str(onnx_file), input_names=["input"], output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                opset_version=opset)
    log(f"Wrote {onnx_file}: {cfg.model} on {tuple(bundle.input_shape)} inputs, batch free")
    return Path(onnx_file)


def evaluate_checkpoint(path: str | Path, data_dir: str | None = None, batch_size: int = 256,
                        limit_batches: int | None = None, log: Any = print,
                        tta: str = "none") -> dict[str, Any]:
    """``latte eval``: test-set loss, accuracy and top-5 of a saved model.

    ``tta`` ``"flip"`` or ``"flip-translate"`` averages the logits over augmented views
    (``TestTimeAugmentation``); ``test_acc_no_tta`` then holds the plain accuracy.
    """
    model, cfg, bundle, ckpt = model_from_checkpoint(path, data_dir, log)
    cfg.batch_size, cfg.tta = batch_size, tta
    cfg.validate()
    meter, plain = _test(model, _loader(bundle.test, cfg, False), build_loss(cfg), cfg,
                         bundle.num_classes, limit_batches)
    out = {"checkpoint": str(path), "epoch": ckpt.get("epoch"), "model": cfg.model,
           "dataset": bundle.description, "test_loss": meter.loss, "test_acc": meter.accuracy,
           "examples": meter.count}
    if plain is not None:
        out.update(tta=tta, test_acc_no_tta=plain.accuracy)
    if 5 in meter.topk:
        out["test_top5"] = meter.topk[5]
    return out


def make_plots(run_dir: Path, model: Any, bundle: DataBundle | None, log: Any = print) -> list[str]:
    """Every plot that applies to this run, into ``run_dir/plots``; [] without matplotlib."""
    from latte import nn
    from latte.train import plots
    if not plots.matplotlib_available():
        log("No plots: matplotlib is not installed (pip install matplotlib)")
        return []
    out = Path(run_dir) / "plots"
    written = []
    if (Path(run_dir) / "history.json").exists():
        written += plots.plot_history(History.load(run_dir), out)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    if linears:
        written.append(plots.plot_linear_weights(linears[-1], out / "last_linear_weights.png"))
        if linears[0].in_features in (28 * 28,):
            written.append(plots.plot_first_layer_images(linears[0], out / "first_layer.png"))
    if convs:
        written.append(plots.plot_conv_filters(convs[0][1], out / "conv_filters.png"))
    if bundle is not None:
        x, y = bundle.test.tensors if hasattr(bundle.test, "tensors") else (None, None)
        if x is not None and x.dim() == 4:
            if convs:
                written.append(plots.plot_feature_maps(model, convs[0][0], x[0],
                                                       out / "feature_maps.png"))
            n = min(len(x), 2000)
            model.eval()
            with latte.no_grad():
                pred = model(x[:n]).argmax(1)
            written.append(plots.plot_misclassified(x[:n], y[:n], pred,
                                                    out / "misclassified.png", bundle.classes))
            written.append(_gradient_flow(model, x[:256], y[:256], out / "gradient_flow.png"))
        cm_path = Path(run_dir) / "confusion.csv"
        if cm_path.exists():
            cm = np.loadtxt(cm_path, delimiter=",", dtype=np.int64, ndmin=2)
            written.append(plots.plot_confusion_matrix(cm, out / "confusion_matrix.png",
                                                       bundle.classes))
    return [str(p) for p in written]
