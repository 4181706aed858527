"""``latte sweep``: train over a grid of options, skip finished runs, tabulate the results."""
from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from latte.cli.config import TrainConfig
from latte.cli.runner import run_train
from latte.train.history import write_text_atomic
from latte.utils.tensorboard import SummaryWriter

__all__ = ["parse_grid", "run_sweep", "run_variants"]

_COLUMNS = ["test_acc", "test_loss", "best_val_acc", "epochs_run", "epoch_time_s"]


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """``["lr=0.1,0.01", "momentum=0,0.9"]`` -> ``{"lr": [0.1, 0.01], "momentum": [0.0, 0.9]}``."""
    types = {f.name: f.type for f in fields(TrainConfig)}
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        key = key.strip().lstrip("-").replace("-", "_")
        if not sep or not values:
            raise ValueError(f"--grid expects NAME=V1,V2,... (got {item!r})")
        if key not in types:
            raise ValueError(f"--grid {key}: unknown option; known options: "
                             f"{', '.join(sorted(types))}")
        grid[key] = [_convert(str(types[key]), v.strip(), key) for v in values.split(",")]
    return grid


def _convert(kind: str, value: str, key: str) -> Any:
    try:
        if "bool" in kind:
            if "str" in kind and value.lower() not in ("true", "false"):
                return value  # --augment: true/false or a mode
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return value.lower() in ("true", "1", "yes")
        if "int" in kind:
            return int(value)
        if "float" in kind:
            return float(value)
    except ValueError:
        raise ValueError(f"--grid {key}: {value!r} is not a valid {kind}") from None
    return value


def _run_name(values: dict[str, Any]) -> str:
    return "_".join(f"{k}={v}" for k, v in values.items()).replace("/", "-")


def run_sweep(base: TrainConfig, grid: dict[str, list[Any]], out: str | Path,
              log: Any = print) -> list[dict[str, Any]]:
    """Every combination of ``grid`` around ``base``; runs with ``results.json`` are skipped,
    runs with only ``last.pt`` resume. Writes ``results.md`` and ``results.csv`` in ``out``."""
    runs = [dict(zip(grid, combo)) for combo in itertools.product(*grid.values())]
    return run_variants(base, [(_run_name(r), r) for r in runs], out, list(grid), log)


def run_variants(base: TrainConfig, variants: list[tuple[str, dict[str, Any]]],
                 out: str | Path, keys: list[str] | None = None,
                 log: Any = print) -> list[dict[str, Any]]:
    """Train ``base`` changed by each ``(name, overrides)`` into ``out/name``, resumably.

    The table has one row per variant: ``keys`` (default: the run name) then the results.
    Experiments use it to vary one factor at a time around a base setting.
    """
    out = Path(out)
    keys = keys or ["run"]
    rows = []
    for i, (name, overrides) in enumerate(variants, 1):
        run_dir = out / name
        done = run_dir / "results.json"
        if done.exists():
            log(f"[{i}/{len(variants)}] {name}: finished before, skipped")
            summary = json.loads(done.read_text())
        else:
            log(f"[{i}/{len(variants)}] {name}")
            cfg = replace(base, **overrides).validate()
            summary = run_train(cfg, run_dir, resume=(run_dir / "last.pt").exists(), log=log)
            if summary.get("interrupted"):
                _write_tables(out, keys, rows)
                raise KeyboardInterrupt
        if base.tensorboard:
            _log_hparams(out, name, overrides, summary)
        values = {"run": name, **overrides}
        rows.append({**{k: values.get(k) for k in keys},
                     **{c: summary.get("epochs" if c == "epochs_run" else c)
                        for c in _COLUMNS}})
        _write_tables(out, keys, rows)
    log("\n" + _markdown(keys, rows))
    log(f"Tables: {out / 'results.md'} and {out / 'results.csv'}")
    return rows


def _log_hparams(out: Path, name: str, overrides: dict[str, Any], summary: dict) -> None:
    """One run of TensorBoard's HParams tab (``out/tensorboard``): the grid's values and the
    run's final metrics."""
    metrics = {f"hparam/{k}": summary[k] for k in ("test_acc", "test_loss", "best_val_acc")
               if isinstance(summary.get(k), (int, float))}
    with SummaryWriter(str(out / "tensorboard")) as writer:
        writer.add_hparams(dict(overrides), metrics, run_name=name)


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return ""
    if key.endswith("acc"):
        return f"{value:.2%}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _markdown(keys: list[str], rows: list[dict[str, Any]]) -> str:
    header = keys + _COLUMNS
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(k, r.get(k)) for k in header) + " |" for r in rows]
    return "\n".join(lines)


def _write_tables(out: Path, keys: list[str], rows: list[dict[str, Any]]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "results.md", _markdown(keys, rows) + "\n")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys + _COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / "results.csv", buf.getvalue())
