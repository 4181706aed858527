"""``latte`` CLI with a SIGKILL at a chosen point: ``python _kill_hook.py train ARGS...``.

``LATTE_KILL_AT=POINT:N[@RANK]`` picks where this process kills itself (``@RANK``: only in that
MPI rank; every rank counts alike since replicas take the same path):

- ``update:N``     inside the N-th parameter update of an optimizer step (a step half-done)
- ``write:N``      halfway through writing the N-th ``latte.save`` archive (a torn checkpoint)
- ``replace:N``    after the N-th checkpoint is complete on disk, before its ``os.replace``
- ``replaced:N``   just after the N-th ``os.replace`` (``best.pt`` written, ``last.pt`` not yet)
- ``validate:N``   after the first batch of the N-th validation pass

``LATTE_KEEP_EPOCHS=1`` copies each ``last.pt`` to ``last-epochE.pt`` as it is written, so a test
can compare what an interrupted run left with the uninterrupted run's checkpoint of that epoch.
"""
from __future__ import annotations

import io
import os
import shutil
import signal
import sys
from pathlib import Path

import latte
import latte.serialization
import latte.train.checkpoint as checkpoint
import latte.train.loop as loop
from latte.cli.main import main


def _rank() -> str:
    return os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", "0"))


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _counter(n: int):
    count = [0]

    def due() -> bool:
        count[0] += 1
        return count[0] == n
    return due


def _install(point: str, n: int) -> None:
    due = _counter(n)
    if point == "update":
        import latte.cli.runner as runner
        original_build = runner.build_optimizer

        def build_optimizer(cfg, model):
            opt = original_build(cfg, model)
            update = opt._update

            def killing_update(*args, **kwargs):
                update(*args, **kwargs)
                if due():
                    _die()
            opt._update = killing_update
            return opt
        runner.build_optimizer = build_optimizer
    elif point == "write":
        write = latte.serialization._write_archive

        def torn_write(f, *args, **kwargs):
            buffer = io.BytesIO()
            write(buffer, *args, **kwargs)
            if due():
                data = buffer.getvalue()
                f.write(data[:len(data) // 2])
                f.flush()
                os.fsync(f.fileno())
                _die()
            f.write(buffer.getvalue())
        latte.serialization._write_archive = torn_write
    elif point in ("replace", "replaced"):
        replace = os.replace

        def killing_replace(src, dst):
            if point == "replace" and due():
                _die()
            replace(src, dst)
            if point == "replaced" and due():
                _die()
        checkpoint.os.replace = killing_replace  # checkpoint.os is the os module
    elif point == "validate":
        evaluate = loop.evaluate

        def killing_evaluate(model, loader, *args, **kwargs):
            if not due():
                return evaluate(model, loader, *args, **kwargs)

            def first_batch_then_die():
                for batch in loader:
                    yield batch
                    _die()
            return evaluate(model, first_batch_then_die(), *args, **kwargs)
        loop.evaluate = killing_evaluate
    else:
        raise SystemExit(f"unknown kill point {point!r}")


def _keep_epochs() -> None:
    save = checkpoint.save_atomic

    def keeping_save(obj, path):
        out = save(obj, path)
        if Path(path).name == "last.pt":
            shutil.copyfile(out, Path(path).with_name(f"last-epoch{obj['epoch']}.pt"))
        return out
    loop.save_atomic = keeping_save


if __name__ == "__main__":
    spec = os.environ.get("LATTE_KILL_AT", "")
    if spec:
        where, _, rank = spec.partition("@")
        point, _, n = where.partition(":")
        if not rank or rank == _rank():
            _install(point, int(n))
    if os.environ.get("LATTE_KEEP_EPOCHS"):
        _keep_epochs()
    sys.exit(main(sys.argv[1:]))
