"""The ``latte`` command: ``train``, ``eval``, ``sweep`` and ``plot``.

Examples::

    latte train                                   # MLP on MNIST with Adam, 5 epochs
    latte train --model lenet --epochs 2 --data-dir ~/data
    latte train --config run.toml --lr 0.01       # the command line overrides the file
    latte train --resume runs/mlp-mnist           # continue an interrupted run
    latte train --nproc 2                         # data-parallel on 2 processes (MPI)
    latte train --dataset cifar10 --model vgg11_bn --optimizer sgd --momentum 0.9 \
        --scheduler onecycle --warmup-epochs 0.5 --label-smoothing 0.2 --augment crop-flip \
        --tta flip                                # per-batch lr schedule, batch augmentation
    latte eval runs/mlp-mnist/best.pt
    latte eval runs/vgg11_bn-cifar10 --tta flip-translate
    latte sweep --grid lr=0.1,0.01 --grid momentum=0,0.9 --optimizer sgd --out runs/sweep
    latte plot runs/mlp-mnist
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from latte.cli.config import (
    AUGMENTS,
    DATASETS,
    LOSSES,
    MODELS_HELP,
    OPTIMIZERS,
    PAD_MODES,
    SCHEDULERS,
    TTAS,
    TrainConfig,
)
from latte.cli.data import DatasetMissing

__all__ = ["main", "build_parser"]

_DEFAULTS = TrainConfig()
# errors whose message says it all: printed without a traceback
_EXPECTED = (DatasetMissing, FileNotFoundError, ValueError, RuntimeError, ImportError)


def _train_options(p: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    g = p.add_argument_group("model and data")
    g.add_argument("--model", help=f"{MODELS_HELP} (default {d.model})")
    g.add_argument("--dataset", choices=DATASETS,
                   help=f"(default {d.dataset}; without the files, the shipped MNIST sample)")
    g.add_argument("--data-dir", help="folder holding the data sets (default $LATTE_DATA)")
    g.add_argument("--hidden", help=f"MLP hidden sizes, comma separated (default {d.hidden})")
    g.add_argument("--dropout", type=float,
                   help="dropout probability (default: the model's own; 0 for mlp)")
    g.add_argument("--bias", action=argparse.BooleanOptionalAction,
                   help="MLP layers with bias (default on)")
    g.add_argument("--augment", nargs="?", const=True, metavar="MODE",
                   help=f"training augmentation, one of {', '.join(AUGMENTS)}: flip, crop (by "
                        f"--crop-padding pixels) and crop-flip act on whole uint8 batches; "
                        f"per-image is the data set's PIL pipeline (random rotation/brightness/"
                        f"contrast for MNIST); bare --augment: crop-flip for CIFAR-10, per-image "
                        f"otherwise")
    g.add_argument("--no-augment", dest="augment", action="store_const", const=False,
                   help="no augmentation (the default)")
    g.add_argument("--crop-padding", type=int,
                   help=f"padding of the random crop, so its largest shift (default "
                        f"{d.crop_padding})")
    g.add_argument("--translate", type=int, metavar="K",
                   help="also shift each training image by up to K pixels each way (batched; "
                        "default 0)")
    g.add_argument("--pad-mode", choices=PAD_MODES,
                   help=f"what crop and translate fill the border with (default {d.pad_mode})")
    g.add_argument("--val-split", type=float,
                   help=f"fraction of the training set held out (default {d.val_split})")
    g = p.add_argument_group("optimisation")
    g.add_argument("--epochs", type=int, help=f"(default {d.epochs})")
    g.add_argument("--batch-size", type=int,
                   help=f"examples per step, per process in a data-parallel run (default "
                        f"{d.batch_size})")
    g.add_argument("--optimizer", choices=OPTIMIZERS, help=f"(default {d.optimizer})")
    g.add_argument("--lr", type=float, help=f"learning rate (default {d.lr})")
    g.add_argument("--momentum", type=float, help=f"SGD/RMSprop momentum (default {d.momentum})")
    g.add_argument("--weight-decay", type=float, help=f"L2 penalty (default {d.weight_decay})")
    g.add_argument("--scheduler", choices=SCHEDULERS,
                   help=f"onecycle, linear (to 0) and cosine are stepped every batch, the "
                        f"others every epoch (default {d.scheduler})")
    g.add_argument("--warmup-epochs", type=float,
                   help="epochs of linear lr warm-up before onecycle/linear/cosine decay; "
                        "fractions allowed (default 0; onecycle then rises for 30%% of the run)")
    g.add_argument("--milestones", help="MultiStepLR epochs, comma separated")
    g.add_argument("--gamma", type=float, help=f"scheduler decay factor (default {d.gamma})")
    g.add_argument("--loss", choices=LOSSES, help=f"(default {d.loss})")
    g.add_argument("--label-smoothing", type=float,
                   help="cross-entropy label smoothing, as nn.CrossEntropyLoss (default 0)")
    g.add_argument("--patience", type=int,
                   help="early stopping patience in epochs; 0 turns it off (default 0)")
    g.add_argument("--monitor", help=f"metric early stopping watches (default {d.monitor})")
    g = p.add_argument_group("run")
    g.add_argument("--tta", choices=TTAS,
                   help="test-time augmentation of the final test: average the logits over "
                        "the flipped (and shifted by 1 pixel) views (default none)")
    g.add_argument("--seed", type=int, help=f"(default {d.seed})")
    g.add_argument("--out", help=f"folder for runs (default {d.out})")
    g.add_argument("--name", help="run folder name (default <model>-<dataset>)")
    g.add_argument("--workers", type=int, help="DataLoader worker processes (default 0)")
    g.add_argument("--device", help="cpu, cuda, cuda:N, or auto (cuda when a GPU is there; "
                   "default cpu)")
    g.add_argument("--limit-batches", type=int, help="stop each epoch after N batches (tests)")
    g.add_argument("--plots", action=argparse.BooleanOptionalAction, help="(default on)")
    g.add_argument("--tensorboard", action=argparse.BooleanOptionalAction,
                   help="log to RUN_DIR/tensorboard for `tensorboard --logdir` (default off; "
                        "pip install tensorboard)")
    g.add_argument("--progress", action=argparse.BooleanOptionalAction,
                   help="progress bars (default on)")
    g.add_argument("--config", help="TOML file with any of these options")


def build_parser() -> argparse.ArgumentParser:
    """The ``latte`` argument parser: one subparser per subcommand, each with its options."""
    parser = argparse.ArgumentParser(
        prog="latte", description="Train, evaluate, compare and plot latte models.",
        epilog="Run 'latte COMMAND --help' for a command's options.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    train = sub.add_parser("train", help="train a model (default: MLP on MNIST with Adam)",
                           description="Train a model; every option can also come from --config.")
    _train_options(train)
    train.add_argument("--resume", metavar="RUN_DIR",
                       help="continue the run in RUN_DIR from its last completed epoch (on "
                            "any number of processes)")
    train.add_argument("--nproc", type=int, metavar="N",
                       help="train data-parallel on N processes started with mpiexec (each "
                            "takes --batch-size examples per step; pip install "
                            "latte[distributed]); mpiexec -n N latte train ... does the same")
    ev = sub.add_parser("eval", help="evaluate a checkpoint on the test split",
                        description="Rebuild the model saved in CHECKPOINT and test it.")
    ev.add_argument("checkpoint", help="a .pt file from latte train, or its run folder")
    ev.add_argument("--data-dir", help="folder holding the data sets (default: as trained)")
    ev.add_argument("--batch-size", type=int, default=256)
    ev.add_argument("--limit-batches", type=int, help="evaluate only N batches")
    ev.add_argument("--tta", choices=TTAS, default="none",
                    help="test-time augmentation: average the logits over the image and its "
                         "mirror (flip), and its 1-pixel shifts and their mirrors (flip-translate)")
    ev.add_argument("--json", action="store_true", help="print the results as JSON")
    sw = sub.add_parser("sweep", help="train over a grid of options (resumable)",
                        description="Train every combination of the --grid values around the "
                                    "other options; finished runs are skipped on a rerun.")
    sw.add_argument("--grid", action="append", required=True, metavar="NAME=V1,V2",
                    help="an option and its values; repeat for more options")
    _train_options(sw)
    pl = sub.add_parser("plot", help="draw the plots of a run folder",
                        description="Curves from the history, weights, filters and, when the "
                                    "data set is at hand, confusion matrix and mistakes.")
    pl.add_argument("run_dir")
    pl.add_argument("--data-dir", help="folder holding the data sets (default: as trained)")
    ex = sub.add_parser("export", help="export a checkpoint's model to ONNX",
                        description="Rebuild the model saved in CHECKPOINT and write it as ONNX "
                                    "(pip install onnx), with a free batch dimension.")
    ex.add_argument("checkpoint", help="a .pt file from latte train, or its run folder")
    ex.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    ex.add_argument("--opset", type=int, help="ONNX opset version (default 18)")
    run = sub.add_parser("run", help="run an unmodified PyTorch script on latte",
                         description="Run SCRIPT with torch and torchvision resolved to latte.")
    run.add_argument("--nproc", type=int, help="start N processes as torchrun does (RANK, "
                     "LOCAL_RANK, WORLD_SIZE, MASTER_ADDR... set), under mpiexec")
    run.add_argument("--check", action="store_true", help="list the torch names SCRIPT uses "
                     "that Latte lacks, without running it")
    run.add_argument("script")
    run.add_argument("script_args", nargs=argparse.REMAINDER, help="the script's own arguments")
    return parser


def _train_cli_values(args: argparse.Namespace) -> dict:
    names = {f.name for f in fields(TrainConfig)}
    return {k: v for k, v in vars(args).items() if k in names}


def _cmd_train(args: argparse.Namespace) -> int:
    """``latte train``: train a model from the command line and ``--config`` (or continue one
    with ``--resume``), on ``--nproc`` MPI processes when asked; returns the exit status."""
    from latte.cli import parallel
    from latte.cli.config import merge
    from latte.cli.runner import run_train
    if args.nproc is not None and args.nproc < 1:
        raise ValueError(f"--nproc must be at least 1 (got {args.nproc})")
    if (args.nproc or 1) > 1 and parallel.launched_world_size() == 1:
        return parallel.relaunch(args.nproc, args.argv)
    if args.resume:
        from latte.train import load_checkpoint
        run_dir: Path | None = Path(args.resume)
        saved = load_checkpoint(run_dir / "last.pt").get("config") or {}
        cli = {k: v for k, v in _train_cli_values(args).items() if v is not None}
        cfg = merge({**saved, **cli}, args.config)
    else:
        run_dir, cfg = None, merge(_train_cli_values(args), args.config)
    procs = parallel.start(args.nproc)
    try:
        run_train(cfg, run_dir, resume=args.resume is not None, processes=procs)
    except BaseException as e:
        if procs.world_size == 1:
            raise
        # the other processes may be waiting for this one in a collective: end them all
        if isinstance(e, _EXPECTED + (KeyboardInterrupt,)):
            print(f"latte train: error on process {procs.rank}: {e}", file=sys.stderr)
        else:
            traceback.print_exc()
        procs.abort(130 if isinstance(e, KeyboardInterrupt) else 2)
    procs.close()
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    """``latte eval CHECKPOINT``: test accuracy and loss of a saved run (``--json`` for a
    machine-readable line)."""
    from latte.cli.runner import evaluate_checkpoint
    log = (lambda s: print(s, file=sys.stderr)) if args.json else print
    r = evaluate_checkpoint(args.checkpoint, args.data_dir, args.batch_size, args.limit_batches,
                            log=log, tta=args.tta)
    if args.json:
        print(json.dumps(r))
        return 0
    print(f"{r['checkpoint']} (epoch {r['epoch']}, {r['model']})\n  data: {r['dataset']}\n"
          f"  test accuracy {r['test_acc']:.2%}  loss {r['test_loss']:.4f}"
          + (f"  top-5 {r['test_top5']:.2%}" if "test_top5" in r else "")
          + (f"  (tta {r['tta']}; {r['test_acc_no_tta']:.2%} without)" if "tta" in r else "")
          + f"  ({r['examples']:,} examples)")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    """``latte sweep --grid k=v1,v2 ...``: one training run per point of the grid, under one
    folder."""
    from latte.cli.config import merge
    from latte.cli.sweep import parse_grid, run_sweep
    grid = parse_grid(args.grid)
    base = merge(_train_cli_values(args), args.config)
    run_sweep(base, grid, Path(base.out) / (base.name or "sweep"))
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    """``latte plot RUN_DIR``: draw a run's curves (and, with its data, its predictions) into
    ``RUN_DIR/plots``."""
    from latte.cli.runner import make_plots, model_from_checkpoint
    run_dir = Path(args.run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"no run folder at {run_dir}")
    ckpt = run_dir / "best.pt" if (run_dir / "best.pt").exists() else run_dir / "last.pt"
    try:
        model, _, bundle, _ = model_from_checkpoint(ckpt, args.data_dir)
    except DatasetMissing as e:
        print(f"Data set unavailable, plotting without it: {e}", file=sys.stderr)
        model, bundle = None, None
    if model is None:
        from latte.train import History, plots
        written = [str(p) for p in plots.plot_history(History.load(run_dir), run_dir / "plots")]
    else:
        written = make_plots(run_dir, model, bundle)
    print("\n".join(written) if written else "nothing plotted")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    """``latte run SCRIPT.py``: run an unchanged PyTorch script on Latte (``--check`` lists what
    it uses that Latte lacks)."""
    from latte.compat.runner import main as run_script
    options = ["--check"] if args.check else []
    options += ["--nproc", str(args.nproc)] if args.nproc is not None else []
    return run_script([*options, args.script, *args.script_args])


def _cmd_export(args: argparse.Namespace) -> int:
    """``latte export CHECKPOINT --onnx FILE``: write a saved model as an ONNX file."""
    from latte.cli.runner import export_checkpoint
    export_checkpoint(args.checkpoint, args.onnx, args.opset)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``latte`` script; returns the exit status."""
    parser = build_parser()
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw[:1] == ["run"] and len(raw) > 1 and raw[1] not in ("-h", "--help"):
        # `latte run [--nproc N] [--check] SCRIPT.py args...`: everything after the script
        # belongs to the script, even options such as --help
        from latte.compat.runner import main as run_script
        return run_script(raw[1:])
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["train", *(argv if argv is not None else sys.argv[1:])])
    args.argv = raw  # what --nproc relaunches under mpiexec
    handlers = {"train": _cmd_train, "eval": _cmd_eval, "sweep": _cmd_sweep, "plot": _cmd_plot,
                "run": _cmd_run, "export": _cmd_export}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except _EXPECTED as e:
        print(f"latte {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
