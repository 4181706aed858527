"""Progress bars for training: tqdm when it is installed, a plain one-line report otherwise."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

__all__ = ["progress"]


def progress(iterable: Iterable, total: int | None = None, desc: str = "",
             enabled: bool = True, file: TextIO | None = None) -> Any:
    """Wrap ``iterable`` in a bar whose ``set_postfix(loss=..., acc=...)`` shows running values.

    Uses ``tqdm`` when installed (``pip install tqdm``); otherwise ``PlainProgress`` prints a
    line at every tenth of the way, which also reads well in log files.

    Example::

        >>> bar = progress(loader, desc="epoch 1")  # doctest: +SKIP
        >>> for x, y in bar:  # doctest: +SKIP
        ...     bar.set_postfix(loss=f"{loss:.3f}")
    """
    if not enabled:
        return PlainProgress(iterable, total, desc, file=None)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return PlainProgress(iterable, total, desc, file or sys.stderr)
    return tqdm(iterable, total=total, desc=desc, leave=False, file=file, dynamic_ncols=True)


class PlainProgress:
    """The fallback bar: ``desc  40/400  loss=0.31 acc=0.91  3.2s`` every tenth of the way."""

    def __init__(self, iterable: Iterable, total: int | None, desc: str,
                 file: TextIO | None) -> None:
        self.iterable, self.desc, self.file = iterable, desc, file
        self.total = total if total is not None else _len(iterable)
        self.postfix = ""

    def set_postfix(self, **values: Any) -> None:
        self.postfix = " ".join(f"{k}={v}" for k, v in values.items())

    def __iter__(self) -> Iterator:
        start = time.perf_counter()
        every = max((self.total or 0) // 10, 1)
        for i, item in enumerate(self.iterable, 1):
            yield item
            if self.file is not None and (i % every == 0 or i == self.total):
                print(f"{self.desc}  {i}/{self.total or '?'}  {self.postfix}  "
                      f"{time.perf_counter() - start:.1f}s", file=self.file, flush=True)

    def close(self) -> None:
        pass


def _len(iterable: Iterable) -> int | None:
    try:
        return len(iterable)  # type: ignore[arg-type]
    except TypeError:
        return None
