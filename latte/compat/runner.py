"""``latte run SCRIPT.py [args...]``: run an unmodified PyTorch script on Latte."""
from __future__ import annotations

import os
import runpy
import sys

from latte.compat import install, uninstall

__all__ = ["main", "run_script"]

_USAGE = "usage: latte run SCRIPT.py [args...]   (or: python -m latte.compat SCRIPT.py ...)"


def run_script(path: str, args: list[str] | None = None) -> dict:
    """Run the script at ``path`` as ``__main__`` with ``sys.argv = [path, *args]``.

    ``torch`` and ``torchvision`` resolve to Latte while it runs; ``sys.argv``, ``sys.path``
    and the import hook are restored afterwards. Returns the script's globals.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"latte run: no such script: {path}")
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [path, *(args or [])]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))  # as `python SCRIPT.py` does
    install()
    try:
        return runpy.run_path(path, run_name="__main__")
    finally:
        uninstall()
        sys.argv, sys.path[:] = saved_argv, saved_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``argv`` is ``[SCRIPT.py, *args]``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    try:
        run_script(argv[0], argv[1:])
    except FileNotFoundError as e:
        if e.filename is None and str(e).startswith("latte run:"):
            print(e, file=sys.stderr)
            return 2
        raise
    except SystemExit as e:  # argparse and sys.exit() inside the script
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    return 0
