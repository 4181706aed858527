"""``python -m latte.distributed.run``: torchrun's command line, on MPI.

``python -m latte.distributed.run --nproc-per-node 2 train.py --epochs 3`` starts two processes
of ``train.py`` under ``latte run`` (``torch`` resolved to Latte) with ``RANK``,
``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT`` set,
as torchrun sets them. One node only: ``--nnodes`` must be 1. The elastic options
(``--max-restarts``, ``--rdzv-*``, ``--monitor-interval``) are accepted and have no effect.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from latte.distributed.launch import DEFAULT_MASTER_PORT, free_port, run_torch_script

__all__ = ["get_args_parser", "main"]


def _both(parser: argparse.ArgumentParser | argparse._ArgumentGroup, name: str,
          **kwargs: object) -> None:
    """An option under torchrun's two spellings, ``--nproc-per-node`` and ``--nproc_per_node``."""
    parser.add_argument(f"--{name}", f"--{name.replace('-', '_')}", **kwargs)


def get_args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m latte.distributed.run",
                                description="torchrun for Latte: start N processes of a "
                                            "PyTorch script on this machine, over MPI.")
    _both(p, "nproc-per-node", default="1",
          help="processes to start: a number, or 'cpu'/'auto' for one per CPU core")
    p.add_argument("--nnodes", default="1", help="must be 1 (or 1:1): Latte launches one node")
    _both(p, "node-rank", type=int, default=0, help="must be 0")
    p.add_argument("--standalone", action="store_true",
                   help="one node, a free port picked for MASTER_PORT")
    _both(p, "master-addr", default="127.0.0.1", help="MASTER_ADDR (default 127.0.0.1)")
    _both(p, "master-port", type=int, default=None,
          help=f"MASTER_PORT (default {DEFAULT_MASTER_PORT}; a free one with --standalone)")
    for name in ("rdzv-backend", "rdzv-endpoint", "rdzv-id", "rdzv-conf", "max-restarts",
                 "monitor-interval", "start-method", "log-dir", "redirects", "tee",
                 "local-addr"):
        _both(p, name, default=None, help=argparse.SUPPRESS)
    p.add_argument("training_script", help="the script to run")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p


def _nproc(value: str) -> int:
    if value in ("cpu", "auto", "gpu"):
        return os.cpu_count() or 1
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"--nproc-per-node: expected a number or 'cpu'/'auto', got "
                         f"{value!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse torchrun's arguments and run the script; returns the job's exit status."""
    args = get_args_parser().parse_args(argv)
    if args.nnodes not in ("1", "1:1") or args.node_rank != 0:
        print(f"latte.distributed.run: one node only (--nnodes 1), got --nnodes {args.nnodes} "
              f"--node-rank {args.node_rank}; across machines start the job with mpiexec "
              "(mpiexec -n N -hosts ... latte run script.py)", file=sys.stderr)
        return 2
    if args.master_port is not None:
        port = args.master_port
    else:
        port = free_port() if args.standalone else DEFAULT_MASTER_PORT
    return run_torch_script(_nproc(args.nproc_per_node), args.training_script,
                            args.training_script_args, master_addr=args.master_addr,
                            master_port=port)


if __name__ == "__main__":
    sys.exit(main())
