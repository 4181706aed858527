"""Atomic file replacement for run folders: a temporary file named after its writer, renamed
over the target once complete, and the clean-up of those a killed writer left behind."""
from __future__ import annotations

import os
import re
import socket
from pathlib import Path

__all__: list[str] = []

_HOST = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname()) or "host"


def temp_path(path: Path) -> Path:
    """``.NAME.HOST-PID.tmp`` beside ``path``: who writes it, so a later writer can tell a
    leftover of a dead process from a file another live process is writing."""
    return path.with_name(f".{path.name}.{_HOST}-{os.getpid()}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or a platform without signal 0: keep its file
        return True
    return True


def remove_stale_temps(path: Path) -> None:
    """Delete the temporary files of ``path`` left by processes of this host that died mid-write
    (a SIGKILL or a power cut skips every clean-up)."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.{re.escape(_HOST)}-(\d+)\.tmp")
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return
    for sibling in siblings:
        match = pattern.fullmatch(sibling.name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            sibling.unlink(missing_ok=True)


def replace(tmp: Path, path: Path) -> None:
    """``os.replace(tmp, path)``, then sync the folder so the rename itself survives a crash."""
    os.replace(tmp, path)
    if hasattr(os, "O_DIRECTORY"):  # POSIX: a folder's entries are synced through its fd
        fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
