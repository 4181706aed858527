"""A small, readable training loop: copy it and edit it, or call ``fit``.

``train_one_epoch`` and ``evaluate`` are the two halves of an epoch; ``fit`` strings epochs
together and adds the things long runs need: history files, early stopping, atomic
checkpoints (``last.pt`` every epoch, ``best.pt`` on improvement), exact resume, and a graceful
Ctrl-C (the current batch finishes, the partial epoch's weights go to ``interrupted.pt``,
``last.pt`` keeps the last completed epoch, and the process exits cleanly).

Data-parallel runs pass ``replicas`` (see ``Replicas``): every process runs the same loop on its
share of the data, metrics are combined over processes, stop decisions are agreed on, and only
the main process writes files, logs and draws progress bars.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import latte
from latte.nn.parallel import DistributedDataParallel
from latte.train.checkpoint import get_rng_states, load_checkpoint, save_atomic, set_rng_states
from latte.train.early_stopping import EarlyStopping
from latte.train.history import History
from latte.train.metrics import MetricMeter
from latte.train.progress import progress

__all__ = ["train_one_epoch", "evaluate", "fit", "FitResult", "StopFlag", "Replicas"]


class StopFlag:
    """Set by the Ctrl-C handler (or by you); the loop stops after the current batch."""

    def __init__(self) -> None:
        self.is_set = False

    def set(self) -> None:
        self.is_set = True


class Replicas:
    """How the processes of a run cooperate; this base class is the one-process case.

    A data-parallel run (``latte.cli.parallel.MPIProcesses``) overrides the three hooks so that
    every process takes the same decisions: ``merge`` sums a ``MetricMeter`` over processes (each
    saw its own share of the data), ``agree`` turns this process's stop request into the job's
    (any process stopping stops all, so none is left waiting in a collective), and
    ``is_main`` is True on the one process that writes files and logs.
    """

    is_main = True

    def merge(self, meter: MetricMeter) -> None:
        """Make ``meter`` hold the totals over all processes (identical on every process)."""

    def agree(self, stop: bool) -> bool:
        """True on every process when any process asks to stop."""
        return stop


_ONE = Replicas()


def _unwrap(model: Any) -> Any:
    """The model inside ``DistributedDataParallel``: checkpoints hold its keys (no ``module.``)
    so they load into any number of processes."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def _set_epoch(loader: Iterable, epoch: int) -> None:
    """A ``DistributedSampler`` reshuffles with ``seed + epoch``: tell it the epoch."""
    set_epoch = getattr(getattr(loader, "sampler", None), "set_epoch", None)
    if set_epoch is not None:
        set_epoch(epoch)


def _silent(message: str) -> None:
    pass


@contextlib.contextmanager
def _graceful_interrupt(flag: StopFlag, quiet: bool = False) -> Iterator[None]:
    """First Ctrl-C sets ``flag``; a second one raises ``KeyboardInterrupt`` as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be installed from the main thread
        return

    def handler(signum: int, frame: Any) -> None:
        if flag.is_set:
            raise KeyboardInterrupt
        flag.set()
        if not quiet:  # every process of a data-parallel job gets the signal; one says so
            print("\nInterrupted: finishing the current batch, then saving "
                  "(Ctrl-C again to abort)", flush=True)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def model_device(model: Any) -> latte.device:
    """Where ``model``'s parameters live (batches are moved there); the CPU if it has none."""
    for p in model.parameters():
        return p.device
    return latte.device("cpu")


def _batches(loader: Iterable, limit: int | None) -> Iterator:
    for i, batch in enumerate(loader):
        if limit is not None and i >= limit:
            return
        yield batch


def train_one_epoch(model: Any, loader: Iterable, loss_fn: Callable, optimizer: Any, *,
                    limit_batches: int | None = None, desc: str = "train",
                    show_progress: bool = True, stop: StopFlag | None = None,
                    replicas: Replicas | None = None,
                    scheduler: Any = None) -> dict[str, float]:
    """One pass over ``loader``: forward, loss, backward, step. Returns ``train_loss/acc``.

    A ``scheduler`` given here is stepped after every optimizer step (warm-up, ``OneCycleLR``
    and other per-batch schedules). With ``replicas``, the returned metrics cover every
    process's share and a ``stop`` request is agreed on after each batch, so all processes
    leave the loop at the same batch.

    Example::

        >>> row = train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)  # doctest: +SKIP
        >>> row["train_loss"], row["train_acc"]  # doctest: +SKIP
    """
    model.train()
    device = model_device(model)
    meter = MetricMeter(None, topk=())  # running loss and accuracy only: cheap per batch
    total = len(loader) if limit_batches is None else min(len(loader), limit_batches)
    bar = progress(_batches(loader, limit_batches), total=total, desc=desc,
                   enabled=show_progress)
    for i, (x, y) in enumerate(bar):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        output = model(x)
        loss = loss_fn(output, y)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        meter.update(loss.item(), output.detach(), y)
        if i % 10 == 0:
            bar.set_postfix(loss=f"{meter.loss:.4f}", acc=f"{meter.accuracy:.4f}")
        if stop is not None and (replicas or _ONE).agree(stop.is_set):
            break
    bar.close()
    (replicas or _ONE).merge(meter)
    return meter.summary("train_")


def evaluate(model: Any, loader: Iterable, loss_fn: Callable, *, num_classes: int | None = None,
             limit_batches: int | None = None, replicas: Replicas | None = None) -> MetricMeter:
    """Loss, accuracy, top-5 and the confusion matrix of ``model`` on ``loader`` (eval mode).

    With ``replicas``, each process evaluates its own shard and the meter holds the totals.

    Example::

        >>> meter = evaluate(model, test_loader, nn.CrossEntropyLoss(),
        ...                  num_classes=10)  # doctest: +SKIP
        >>> meter.accuracy, meter.confusion          # float, (10, 10) int64 array  # doctest: +SKIP
    """
    model.eval()
    device = model_device(model)
    meter = MetricMeter(num_classes)
    with latte.no_grad():
        for x, y in _batches(loader, limit_batches):
            x, y = x.to(device), y.to(device)
            output = model(x)
            meter.update(loss_fn(output, y).item(), output, y)
    (replicas or _ONE).merge(meter)
    return meter


@dataclass
class FitResult:
    """What ``fit`` did: the history, why it stopped, and where it saved."""

    history: History
    epochs_done: int
    stopped_early: bool = False
    interrupted: bool = False
    best_epoch: int | None = None
    run_dir: Path | None = None
    resumed_from: int = 0
    notes: list[str] = field(default_factory=list)


def _current_lr(optimizer: Any) -> float:
    return float(optimizer.param_groups[0]["lr"])


def _resume(run_dir: Path, model: Any, optimizer: Any, scheduler: Any, history: History,
            stopper: EarlyStopping | None, config: dict | None) -> int:
    ckpt = load_checkpoint(run_dir / "last.pt")
    saved = ckpt.get("config") or {}
    if config is not None:
        # options that change the model or the data make the saved state meaningless
        for key in ("model", "dataset", "hidden", "dropout", "val_split", "seed", "optimizer"):
            if key in config and key in saved and config[key] != saved[key]:
                raise RuntimeError(f"cannot resume {run_dir}: it was trained with {key}="
                                   f"{saved[key]!r}, this run asks for {key}={config[key]!r}")
    try:
        model.load_state_dict(ckpt["model"])
    except (KeyError, RuntimeError, ValueError) as e:
        raise RuntimeError(f"checkpoint {run_dir / 'last.pt'} does not fit this model: "
                           f"{e}") from None
    optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None and ckpt.get("scheduler") is not None:
        scheduler.load_state_dict(ckpt["scheduler"])
    history.load_state_dict(ckpt["history"])
    if stopper is not None and ckpt.get("early_stopping") is not None:
        stopper.load_state_dict(ckpt["early_stopping"])
    set_rng_states(ckpt["rng"])
    return int(ckpt["epoch"])


def fit(model: Any, train_loader: Iterable, loss_fn: Callable, optimizer: Any, *,
        epochs: int, val_loader: Iterable | None = None, scheduler: Any = None,
        early_stopping: EarlyStopping | None = None, run_dir: str | Path | None = None,
        resume: bool = False, config: dict | None = None, num_classes: int | None = None,
        limit_batches: int | None = None, show_progress: bool = True,
        log: Callable[[str], Any] = print, stop: StopFlag | None = None,
        replicas: Replicas | None = None,
        on_epoch_end: Callable[[dict], Any] | None = None,
        scheduler_interval: str = "epoch") -> FitResult:
    """Train for ``epochs`` epochs, validating after each, and return a ``FitResult``.

    With ``run_dir``, writes ``history.csv``/``history.json`` and the checkpoints there after
    every epoch; ``resume=True`` continues from ``run_dir/last.pt`` exactly as if the run had
    not stopped (weights, optimizer and scheduler state, history, early stopping and every
    random generator are restored). Seed the run (``seed_everything``) before building the
    model so that runs repeat.

    ``scheduler_interval="batch"`` steps ``scheduler`` after every batch instead of after every
    epoch (build it for ``epochs * batches per epoch`` steps); its state is saved with each
    epoch's checkpoint either way.

    ``on_epoch_end(row)`` runs on the main process after each epoch with its history row
    (``latte train --tensorboard`` logs through it).

    Data-parallel: pass the ``DistributedDataParallel`` model, a loader whose sampler is a
    ``DistributedSampler`` (its ``set_epoch`` is called each epoch), validation shards and
    ``replicas``; checkpoints then hold the unwrapped model and are written by the main process
    only, so they resume on any number of processes.

    Example::

        >>> seed_everything(0)  # doctest: +SKIP
        >>> model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))  # doctest: +SKIP
        >>> result = fit(model, train_loader, nn.CrossEntropyLoss(),  # doctest: +SKIP
        ...              optim.Adam(model.parameters()), epochs=3, val_loader=val_loader,
        ...              run_dir="runs/linear")
        >>> result.history[-1]["val_acc"]  # doctest: +SKIP
    """
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"scheduler_interval must be 'epoch' or 'batch', got "
                         f"{scheduler_interval!r}")
    per_batch = scheduler if scheduler_interval == "batch" else None
    run_dir = Path(run_dir) if run_dir is not None else None
    replicas = replicas or _ONE
    main = replicas.is_main
    if not main:
        log, show_progress = _silent, False
    bare = _unwrap(model)
    history = History()
    start_epoch = 0
    if resume:
        if run_dir is None:
            raise ValueError("resume=True needs the run_dir of the run to continue")
        start_epoch = _resume(run_dir, bare, optimizer, scheduler, history, early_stopping,
                              config)
        log(f"Resuming {run_dir} after epoch {start_epoch}")
    if run_dir is not None and main:
        run_dir.mkdir(parents=True, exist_ok=True)
    result = FitResult(history, start_epoch, run_dir=run_dir, resumed_from=start_epoch)
    if early_stopping is not None and early_stopping.should_stop:
        result.stopped_early = True
        return result
    stop = stop or StopFlag()
    with _graceful_interrupt(stop, quiet=not main):
        for epoch in range(start_epoch + 1, epochs + 1):
            start = time.perf_counter()
            _set_epoch(train_loader, epoch)
            lr = _current_lr(optimizer)
            row: dict[str, Any] = {"epoch": epoch, "lr": lr}
            row.update(train_one_epoch(model, train_loader, loss_fn, optimizer,
                                       limit_batches=limit_batches,
                                       desc=f"epoch {epoch}/{epochs}",
                                       show_progress=show_progress, stop=stop,
                                       replicas=replicas, scheduler=per_batch))
            if replicas.agree(stop.is_set):
                result.interrupted = True
                if run_dir is not None and main:
                    save_atomic({"model": bare.state_dict(), "epoch": epoch - 1,
                                 "partial_epoch": epoch, "config": config},
                                run_dir / "interrupted.pt")
                break
            if val_loader is not None:
                row.update(evaluate(bare, val_loader, loss_fn, num_classes=num_classes,
                                    limit_batches=limit_batches,
                                    replicas=replicas).summary("val_"))
            if scheduler is not None and per_batch is None:
                if isinstance(scheduler, latte.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(row.get("val_loss", row["train_loss"]))
                else:
                    scheduler.step()
            row["time"] = round(time.perf_counter() - start, 3)
            history.append(row)
            log(_format_row(row))
            if on_epoch_end is not None and main:
                on_epoch_end(row)
            improved = stop_now = False
            if early_stopping is not None:
                if early_stopping.monitor not in row:
                    raise KeyError(f"early stopping monitors {early_stopping.monitor!r}, but "
                                   f"the epoch only reports {sorted(row)}")
                before = early_stopping.best_epoch
                stop_now = early_stopping.step(row[early_stopping.monitor], bare)
                improved = early_stopping.best_epoch != before
            result.epochs_done = epoch
            if run_dir is not None and main:
                _save_epoch(run_dir, bare, optimizer, scheduler, history, early_stopping,
                            config, epoch, best=improved or early_stopping is None)
            if stop_now:
                result.stopped_early = True
                break
            if replicas.agree(stop.is_set):  # Ctrl-C in validation or saving: epoch complete
                result.interrupted = True
                break
    if early_stopping is not None:
        result.best_epoch = early_stopping.best_epoch
        if early_stopping.restore(bare):
            log(f"Restored the weights of epoch {early_stopping.best_epoch} "
                f"(best {early_stopping.monitor} = {early_stopping.best:.4f})")
    return result


def _save_epoch(run_dir: Path, model: Any, optimizer: Any, scheduler: Any, history: History,
                stopper: EarlyStopping | None, config: dict | None, epoch: int,
                best: bool) -> None:
    history.save(run_dir)
    state = {"model": model.state_dict(), "epoch": epoch, "config": config}
    if best:
        save_atomic(state, run_dir / "best.pt")
    state.update(optimizer=optimizer.state_dict(),
                 scheduler=None if scheduler is None else scheduler.state_dict(),
                 history=history.state_dict(),
                 early_stopping=None if stopper is None else stopper.state_dict(),
                 rng=get_rng_states())
    save_atomic(state, run_dir / "last.pt")


def _format_row(row: dict[str, Any]) -> str:
    parts = [f"epoch {row['epoch']:>3}"]
    for key, value in row.items():
        if key in ("epoch", "time"):
            continue
        parts.append(f"{key} {value:.4g}" if key == "lr" else f"{key} {value:.4f}")
    parts.append(f"{row['time']:.1f}s")
    return "  ".join(parts)
