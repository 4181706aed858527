"""``latte run SCRIPT.py [args...]``: run an unmodified PyTorch script on Latte."""
from __future__ import annotations

import multiprocessing.spawn
import os
import runpy
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from latte.compat import install, uninstall
from latte.compat.checker import main as check_main
from latte.distributed.launch import run_torch_script, torchrun_environment

__all__ = ["main", "run_script"]

MAIN_PATH_VARIABLE = "LATTE_MP_MAIN_PATH"
_USAGE = ("usage: latte run [--nproc N] [--check] SCRIPT.py [args...]   (or: python -m "
          "latte.compat ...)\n"
          "  --nproc N  start N processes as torchrun does (RANK, LOCAL_RANK, WORLD_SIZE, ...)\n"
          "  --check    list the torch names SCRIPT uses that Latte lacks, without running it")


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
        with _children_start_with_the_hook():
            return runpy.run_path(path, run_name="__main__")
    finally:
        uninstall()
        sys.argv, sys.path[:] = saved_argv, saved_path


@contextmanager
def _children_start_with_the_hook() -> Iterator[None]:
    """Processes the script starts with ``spawn`` or ``forkserver`` (``torch.multiprocessing``)
    run ``latte.compat._mp_main`` as their main module: the import hook, then the script."""
    original: Callable = multiprocessing.spawn.get_preparation_data

    def preparation_data(name: str) -> dict:
        data = original(name)
        script = data.pop("init_main_from_path", None)
        if script is not None:
            # the child learns the script from its environment: run_module gives the main
            # module its own file as sys.argv[0]
            os.environ[MAIN_PATH_VARIABLE] = script
            data["init_main_from_name"] = "latte.compat._mp_main"
        return data

    multiprocessing.spawn.get_preparation_data = preparation_data
    try:
        yield
    finally:
        multiprocessing.spawn.get_preparation_data = original


def _options(argv: list[str]) -> tuple[int | None, bool, list[str]]:
    """``--nproc N`` and ``--check`` before the script; the rest is the script and its args."""
    nproc, check = None, False
    while argv and argv[0].startswith("--") and argv[0] != "--":
        option = argv.pop(0)
        if option == "--check":
            check = True
        elif option == "--nproc" or option.startswith("--nproc="):
            value = option.partition("=")[2] or (argv.pop(0) if argv else "")
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"--nproc expects a positive number of processes, got "
                                 f"{value!r}")
            nproc = int(value)
        else:
            raise ValueError(f"unknown option {option} (before the script; the script's own "
                             "options go after it)")
    if argv[:1] == ["--"]:
        argv.pop(0)
    return nproc, check, argv


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``argv`` is ``[--nproc N] [--check] SCRIPT.py *args``; returns the
    exit status. Under ``mpiexec`` the torchrun variables (``RANK``...) are set from MPI's."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(_USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    try:
        nproc, check, argv = _options(argv)
    except ValueError as e:
        print(f"latte run: {e}\n{_USAGE}", file=sys.stderr)
        return 2
    if not argv:
        print(_USAGE, file=sys.stderr)
        return 2
    if check:
        return check_main(argv[0])
    if nproc is not None:
        return run_torch_script(nproc, argv[0], argv[1:])
    os.environ.update(torchrun_environment())
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
