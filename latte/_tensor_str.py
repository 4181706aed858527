"""``repr(tensor)`` in PyTorch's style: ``tensor([[1., 2.]], requires_grad=True)``."""
from __future__ import annotations

from typing import Any

import numpy as np

_PREFIX = "tensor("


def _float_formatter(values: np.ndarray) -> Any:
    """Pick PyTorch's float style: ``1.``, ``1.2500`` or ``1.2500e+08`` for the whole tensor."""
    finite = values[np.isfinite(values)].astype(np.float64)
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    nonzero = np.abs(finite[finite != 0])
    if np.all(finite == np.round(finite)):
        if nonzero.size and nonzero.max() >= 1e8:
            return lambda v: _special(v) or f"{v:.4e}"
        return lambda v: _special(v) or f"{v:.0f}."
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or
                         nonzero.min() < 1e-4):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v: float) -> str:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return ""


def _format_array(data: np.ndarray) -> str:
    if data.dtype.kind == "f":
        fmt = _float_formatter(data)
        formatter = {"float_kind": fmt}
    elif data.dtype.kind == "b":
        formatter = {"bool": lambda v: "True" if v else "False"}
    else:
        formatter = {"int": lambda v: str(int(v))}
    if data.ndim == 0:
        return list(formatter.values())[0](data.item())
    return np.array2string(data, separator=", ", formatter=formatter, prefix=_PREFIX,
                           max_line_width=80, threshold=1000, edgeitems=3)


def tensor_repr(t: Any) -> str:
    """The text PyTorch would print for ``t``, with dtype and autograd suffixes."""
    data = t._data
    suffixes = []
    if data.size == 0 and data.ndim == 1:
        body = "[]"
    elif data.size == 0:
        body = "[]"
        suffixes.append(f"size={tuple(data.shape)}")
    else:
        body = _format_array(data)
    name = t.dtype.name
    if name not in {_default_dtype().name, "int64", "bool"}:
        suffixes.append(f"dtype=latte.{name}")
    if t.grad_fn is not None and t.requires_grad:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}Backward0>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _PREFIX + body + "".join(", " + s for s in suffixes) + ")"


def _default_dtype() -> Any:
    from latte import dtypes
    return dtypes.get_default_dtype()
