"""``repr(tensor)`` exactly as PyTorch prints it: ``tensor([[1., 2.]], requires_grad=True)``.

The layout follows PyTorch's ``torch/_tensor_str.py`` with its default print options: one
formatter picks a style for the whole tensor (``1.``, ``1.2500`` or ``1.2500e+08``) and a common
width, tensors of more than 1000 elements show their first and last 3 entries per dim around
``...``, and lines wrap at 80 characters.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from latte import backend, dtypes

_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80
_SCI_MODE: bool | None = None  # None: chosen from the values, as PyTorch's formatter does

# set_printoptions(profile=...): (precision, threshold, edgeitems, linewidth), PyTorch's values
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, math.inf, 3, 80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print: digits, when to summarise, items per edge, line width, notation.

    Args:
        precision: digits after the point for floating values (default 4).
        threshold: tensors of more elements print summarised with ``...`` (default 1000).
        edgeitems: items shown at each end of a summarised dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``'default'``, ``'short'`` (precision 2, edgeitems 2) or ``'full'`` (never
            summarise) set the four options above first; the others then override them.
        sci_mode: ``True`` forces scientific notation, ``False`` fixed notation; ``None``
            (which every call without it restores, as in PyTorch) picks it from the values.

    Example::

        >>> latte.set_printoptions(precision=2)
        >>> latte.tensor([1.12345])
        tensor([1.12])
        >>> latte.set_printoptions(threshold=5)
        >>> latte.arange(10)
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> latte.set_printoptions(profile="default")
        >>> latte.tensor([1.12345])
        tensor([1.1235])
    """
    global _PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH, _SCI_MODE
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of "
                             f"{sorted(_PROFILES)}")
        _PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        _PRECISION = precision
    if threshold is not None:
        _THRESHOLD = threshold
    if edgeitems is not None:
        _EDGEITEMS = edgeitems
    if linewidth is not None:
        _LINEWIDTH = linewidth
    _SCI_MODE = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keywords that :func:`set_printoptions` accepts.

    Example::

        >>> latte._tensor_str.get_printoptions()["precision"]
        4
    """
    return {"precision": _PRECISION, "threshold": _THRESHOLD, "edgeitems": _EDGEITEMS,
            "linewidth": _LINEWIDTH, "sci_mode": _SCI_MODE}


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Set print options (the keywords of :func:`set_printoptions`) inside a ``with`` block.

    Example::

        >>> with latte._tensor_str.printoptions(precision=1):
        ...     print(latte.tensor([1.25]))
        tensor([1.2])
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """One number style and width for every element, chosen from the (summarised) values."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(str(v)))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        magnitudes = np.abs(finite)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4) if _SCI_MODE is None \
            else bool(_SCI_MODE)
        if self.sci_mode:
            strs = [f"{v:.{_PRECISION}e}" for v in finite.tolist()]
        elif self.int_mode:
            strs = [f"{v:.0f}" + " " for v in finite.tolist()]  # room for the "."
        else:
            strs = [f"{v:.{_PRECISION}f}" for v in finite.tolist()]
        self.max_width = max(self.max_width, max(len(s) for s in strs))

    def format(self, value: Any) -> str:
        if self.floating:
            if self.sci_mode:
                text = f"{value:{self.max_width}.{_PRECISION}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{_PRECISION}f}"
        else:
            text = str(value)
        return " " * (self.max_width - len(text)) + text


def _summarized(data: np.ndarray) -> np.ndarray:
    """Only the values that will be printed: the first and last 3 along every long dim."""
    if data.ndim == 0:
        return data
    if data.ndim == 1:
        if data.shape[0] > 2 * _EDGEITEMS:
            return np.concatenate((data[:_EDGEITEMS], data[-_EDGEITEMS:]))
        return data
    rows = range(data.shape[0])
    if data.shape[0] > 2 * _EDGEITEMS:
        rows = list(range(_EDGEITEMS)) + list(range(data.shape[0] - _EDGEITEMS, data.shape[0]))
    return np.stack([_summarized(data[i]) for i in rows])


def _vector_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    element_length = fmt.max_width + 2
    per_line = max(1, int(math.floor((_LINEWIDTH - indent) / element_length)))
    if summarize and data.shape[0] > 2 * _EDGEITEMS:
        items = [fmt.format(v) for v in data[:_EDGEITEMS].tolist()] + [" ..."] + \
            [fmt.format(v) for v in data[-_EDGEITEMS:].tolist()]
    else:
        items = [fmt.format(v) for v in data.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _body(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, fmt)
    n = data.shape[0]
    if summarize and n > 2 * _EDGEITEMS:
        parts = [_body(data[i], indent + 1, summarize, fmt) for i in range(_EDGEITEMS)] + \
            ["..."] + [_body(data[i], indent + 1, summarize, fmt) for i in range(n - _EDGEITEMS, n)]
    else:
        parts = [_body(data[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    out = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > _LINEWIDTH:
            out.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last_line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def tensor_repr(t: Any) -> str:
    """The text PyTorch would print for ``t``, with dtype and autograd suffixes."""
    data = t._data
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if type(data) is not np.ndarray and backend.is_device_array(data):
        suffixes.append(f"device='{t.device}'")
        data = backend.to_device(data, backend.cpu)  # printing is an explicit trip to the host
    default = dtypes.get_default_dtype()
    name = t.dtype.name
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if name != default.name:
            suffixes.append(f"dtype=latte.{name}")
        body = "[]"
    else:
        if name not in (default.name, "int64", "bool"):
            suffixes.append(f"dtype=latte.{name}")
        if data.dtype == np.float16:
            data = data.astype(np.float32)
        summarize = data.size > _THRESHOLD
        fmt = _Formatter(_summarized(data) if summarize else data)
        body = _body(data, indent, summarize, fmt)
    if t.grad_fn is not None and t.requires_grad:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
