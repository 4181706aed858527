"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Each layer and direction runs as one fused primitive (``latte.ops.rnn.RecurrentLayer``): one GEMM
for the input projection of all steps, then one GEMM per step for the hidden projection. Gate
order and parameter names are PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from latte import creation
from latte.functional import cat, stack
from latte.nn import init
from latte.nn.functional.dropout import dropout as _dropout
from latte.nn.functional.linear import linear
from latte.nn.modules.module import Module, place
from latte.nn.parameter import Parameter
from latte.nn.utils.rnn import PackedSequence, packed_to_padded, padded_to_packed
from latte.ops.rnn import RecurrentLayer
from latte.tensor import Tensor

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (use those)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        _check_args(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                    proj_size)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                width = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = {f"weight_ih_l{layer}{suffix}": (gate_size, width),
                          f"weight_hh_l{layer}{suffix}": (gate_size, real_hidden)}
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gate_size,)
                if proj_size > 0:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name, Parameter(creation.empty(*shape, dtype=dtype)))
                self._flat_weights_names.extend(shapes)
                self._all_weights.append(list(shapes))
        self.reset_parameters()
        place(self, device)

    def reset_parameters(self) -> None:
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """A no-op (PyTorch packs weights for cuDNN here)."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters per layer and direction, each list in ``_all_weights`` order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    def forward(self, input: Any, hx: Any = None) -> tuple:
        """``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``) for ``input`` (L, N, H_in),
        ``(N, L, H_in)`` if ``batch_first``, unbatched ``(L, H_in)`` or a ``PackedSequence``."""
        lstm = self.mode == "LSTM"
        name = type(self).__name__
        batch_sizes = sorted_indices = unsorted_indices = None
        batched = True
        if isinstance(input, PackedSequence):
            data, sizes_t, sorted_indices, unsorted_indices = input
            batch_sizes = tuple(int(b) for b in sizes_t.tolist())  # a CPU tensor: host data
            if data.dim() != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {data.dim()}")
            self._check_input(data)
            x = packed_to_padded(data, batch_sizes)
        else:
            if input.dim() not in (2, 3):
                # PyTorch's wording differs between RNN and LSTM/GRU; keep each
                what = " tensor" if name == "RNN" else ""
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D"
                                 f"{what} instead")
            batched = input.dim() == 3
            self._check_input(input)
            x = input if batched else input.unsqueeze(1)
            if batched and self.batch_first:
                x = x.transpose(0, 1)
        states = self._initial_states(x, hx, batched, sorted_indices)
        output, finals = self._run(x, states, batch_sizes)
        if unsorted_indices is not None:
            finals = [f.index_select(1, unsorted_indices) for f in finals]
        if batch_sizes is not None:
            output = PackedSequence(padded_to_packed(output, batch_sizes), sizes_t,
                                    sorted_indices, unsorted_indices)
        elif not batched:
            output, finals = output.squeeze(1), [f.squeeze(1) for f in finals]
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, tuple(finals)) if lstm else (output, finals[0])

    def _check_input(self, x: Tensor) -> None:
        weight = getattr(self, self._flat_weights_names[0])
        if x.dtype != weight.dtype:
            raise ValueError(f"RNN input dtype ({x.dtype}) does not match weight dtype "
                             f"({weight.dtype}). Convert input: input.to({weight.dtype}), or "
                             f"convert model: model.to({x.dtype})")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {x.shape[-1]}")

    def _initial_states(self, x: Tensor, hx: Any, batched: bool,
                        sorted_indices: Tensor | None) -> list:
        """``[h0]`` or ``[h0, c0]``, each (layers * directions, N, H), or None for zeros."""
        lstm = self.mode == "LSTM"
        if hx is None:
            return [None, None] if lstm else [None]
        states = list(hx) if lstm else [hx]
        if lstm and (len(states) != 2 or not all(isinstance(s, Tensor) for s in states)):
            raise RuntimeError("LSTM expects hx to be a tuple (h_0, c_0)")
        want = 3 if batched else 2
        for s in states:
            if s.dtype != x.dtype:
                raise RuntimeError(f"Expected the hidden state to have dtype {x.dtype} like "
                                   f"the input, got {s.dtype}")
            if s.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D "
                                   f"but got ({states[0].dim()}-D, {states[-1].dim()}-D) tensors"
                                   if lstm else f"For {kind} input, hx should also be "
                                   f"{want}-D but got {s.dim()}-D tensor")
        if not batched:
            states = [s.unsqueeze(1) for s in states]
        if sorted_indices is not None:
            states = [s.index_select(1, sorted_indices) for s in states]
        lead = ((2 if self.bidirectional else 1) * self.num_layers, x.shape[1])
        for i, s in enumerate(states):
            expected = (*lead, self.proj_size if i == 0 and self.proj_size else self.hidden_size)
            if tuple(s.shape) != expected:
                which = f"hidden[{i}]" if lstm else "hidden"
                raise RuntimeError(f"Expected {which} size {expected}, got {list(s.shape)}")
        return states

    def _run(self, x: Tensor, states: list, batch_sizes: tuple | None) -> tuple:
        """All layers: the padded output (L, N, D * H) and the stacked final states."""
        directions = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        n = x.shape[1]
        finals: list[list[Tensor]] = [[] for _ in states]
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                names = self._all_weights[k]
                w_ih, w_hh = getattr(self, names[0]), getattr(self, names[1])
                b_ih, b_hh = (getattr(self, names[2]), getattr(self, names[3])) \
                    if self.bias else (None, None)
                w_hr = getattr(self, names[-1]) if self.proj_size else None
                h0 = states[0][k] if states[0] is not None else \
                    x.new_zeros(n, self.proj_size or self.hidden_size)
                c0 = None
                if lstm:
                    c0 = states[1][k] if states[1] is not None else \
                        x.new_zeros(n, self.hidden_size)
                xproj = linear(layer_input, w_ih, b_ih)
                result = RecurrentLayer.apply(xproj, h0, c0, w_hh, b_hh, w_hr, self.mode,
                                              direction == 1, batch_sizes)
                outs.append(result[0])
                for f, r in zip(finals, result[1:]):
                    f.append(r)
            layer_input = outs[0] if directions == 1 else cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = _dropout(layer_input, self.dropout, True)
        return layer_input, [stack(f, 0) for f in finals]


def _check_args(mode: str, input_size: Any, hidden_size: Any, num_layers: int, bias: Any,
                batch_first: Any, dropout: Any, proj_size: int) -> None:
    """PyTorch's constructor checks, with its messages."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or \
            not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
    for label, value in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(value, bool):
            raise TypeError(f"{label} should be of type bool, got: {type(value).__name__}")
    for label, value in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(value, int):
            raise TypeError(f"{label} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{label} must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if mode not in _GATES:
        raise ValueError("Unrecognized RNN mode: " + mode)


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or ReLU).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``; input (L, N, H_in) -> output
    (L, N, D * H), h_n (D * num_layers, N, H).

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, h_n = rnn(latte.randn(5, 3, 10))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", *args,
                         **kwargs)


class LSTM(RNNBase):
    """Long short-term memory; gates (i, f, g, o) stacked in that order in each weight.

    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)``. ``LSTM(input_size, hidden_size,
    num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False)``; returns
    ``(output, (h_n, c_n))``. With ``proj_size > 0``, ``h_t = (o * tanh(c_t)) @ weight_hr.T``
    has ``proj_size`` features.

    Example::

        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (h_n, c_n) = lstm(latte.randn(5, 3, 10))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit; gates (r, z, n) stacked in that order in each weight.

    ``n_t = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h_t = (1 - z) * n_t + z * h_{t-1}``.

    Example::

        >>> gru = nn.GRU(10, 20, 2)
        >>> output, h_n = gru(latte.randn(5, 3, 10))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


class RNNCellBase(Module):
    """One step of a recurrent layer; parameters ``weight_ih``, ``weight_hh``, ``bias_ih``,
    ``bias_hh`` as in PyTorch."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(creation.empty(num_chunks * hidden_size, input_size,
                                                  dtype=dtype))
        self.weight_hh = Parameter(creation.empty(num_chunks * hidden_size, hidden_size,
                                                  dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        place(self, device)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode: str, input: Tensor, states: list) -> tuple:
        """Checks shapes, runs one step; returns the new states (unbatched if the input is)."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got "
                             f"{input.dim()}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"{type(self).__name__}: input dtype ({input.dtype}) does not "
                               f"match weight dtype ({self.weight_ih.dtype})")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        filled = []
        for i, s in enumerate(states):
            if s is None:
                s = x.new_zeros(x.shape[0], self.hidden_size)
            elif s.dtype != x.dtype:
                raise RuntimeError(f"Expected hidden{i} to have dtype {x.dtype} like the "
                                   f"input, got {s.dtype}")
            elif not batched:
                s = s.unsqueeze(0)
            if s.dim() != 2 or s.shape[0] != x.shape[0]:
                raise RuntimeError(f"Input batch size {x.shape[0]} doesn't match hidden{i} "
                                   f"batch size {s.shape[0] if s.dim() else 0}")
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, "
                                   f"expected {self.hidden_size}")
            filled.append(s)
        xproj = linear(x, self.weight_ih, self.bias_ih).unsqueeze(0)
        result = RecurrentLayer.apply(xproj, filled[0], filled[1] if mode == "LSTM" else None,
                                      self.weight_hh, self.bias_hh, None, mode, False, None)
        new = result[1:]
        return new if batched else tuple(s.squeeze(0) for s in new)


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or ReLU): input (N, H_in) or
    (H_in,), hidden (N, H) or (H,), zeros when omitted."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, input, [hx])[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: ``(h', c') = cell(x, (h, c))``; state zeros when omitted."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple | None = None) -> tuple[Tensor, Tensor]:
        return self._step("LSTM", input, [None, None] if hx is None else list(hx))


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = cell(x, h)``; state zeros when omitted."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step("GRU", input, [hx])[0]
