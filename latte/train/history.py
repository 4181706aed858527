"""The per-epoch record of a run, written as ``history.csv`` and ``history.json``.

Each epoch is one row: a dict such as ``{"epoch": 1, "lr": 0.001, "train_loss": ...,
"train_acc": ..., "val_loss": ..., "val_acc": ..., "time": 3.2}``. Files are replaced
atomically, so a reader (or a crash) never sees half a file.
"""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

from latte.train import _atomic

__all__ = ["History", "write_text_atomic"]


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace``."""
    path = Path(path)
    _atomic.remove_stale_temps(path)
    tmp = _atomic.temp_path(path)
    try:
        tmp.write_text(text)
        _atomic.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class History:
    """A list of per-epoch rows with CSV and JSON export.

    Example::

        >>> h = History()
        >>> h.append({"epoch": 1, "train_loss": 0.3, "val_acc": 0.95})
        >>> h.column("val_acc")
        [0.95]
        >>> # runs/mlp/history.csv and runs/mlp/history.json
        >>> h.save("runs/mlp")  # doctest: +SKIP
    """

    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows: list[dict[str, Any]] = list(rows or [])

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(dict(row))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    @property
    def keys(self) -> list[str]:
        """Column names in first-seen order."""
        seen: dict[str, None] = {}
        for row in self.rows:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def column(self, key: str) -> list[Any]:
        return [row.get(key) for row in self.rows]

    def to_csv(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=self.keys, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return buf.getvalue()

    def save(self, run_dir: str | os.PathLike) -> None:
        """Write ``history.csv`` and ``history.json`` into ``run_dir``."""
        run_dir = Path(run_dir)
        write_text_atomic(run_dir / "history.csv", self.to_csv())
        write_text_atomic(run_dir / "history.json", json.dumps(self.rows, indent=1) + "\n")

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> History:
        """Read ``history.json`` from a run folder (or the file itself)."""
        path = Path(run_dir)
        if path.is_dir():
            path = path / "history.json"
        if not path.is_file():
            raise FileNotFoundError(f"no training history at {path}")
        return cls(json.loads(path.read_text()))

    def state_dict(self) -> dict[str, Any]:
        return {"rows": json.dumps(self.rows)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rows = json.loads(state["rows"])
