"""``repr(tensor)`` exactly as PyTorch prints it: ``tensor([[1., 2.]], requires_grad=True)``.

The layout follows PyTorch's ``torch/_tensor_str.py`` with its default print options: one
formatter picks a style for the whole tensor (``1.``, ``1.2500`` or ``1.2500e+08``) and a common
width, tensors of more than 1000 elements show their first and last 3 entries per dim around
``...``, and lines wrap at 80 characters.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte import backend, dtypes

_PRECISION = 4
_THRESHOLD = 1000
_EDGEITEMS = 3
_LINEWIDTH = 80


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
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                strs = [f"{v:.{_PRECISION}e}" for v in finite.tolist()]
            else:
                strs = [f"{v:.0f}" + " " for v in finite.tolist()]  # room for the "."
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
            spec = "e" if self.sci_mode else "f"
            strs = [f"{v:.{_PRECISION}{spec}}" for v in finite.tolist()]
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
