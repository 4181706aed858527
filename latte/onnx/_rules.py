"""Export rules: how each Latte primitive becomes ONNX nodes (opset 18).

A rule is ``rule(graph, result, *args)`` with the op's ``apply`` arguments (tensors, numbers,
tuples) and its result; it adds nodes to ``graph`` and returns one value name per output (None
for an output nothing downstream can use, such as batch norm's batch statistics).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from latte.ops import (
    activation,
    conv,
    elementwise,
    embedding,
    index,
    linalg,
    linear,
    norm,
    pool,
    reduce,
    shape,
)
from latte.tensor import Tensor

__all__ = ["RULES"]


def _binary(op_type: str) -> Any:
    def rule(g: Any, out: Any, a: Any, b: Any) -> list:
        return g.add(op_type, [g.value(a, b), g.value(b, a)])
    return rule


def _unary(op_type: str) -> Any:
    return lambda g, out, a: g.add(op_type, [g.value(a)])


def _array_value(g: Any, x: Any) -> str:
    """A raw array argument (a mask, an index) as a constant; tensors as themselves."""
    return g.value(x) if isinstance(x, Tensor) else g.constant(np.asarray(x))


def _pow_scalar(g: Any, out: Any, a: Any, exponent: Any) -> list:
    return g.add("Pow", [g.value(a), g.value(float(exponent), a)])


def _log1p(g: Any, out: Any, a: Any) -> list:
    return g.add("Log", g.add("Add", [g.value(a), g.value(1.0, a)]))


def _expm1(g: Any, out: Any, a: Any) -> list:
    return g.add("Sub", g.add("Exp", [g.value(a)]) + [g.value(1.0, a)])


def _gelu(g: Any, out: Any, a: Any) -> list:
    """``x (1 + erf(x / sqrt 2)) / 2``: ONNX's own Gelu arrives only in opset 20."""
    x = g.value(a)
    erf = g.add("Erf", g.add("Mul", [x, g.value(1.0 / math.sqrt(2.0), a)]))
    half_cdf = g.add("Mul", g.add("Add", erf + [g.value(1.0, a)]) + [g.value(0.5, a)])
    return g.add("Mul", [x] + half_cdf)


def _clamp(g: Any, out: Any, a: Any, low: Any, high: Any) -> list:
    bound = lambda v: "" if v is None else g.value(v, a)  # noqa: E731 ("" skips an input)
    return g.add("Clip", [g.value(a), bound(low), bound(high)])


def _where(g: Any, out: Any, condition: Any, a: Any, b: Any) -> list:
    like = a if isinstance(a, Tensor) else b
    return g.add("Where", [_array_value(g, condition), g.value(a, like), g.value(b, like)])


def _cast(g: Any, out: Any, a: Any, np_dtype: Any) -> list:
    to = g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(np_dtype))
    return g.add("Cast", [g.value(a)], to=to)


def _linear(g: Any, out: Any, x: Any, w: Any, b: Any) -> list:
    if x.ndim == 2:
        inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
        return g.add("Gemm", inputs, transB=1)
    product = g.add("MatMul", [g.value(x)] + g.add("Transpose", [g.value(w)], perm=[1, 0]))
    return g.add("Add", product + [g.value(b)]) if b is not None else product


def _reshape(g: Any, out: Any, a: Any, target: Any) -> list:
    dims = list(out.shape)
    if g.dynamic_batch and a.ndim and dims and dims[0] == a.shape[0]:
        dims[0] = 0  # ONNX's "copy this dim": the batch size stays free
    return g.add("Reshape", [g.value(a), g.ints(dims)])


def _getitem(g: Any, out: Any, a: Any, key: tuple) -> list:
    """Basic indexing, one entry after another: a slice slices, an int picks (the dim goes), a
    None inserts a dim, an Ellipsis stands for the dims no entry names."""
    name = g.value(a)
    src = dst = 0  # the input dim the entry reads, the dim of the result so far it acts on
    for entry in key:
        if entry is Ellipsis:
            covered = a.ndim - sum(1 for k in key if k is not None and k is not Ellipsis)
            src, dst = src + covered, dst + covered
        elif entry is None:
            name = g.add("Unsqueeze", [name, g.ints([dst])])[0]
            dst += 1
        elif isinstance(entry, slice):
            start, stop, step = entry.indices(a.shape[src])
            if (start, stop, step) != (0, a.shape[src], 1):
                stop = stop if stop >= 0 else -2 ** 62  # a reversed slice down to index 0
                name = g.add("Slice", [name, g.ints([start]), g.ints([stop]), g.ints([dst]),
                                       g.ints([step])])[0]
            src, dst = src + 1, dst + 1
        else:
            name = g.add("Gather", [name, g.constant(np.array(int(entry), np.int64))],
                         axis=dst)[0]
            src += 1
    return [name]


def _getitem_copy(g: Any, out: Any, a: Any, key: tuple) -> list:
    arrays = [i for i, k in enumerate(key) if hasattr(k, "shape")]
    rest_full = all(k == slice(None) or k is Ellipsis for i, k in enumerate(key)
                    if i not in arrays)
    if len(arrays) != 1 or not rest_full or key[arrays[0]].dtype == np.bool_:
        raise NotImplementedError("ONNX export supports advanced indexing by one integer index "
                                  "array (the other entries full slices)")
    return g.add("Gather", [g.value(a), g.constant(np.asarray(key[arrays[0]], np.int64))],
                 axis=arrays[0])


def _reduce(op_type: str) -> Any:
    def rule(g: Any, out: Any, a: Any, dims: Any, keepdim: bool, *rest: Any) -> list:
        if op_type in ("ReduceMax", "ReduceMin") and rest and not rest[0]:
            op = "ReduceMin"
        else:
            op = op_type
        name = g.add(op, [g.value(a), g.ints(dims)], keepdims=int(keepdim))
        if op_type == "ReduceSum" and rest and rest[0] is not None and \
                np.dtype(rest[0]) != a._data.dtype:
            name = g.add("Cast", name, to=g.onnx.helper.np_dtype_to_tensor_dtype(
                np.dtype(rest[0])))
        return name
    return rule


def _max_dim(g: Any, out: Any, a: Any, dim: int, keepdim: bool, largest: bool) -> list:
    values = g.add("ReduceMax" if largest else "ReduceMin", [g.value(a), g.ints([dim])],
                   keepdims=int(keepdim))
    indices = g.add("ArgMax" if largest else "ArgMin", [g.value(a)], axis=dim,
                    keepdims=int(keepdim))
    return values + indices


def _conv(g: Any, out: Any, x: Any, w: Any, b: Any, stride: Any, pads: Any, dilation: Any,
          groups: int) -> list:
    inputs = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    top, bottom, left, right = pads
    return g.add("Conv", inputs, strides=list(stride), pads=[top, left, bottom, right],
                 dilations=list(dilation), group=groups, kernel_shape=list(w.shape[2:]))


def _conv_transpose(g: Any, out: Any, y: Any, w: Any, b: Any, stride: Any, pads: Any,
                    dilation: Any, groups: int, out_hw: Any) -> list:
    inputs = [g.value(y), g.value(w)] + ([g.value(b)] if b is not None else [])
    top, bottom, left, right = pads
    return g.add("ConvTranspose", inputs, strides=list(stride),
                 pads=[top, left, bottom, right], dilations=list(dilation), group=groups,
                 kernel_shape=list(w.shape[2:]), output_shape=list(out_hw))


def _ceil_mode(x: Any, kernel: Any, stride: Any, padding: Any, dilation: Any, out_hw: Any) -> int:
    floor = [(x.shape[2 + d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) // stride[d]
             + 1 for d in range(2)]
    return int(list(out_hw) != floor)


def _max_pool(g: Any, out: Any, x: Any, kernel: Any, stride: Any, padding: Any,
              dilation: Any, out_hw: Any, with_indices: bool) -> list:
    if with_indices:
        raise NotImplementedError("ONNX export of max pooling with return_indices=True")
    ph, pw = padding
    return g.add("MaxPool", [g.value(x)], kernel_shape=list(kernel), strides=list(stride),
                 pads=[ph, pw, ph, pw], dilations=list(dilation),
                 ceil_mode=_ceil_mode(x, kernel, stride, padding, dilation, out_hw)) + [None]


def _avg_pool(g: Any, out: Any, x: Any, kernel: Any, stride: Any, padding: Any, out_hw: Any,
              divisor: Any) -> list:
    ph, pw = padding
    full = np.all(np.asarray(divisor) == kernel[0] * kernel[1])
    return g.add("AveragePool", [g.value(x)], kernel_shape=list(kernel), strides=list(stride),
                 pads=[ph, pw, ph, pw], count_include_pad=int(bool(full) and (ph or pw) > 0),
                 ceil_mode=_ceil_mode(x, kernel, stride, padding, (1, 1), out_hw))


def _normalize(g: Any, out: Any, x: Any, weight: Any, bias: Any, mode: str, k: int,
               eps: float) -> list:
    if mode != "row":
        raise NotImplementedError("ONNX export of batch statistics (batch norm in training "
                                  "mode): export the model in eval mode")
    axis = next(i for i in range(x.ndim) if math.prod(x.shape[i:]) == k)
    size = x.shape[axis:]
    dtype = x._data.dtype
    scale = g.value(weight) if weight is not None else g.constant(np.ones(size, dtype))
    shift = g.value(bias) if bias is not None else g.constant(np.zeros(size, dtype))
    return g.add("LayerNormalization", [g.value(x), scale, shift], axis=axis,
                 epsilon=float(eps)) + [None, None]


def _embedding(g: Any, out: Any, weight: Any, indices: Any, padding_idx: Any) -> list:
    return g.add("Gather", [g.value(weight), _array_value(g, indices)], axis=0)


E = elementwise
RULES: dict[type, Any] = {
    E.Add: _binary("Add"), E.Sub: _binary("Sub"), E.Mul: _binary("Mul"), E.Div: _binary("Div"),
    E.Pow: _binary("Pow"), E.Maximum: _binary("Max"), E.Minimum: _binary("Min"),
    E.Neg: _unary("Neg"), E.Exp: _unary("Exp"), E.Log: _unary("Log"), E.Sqrt: _unary("Sqrt"),
    E.Abs: _unary("Abs"), E.Sin: _unary("Sin"), E.Cos: _unary("Cos"), E.Tanh: _unary("Tanh"),
    E.Sigmoid: _unary("Sigmoid"), E.Relu: _unary("Relu"), activation.Erf: _unary("Erf"),
    activation.Gelu: _gelu,
    E.PowScalar: _pow_scalar, E.Log1p: _log1p, E.Expm1: _expm1, E.Clamp: _clamp,
    E.Where: _where, E.Cast: _cast,
    linear.Linear: _linear,
    linalg.MatMul: lambda g, out, a, b: g.add("MatMul", [g.value(a), g.value(b)]),
    linalg.Einsum: lambda g, out, eq, *xs: g.add("Einsum", [g.value(x) for x in xs],
                                                 equation=eq),
    shape.Reshape: _reshape,
    shape.Permute: lambda g, out, a, dims: g.add("Transpose", [g.value(a)], perm=list(dims)),
    shape.Expand: lambda g, out, a, size: g.add("Expand", [g.value(a), g.ints(out.shape)]),
    shape.Cat: lambda g, out, dim, *xs: g.add("Concat", [g.value(x) for x in xs], axis=dim),
    shape.ConstantPad: lambda g, out, a, pads, value: g.add(
        "Pad", [g.value(a), g.ints([p[0] for p in pads] + [p[1] for p in pads]),
                g.value(float(value), a)], mode="constant"),
    index.GetItem: _getitem, index.GetItemCopy: _getitem_copy,
    index.Gather: lambda g, out, a, dim, idx: g.add(
        "GatherElements", [g.value(a), _array_value(g, idx)], axis=dim),
    reduce.Sum: _reduce("ReduceSum"), reduce.Amax: _reduce("ReduceMax"),
    reduce.MaxDim: _max_dim,
    reduce.Softmax: lambda g, out, a, dim: g.add("Softmax", [g.value(a)], axis=dim),
    reduce.LogSoftmax: lambda g, out, a, dim: g.add("LogSoftmax", [g.value(a)], axis=dim),
    conv.Conv2d: _conv, conv.ConvTranspose2d: _conv_transpose,
    pool.MaxPool2d: _max_pool, pool.AvgPool2d: _avg_pool,
    norm.Normalize: _normalize, embedding.Embedding: _embedding,
}
