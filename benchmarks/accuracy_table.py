"""The float32 accuracy table (``make accuracy``): every case of ``tests/accuracy_cases.py``,
Latte's and PyTorch's error against a float64 evaluation, and their ratio.

    python benchmarks/accuracy_table.py            # all cases
    python benchmarks/accuracy_table.py --ci       # only the cases the test suite runs
    python benchmarks/accuracy_table.py -k norm    # cases whose name contains "norm"

Exits 1 when a ratio is above the bound (cases with a listed exception excepted).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from accuracy_cases import BOUND, CASES, evaluate, format_table  # noqa: E402

import latte  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ci", action="store_true", help="only the cases CI runs")
    parser.add_argument("-k", default="", help="only cases whose name contains this")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: no reference to compare with")
        return 0
    rows = []
    for case in CASES:
        if (args.ci and not case.ci) or args.k not in case.name:
            continue
        start = time.perf_counter()
        rows.append(evaluate(case, latte, torch))
        print(f"{case.name}: {time.perf_counter() - start:.2f}s", file=sys.stderr)
    print(format_table(rows))
    bad = [r["name"] for r in rows
           if max(r["ratio_fwd"], r["ratio_bwd"]) > BOUND and not r["exception"]]
    if bad:
        print(f"\nabove {BOUND}x PyTorch's error: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
