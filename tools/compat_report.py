"""Run the PyTorch-compatibility corpus under Latte's runner and print a table.

For each script in ``tests/compat/scripts``: whether it runs under ``python -m latte.compat``,
whether it runs under real PyTorch (when installed) from the same initial weights, and the
largest relative difference ``|latte - torch| / max(1, |torch|)`` over the losses and weight
checksums it dumps.

Usage: ``python tools/compat_report.py [--no-torch] [SCRIPT ...]``
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "compat"))
from _compat_corpus import (  # noqa: E402
    CORPUS,
    TOLERANCE,
    make_data_root,
    mnist_available,
    run_case,
    torch_available,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scripts", nargs="*", help="script names (default: the whole corpus)")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch comparison")
    args = parser.parse_args(argv)
    cases = [c for c in CORPUS if not args.scripts or c.script in args.scripts]
    with_torch = torch_available() and not args.no_torch
    failures = 0
    print(f"{'script':28s} {'latte':6s} {'torch':6s} {'max diff':>10s}  where")
    with tempfile.TemporaryDirectory() as tmp:
        root = make_data_root(Path(tmp) / "data")
        for case in cases:
            if case.needs_mnist and not mnist_available(root):
                print(f"{case.script:28s} {'skip':6s} (MNIST files not present)")
                continue
            r = run_case(case, Path(tmp) / case.script.removesuffix(".py"), with_torch)
            ok = r["latte_ok"] and r["torch_ok"] is not False and (
                r["max_diff"] is None or r["max_diff"] < TOLERANCE)
            failures += not ok
            torch_col = "-" if r["torch_ok"] is None else ("ok" if r["torch_ok"] else "FAIL")
            diff = "-" if r["max_diff"] is None else f"{r['max_diff']:.2e}"
            print(f"{case.script:28s} {'ok' if r['latte_ok'] else 'FAIL':6s} {torch_col:6s} "
                  f"{diff:>10s}  {r.get('where', '')}", flush=True)
            if not r["latte_ok"]:
                print("    " + r["latte_log"].strip().splitlines()[-1])
    print(f"\n{len(cases) - failures}/{len(cases)} pass (tolerance {TOLERANCE:g} relative)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
