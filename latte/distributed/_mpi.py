"""The one place that touches mpi4py: a lazy import, dtype mapping and request polling.

mpi4py is an optional extra (``pip install latte[distributed]``): importing ``latte.distributed``
never imports it, and the first call that needs MPI raises a clear error when it is missing.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

INSTALL_HINT = ("latte.distributed needs mpi4py and an MPI library: "
                "pip install latte[distributed]  (brings mpi4py and the MPICH wheel with mpiexec)")

_MPI: Any = None


def is_available() -> bool:
    """Whether mpi4py can be imported (importing the package does not yet initialise MPI)."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def mpi() -> Any:
    """The ``mpi4py.MPI`` module; importing it initialises MPI."""
    global _MPI
    if _MPI is None:
        try:
            import mpi4py
        except ImportError as err:
            raise RuntimeError(INSTALL_HINT) from err
        # one thread calls MPI; finalising at exit is left to mpi4py's atexit hook
        mpi4py.rc.threads = False
        from mpi4py import MPI
        _MPI = MPI
    return _MPI


def reduce_op(name: str) -> Any:
    """The MPI operation for a ``ReduceOp`` name (``AVG`` is ``SUM`` then a division)."""
    MPI = mpi()
    return {"SUM": MPI.SUM, "AVG": MPI.SUM, "PRODUCT": MPI.PROD, "MIN": MPI.MIN,
            "MAX": MPI.MAX, "BAND": MPI.BAND, "BOR": MPI.BOR, "BXOR": MPI.BXOR}[name]


def wait(request: Any, timeout: float, what: str) -> None:
    """Complete ``request``, raising ``RuntimeError`` after ``timeout`` seconds.

    Polling ``Test`` (rather than a blocking ``Wait``) is what lets a job whose peer died or
    diverged fail with a message instead of hanging; short sleeps after a burst of spins keep an
    idle rank from stealing the CPU of a busy one on a shared machine.
    """
    if request.Test():
        return
    deadline = time.monotonic() + timeout
    spins = 0
    while not request.Test():
        spins += 1
        if spins > 2000:
            time.sleep(min(1e-3, 1e-6 * (spins - 2000)))
            if time.monotonic() > deadline:
                raise RuntimeError(f"latte.distributed: {what} did not complete within "
                                   f"{timeout:.0f} s; a peer process probably failed or called a "
                                   f"different collective")


def contiguous(array: np.ndarray) -> tuple[np.ndarray, bool]:
    """A C-contiguous array MPI can read and write, and whether it is a copy to write back."""
    if array.flags.c_contiguous and array.flags.writeable:
        return array, False
    return np.ascontiguousarray(array), True
