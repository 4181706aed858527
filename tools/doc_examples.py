"""Run the examples of PyTorch's own docstrings under PyTorch and under Latte, and list the
differences: a probe of the API as PyTorch documents it, beside the compat corpus.

    python tools/doc_examples.py                 # every namespace, a table of differences
    python tools/doc_examples.py --only torch.nn.functional --show 40

Each docstring's ``>>>`` examples run in order in one namespace, once in a PyTorch process and
once in a Latte process (``latte.compat`` maps ``import torch`` to Latte). The random creators
(``torch.randn``, ``rand``, ``randint``, ``randperm`` and their ``_like`` forms) draw from one
NumPy generator seeded by the docstring's name in both, so values can be compared; modules'
random initial weights and random sampling still differ, and are counted apart. Needs PyTorch
installed; nothing here is imported by the library or the tests.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import doctest
import importlib
import inspect
import io
import json
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import warnings
import zlib
from typing import Any

import numpy as np

# the documented namespaces probed; torch.fft needs complex tensors, which Latte lacks
NAMESPACES = ("torch", "torch.Tensor", "torch.nn", "torch.nn.functional", "torch.nn.init",
              "torch.nn.utils", "torch.nn.utils.rnn", "torch.linalg", "torch.special",
              "torch.distributions", "torch.optim", "torch.optim.lr_scheduler",
              "torch.utils.data", "torch.autograd", "torch.autograd.functional", "torch.func",
              "torch.sparse", "torch.testing")
# words in an example that make its values depend on random state the harness does not share
_RANDOM_WORDS = ("nn.", "dropout", "Dropout", "sample", "rsample", "normal_", "uniform_",
                 "bernoulli", "multinomial", "poisson", "random_", "exponential_", "init.")


def extract(namespaces: tuple[str, ...]) -> list[dict]:
    """The examples of every public docstring in ``namespaces`` (a PyTorch process)."""
    import torch
    parser = doctest.DocTestParser()
    blocks, seen = [], set()
    for ns in namespaces:
        owner = torch.Tensor if ns == "torch.Tensor" else importlib.import_module(ns)
        for name in sorted(dir(owner)):
            if name.startswith("_"):
                continue
            obj = getattr(owner, name, None)
            doc = getattr(obj, "__doc__", None)
            if not isinstance(doc, str) or ">>>" not in doc or id(doc) in seen:
                continue
            if inspect.ismodule(obj):
                continue
            seen.add(id(doc))
            try:
                examples = parser.get_examples(inspect.cleandoc(doc) if "\n " in doc else doc)
            except ValueError:
                continue
            if examples:
                blocks.append({"name": f"{ns}.{name}",
                               "examples": [[e.source, e.want] for e in examples]})
    return blocks


def _seeded_random(torch: Any, rng: np.random.Generator) -> dict[str, Any]:
    """Replacements for the random creators that both frameworks answer alike."""

    def shape_of(size: tuple) -> tuple:
        if len(size) == 1 and isinstance(size[0], (tuple, list)) or (
                len(size) == 1 and type(size[0]).__name__ == "Size"):
            return tuple(size[0])
        return tuple(int(s) for s in size)

    def make(array: np.ndarray, kwargs: dict, default_float: bool = True) -> Any:
        dtype = kwargs.get("dtype")
        if dtype is None and default_float:
            dtype = torch.get_default_dtype()
        out = torch.tensor(array, dtype=dtype) if dtype is not None else torch.tensor(array)
        if kwargs.get("requires_grad"):
            out.requires_grad_(True)
        return out

    def randn(*size: Any, **kwargs: Any) -> Any:
        return make(rng.standard_normal(shape_of(size)), kwargs)

    def rand(*size: Any, **kwargs: Any) -> Any:
        return make(rng.random(shape_of(size)), kwargs)

    def randint(*args: Any, **kwargs: Any) -> Any:
        args = list(args)
        size = kwargs.pop("size", None)
        if size is None:
            size = args.pop()
        low, high = (0, args[0]) if len(args) == 1 else (args[0], args[1])
        low, high = kwargs.pop("low", low), kwargs.pop("high", high)
        kwargs.setdefault("dtype", torch.int64)
        return make(rng.integers(low, high, tuple(size)), kwargs)

    def randperm(n: int, **kwargs: Any) -> Any:
        kwargs.setdefault("dtype", torch.int64)
        return make(rng.permutation(int(n)), kwargs)

    def like(fn: Any) -> Any:
        def sampled(t: Any, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("dtype", t.dtype)
            return fn(*args, tuple(t.shape), **kwargs) if fn is randint else fn(tuple(t.shape),
                                                                                 **kwargs)
        return sampled

    return {"randn": randn, "rand": rand, "randint": randint, "randperm": randperm,
            "randn_like": like(randn), "rand_like": like(rand), "randint_like": like(randint)}


def summarise(value: Any, depth: int = 0) -> Any:
    """A framework-free picture of a value: tensors become (shape, dtype, array, repr)."""
    if depth > 4:
        return ("deep",)
    kind = type(value).__name__
    if hasattr(value, "detach") and hasattr(value, "shape") and hasattr(value, "dtype"):
        try:
            if getattr(value, "is_sparse", False) or getattr(value, "layout", None) is not None \
                    and "sparse" in str(getattr(value, "layout", "")):
                value = value.to_dense()
            array = value.detach().cpu().numpy()
        except Exception as exc:  # noqa: BLE001 - record, never stop the run
            array = f"unreadable: {type(exc).__name__}"
        return ("tensor", tuple(int(s) for s in value.shape), str(value.dtype).split(".")[-1],
                array, bool(getattr(value, "requires_grad", False)), repr(value))
    if isinstance(value, (bool, int, float, str, type(None))):
        return ("scalar", value)
    if kind == "Size":
        return ("size", tuple(int(s) for s in value))
    if kind == "dtype":
        return ("dtype", str(value).split(".")[-1])
    if isinstance(value, (tuple, list)):
        return ("seq", [summarise(v, depth + 1) for v in value])
    if isinstance(value, dict):
        return ("dict", {str(k): summarise(v, depth + 1) for k, v in value.items()})
    if isinstance(value, np.ndarray):
        return ("ndarray", value.shape, str(value.dtype), value)
    return ("object", kind)


def _timeout(signum: int, frame: Any) -> None:
    raise TimeoutError("example ran over 20 s")


def run(framework: str, blocks: list[dict]) -> list[list]:
    """Each example's outcome: ("ok", summary or None) or ("error", type, message)."""
    if framework == "latte":
        import latte.compat
        latte.compat.install()
    import torch
    warnings.simplefilter("ignore")
    signal.signal(signal.SIGALRM, _timeout)
    results = []
    saved = dict(vars(torch))
    for block in blocks:
        # an example may change global state (the default dtype or device, torch's names)
        vars(torch).update(saved)
        torch.set_default_dtype(torch.float32)
        with contextlib.suppress(Exception):
            torch.set_default_device(None)
        rng = np.random.default_rng(zlib.crc32(block["name"].encode()))
        for name, fn in _seeded_random(torch, rng).items():
            setattr(torch, name, fn)
        torch.manual_seed = lambda seed, _rng=rng: np.random.default_rng(seed)
        namespace = {"torch": torch, "np": np, "numpy": np}
        with contextlib.suppress(Exception):
            namespace.update(nn=torch.nn, F=torch.nn.functional)
        outcomes = []
        for source, _want in block["examples"]:
            signal.alarm(20)
            try:
                with contextlib.redirect_stdout(io.StringIO()) as printed:
                    try:
                        code = compile(source, "<example>", "eval")
                    except SyntaxError:
                        exec(compile(source, "<example>", "exec"), namespace)
                        value = None
                    else:
                        value = eval(code, namespace)
                outcomes.append(["ok", summarise(value), printed.getvalue()[:2000]])
            except BaseException as exc:  # noqa: BLE001 - an example may raise anything
                outcomes.append(["error", type(exc).__name__, str(exc)[:300]])
            finally:
                signal.alarm(0)
        results.append(outcomes)
    return results


def same(a: Any, b: Any) -> str | None:
    """None when two summaries agree, else what differs."""
    if a[0] != b[0]:
        return f"kind {a[0]} vs {b[0]}"
    if a[0] == "tensor":
        if a[1] != b[1]:
            return f"shape {a[1]} vs {b[1]}"
        if a[2] != b[2]:
            return f"dtype {a[2]} vs {b[2]}"
        if isinstance(a[3], str) or isinstance(b[3], str):
            return None if a[3] == b[3] else f"{a[3]} vs {b[3]}"
        if a[3].dtype.kind in "fc" or b[3].dtype.kind in "fc":
            if not np.allclose(a[3].astype(float), b[3].astype(float), rtol=1e-4, atol=1e-5,
                               equal_nan=True):
                return "values"
        elif not np.array_equal(a[3], b[3]):
            return "values"
        if a[4] != b[4]:
            return f"requires_grad {a[4]} vs {b[4]}"
        return None
    if a[0] == "seq":
        if len(a[1]) != len(b[1]):
            return f"length {len(a[1])} vs {len(b[1])}"
        for x, y in zip(a[1], b[1]):
            if (why := same(x, y)) is not None:
                return why
        return None
    if a[0] == "dict":
        if a[1].keys() != b[1].keys():
            return "keys"
        for k in a[1]:
            if (why := same(a[1][k], b[1][k])) is not None:
                return f"[{k}] {why}"
        return None
    if a[0] == "scalar" and isinstance(a[1], float) and isinstance(b[1], (int, float)):
        return None if np.isclose(a[1], b[1], rtol=1e-4, equal_nan=True) else "value"
    if a[0] == "ndarray":
        return None if a[1] == b[1] and np.allclose(a[3], b[3], equal_nan=True) else "ndarray"
    return None if a[1:] == b[1:] else f"{a[1:]!r:.80} vs {b[1:]!r:.80}"


def compare(blocks: list[dict], torch_out: list, latte_out: list) -> list[dict]:
    """One row per example where Latte differs from PyTorch (PyTorch's errors are skipped)."""
    rows = []
    for block, t_block, l_block in zip(blocks, torch_out, latte_out):
        for (source, _), t, lt in zip(block["examples"], t_block, l_block):
            if t[0] == "error":
                continue  # PyTorch itself fails (a missing file, an example that raises)
            random = any(w in source for w in _RANDOM_WORDS)
            if lt[0] == "error":
                rows.append({"name": block["name"], "source": source, "kind": "raises",
                             "why": f"{lt[1]}: {lt[2]}"})
                break  # later examples of the block depend on this one
            why = same(t[1], lt[1])
            if why is not None:
                kind = "random" if random and why in ("values",) else "differs"
                rows.append({"name": block["name"], "source": source, "kind": kind, "why": why})
            elif t[1][0] == "tensor" and t[1][5] != lt[1][5] and not random:
                rows.append({"name": block["name"], "source": source, "kind": "repr",
                             "why": f"{t[1][5]!r:.120} vs {lt[1][5]!r:.120}"})
    return rows


def _child(framework: str, blocks_path: str, out_path: str) -> None:
    with open(blocks_path) as f:
        blocks = json.load(f)
    with open(out_path, "wb") as f:
        pickle.dump(run(framework, blocks), f)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="namespaces to probe")
    parser.add_argument("--show", type=int, default=1000, help="rows to print")
    parser.add_argument("--json", help="write every difference to this file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    namespaces = tuple(args.only) if args.only else NAMESPACES
    with tempfile.TemporaryDirectory() as tmp:
        blocks_path = os.path.join(tmp, "blocks.json")
        with open(blocks_path, "w") as f:
            json.dump(extract(namespaces), f)
        outs = {}
        for framework in ("torch", "latte"):
            out_path = os.path.join(tmp, framework + ".pkl")
            subprocess.run([sys.executable, __file__, "--child", framework, blocks_path,
                            out_path], check=True, cwd=tmp)
            with open(out_path, "rb") as f:
                outs[framework] = pickle.load(f)
        with open(blocks_path) as f:
            blocks = json.load(f)
    rows = compare(blocks, outs["torch"], outs["latte"])
    counts = collections.Counter(r["kind"] for r in rows)
    total = sum(len(b["examples"]) for b in blocks)
    print(f"{len(blocks)} docstrings, {total} examples; Latte differs in {len(rows)}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for row in sorted(rows, key=lambda r: (r["kind"] != "raises", r["name"]))[:args.show]:
        source = row["source"].strip().replace("\n", " | ")
        print(f"[{row['kind']}] {row['name']}: {source[:100]}\n    {row['why'][:200]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
