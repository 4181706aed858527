"""What the experiment scripts share: their command line and the one-factor-at-a-time runner."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

from latte.cli.config import TrainConfig
from latte.cli.sweep import run_variants


def parser(doc: str, out: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(doc.splitlines()[1:]))
    p.add_argument("--quick", action="store_true",
                   help="a few batches per run, to check that everything works")
    p.add_argument("--data-dir", help="folder holding the data sets (default $LATTE_DATA)")
    p.add_argument("--out", default=out, help=f"where runs and tables go (default {out})")
    p.add_argument("--epochs", type=int, help="override the number of epochs of every run")
    p.add_argument("--only", nargs="*", help="run only these variants (names as in the table)")
    return p


def run(base: TrainConfig, variants: list[tuple[str, dict[str, Any]]],
        args: argparse.Namespace, log: Any = print) -> list[dict[str, Any]]:
    """Run ``variants`` around ``base``; ``--quick`` shrinks every run to 2 batches."""
    base = dataclasses.replace(base, data_dir=args.data_dir, progress=False)
    if args.epochs:
        base.epochs = args.epochs
    if args.quick:
        base = dataclasses.replace(base, epochs=1, limit_batches=2, plots=False)
    if args.epochs or args.quick:  # the override holds for variants with epochs of their own
        variants = [(n, {k: v for k, v in o.items() if k != "epochs"}) for n, o in variants]
    if args.only:
        variants = [v for v in variants if v[0] in args.only]
    keys = ["run"] + sorted({k for _, o in variants for k in o})
    rows = run_variants(base, variants, Path(args.out), keys, log)
    return rows
