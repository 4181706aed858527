"""Which rank of a job died first, for the launcher to say so.

When a rank is killed (SIGKILL, the out-of-memory killer) ``mpiexec`` stops every other rank at
once and reports a process id, often of a rank it stopped itself, never which rank failed. Under
``latte.distributed.launch`` each rank registers its pid in the folder ``$LATTE_RANK_DIR`` when
it joins the process group (and marks a clean interpreter exit there); the launcher watches
those pids and, when the job fails, names the ranks that ended first without a clean exit.
"""
from __future__ import annotations

import atexit
import os
import select
import threading
import time
from pathlib import Path

__all__: list[str] = []

ENV = "LATTE_RANK_DIR"
_POLL = 0.05  # seconds between looks for newly registered ranks


def register(rank: int) -> None:
    """Record this process as ``rank`` of a launcher-watched job (nothing outside one)."""
    folder = os.environ.get(ENV)
    if not folder or not os.path.isdir(folder):
        return
    path = Path(folder) / f"rank-{rank}"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(str(os.getpid()))
    os.replace(tmp, path)  # the watcher never reads half a pid
    atexit.register(lambda: path.with_suffix(".exit").touch())


class Watcher:
    """A thread that sees registered ranks end, in order: ``first_unclean()`` afterwards names
    the ranks that ended first without a clean exit (several when they ended together)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.ended: list[list[tuple[int, int]]] = []  # (rank, pid) per wake-up, in order
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="latte-rank-watch",
                                        daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        watched: dict[int, tuple[int, int | None]] = {}  # rank -> (pid, pidfd or None)
        while not self._stop.is_set():
            for path in self.folder.glob("rank-*[0-9]"):
                rank = int(path.name.split("-")[1])
                if rank not in watched:
                    pid = int(path.read_text())
                    watched[rank] = (pid, _pidfd(pid))
            ready = _ended(watched)
            if ready:
                self.ended.append([(rank, watched.pop(rank)[0]) for rank in ready])
                continue
            fds = [fd for _, fd in watched.values() if fd is not None]
            if fds:
                select.select(fds, [], [], _POLL)  # wakes the moment a watched rank ends
            else:
                time.sleep(_POLL)
        for _, fd in watched.values():
            if fd is not None:
                os.close(fd)

    def stop(self) -> None:
        """Look once more, then end the thread."""
        time.sleep(2 * _POLL)
        self._stop.set()
        self._thread.join(timeout=5)

    def first_unclean(self) -> list[tuple[int, int]]:
        """``(rank, pid)`` of the first ranks to end without a clean exit, [] when none did."""
        for batch in self.ended:
            unclean = [(r, p) for r, p in batch
                       if not (self.folder / f"rank-{r}.exit").exists()]
            if unclean:
                return sorted(unclean)
        return []


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` ends (Linux >= 5.3), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _ended(watched: dict[int, tuple[int, int | None]]) -> list[int]:
    ended = []
    for rank, (pid, fd) in watched.items():
        if fd is not None:
            if select.select([fd], [], [], 0)[0]:
                os.close(fd)
                ended.append(rank)
        elif not _alive(pid):
            ended.append(rank)
    return ended


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
