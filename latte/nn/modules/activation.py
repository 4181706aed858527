"""Activation layers: thin wrappers over ``latte.nn.functional``.

Most are one functional call on the input and the options the layer stores; the table below
builds those classes (``_activation``), each with its own ``__init__`` signature, docstring and
repr. Hardtanh (which checks its range), ReLU6, PReLU (which has a weight) and RReLU (which reads
the training flag) are written out.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from latte import creation
from latte.nn.functional import activation as F
from latte.nn.modules.module import Module, place
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
           "Sigmoid", "Tanh", "Softplus", "Softsign", "Tanhshrink", "Hardtanh", "Hardsigmoid",
           "Hardswish", "LogSigmoid", "Softmax", "LogSoftmax", "Softmin", "Threshold", "GLU",
           "Hardshrink", "Softshrink", "RReLU"]

_REQUIRED = inspect.Parameter.empty  # an option without a default
Option = tuple[str, str, Any]  # (name, annotation, default) of one constructor argument


class _Activation(Module):
    """A layer whose forward is ``_fn(input, *options)``, the options stored as attributes."""

    _fn: Callable[..., Tensor]
    _options: tuple[str, ...] = ()  # attribute names passed to _fn after the input, in order
    # extra_repr as a format of the options; None: "name=value, ..." with inplace only when True
    _shown: str | None = None

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, *[getattr(self, name) for name in self._options])

    def extra_repr(self) -> str:
        if self._shown is not None:
            return self._shown.format(**{name: getattr(self, name) for name in self._options})
        parts = [f"{name}={getattr(self, name)}" for name in self._options if name != "inplace"]
        if "inplace" in self._options and self.inplace:
            parts.append("inplace=True")
        return ", ".join(parts)


def _activation(name: str, fn: Callable[..., Tensor], doc: str | None, *options: Option,
                base: type[_Activation] = _Activation, shown: str | None = None
                ) -> type[_Activation]:
    """The class ``name``: ``__init__(self, *options)`` stores each option (in signature order),
    ``forward`` is ``fn(input, *options)``. With no options, a subclass of ``base`` keeps its
    constructor and repr and changes only the function (CELU of ELU, say)."""
    namespace: dict[str, Any] = {"__doc__": doc, "__module__": __name__, "__qualname__": name,
                                 "_fn": staticmethod(fn)}
    if options:
        namespace.update(__init__=_init(name, options), _options=tuple(o[0] for o in options),
                         _shown=shown)
    return type(name, (base,), namespace)


def _init(name: str, options: tuple[Option, ...]) -> Callable[..., None]:
    """An ``__init__`` with the signature ``(self, *options)`` that stores its arguments."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [inspect.Parameter("self", kind)]
        + [inspect.Parameter(n, kind, default=d, annotation=a) for n, a, d in options],
        return_annotation="None")

    def __init__(self: _Activation, *args: Any, **kwargs: Any) -> None:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError as e:  # worded as Python words a call that does not fit a signature
            raise TypeError(f"{name}.__init__() {e}") from None
        bound.apply_defaults()
        super(_Activation, self).__init__()
        for option, value in list(bound.arguments.items())[1:]:
            setattr(self, option, value)

    __init__.__signature__ = signature  # type: ignore[attr-defined]
    __init__.__qualname__ = f"{name}.__init__"
    return __init__


_INPLACE: Option = ("inplace", "bool", False)
_DIM: Option = ("dim", "int | None", None)

ReLU = _activation("ReLU", F.relu, """``max(x, 0)`` elementwise; any shape.

    Example::

        >>> nn.ReLU()(latte.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """, _INPLACE)
SELU = _activation("SELU", F.selu, "``scale * elu(x, alpha)``, alpha ~ 1.6733, scale ~ 1.0507.",
                   _INPLACE)
SiLU = _activation("SiLU", F.silu, "SiLU (swish), ``x * sigmoid(x)`` elementwise; any shape.",
                   _INPLACE)
Mish = _activation("Mish", F.mish, "``x * tanh(softplus(x))``.", _INPLACE)
Hardswish = _activation("Hardswish", F.hardswish, "``x * relu6(x + 3) / 6``.", _INPLACE,
                        shown="")
Hardsigmoid = _activation("Hardsigmoid", F.hardsigmoid, "``relu6(x + 3) / 6``.", _INPLACE,
                          shown="")
Sigmoid = _activation("Sigmoid", F.sigmoid, "``1 / (1 + exp(-x))``.")
Tanh = _activation("Tanh", F.tanh, """The hyperbolic tangent elementwise; any shape.

    Example::

        >>> nn.Tanh()(latte.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """)
Softsign = _activation("Softsign", F.softsign, "``x / (1 + |x|)`` elementwise; any shape.")
Tanhshrink = _activation("Tanhshrink", F.tanhshrink, "``x - tanh(x)`` elementwise; any shape.")
LogSigmoid = _activation("LogSigmoid", F.logsigmoid, "``log(sigmoid(x))``, stable.")
LeakyReLU = _activation("LeakyReLU", F.leaky_relu,
                        "``x`` for ``x > 0``, ``negative_slope * x`` otherwise.",
                        ("negative_slope", "float", 0.01), _INPLACE)
ELU = _activation("ELU", F.elu, "``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.",
                  ("alpha", "float", 1.0), _INPLACE)
CELU = _activation("CELU", F.celu, "``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``.",
                   base=ELU)
GELU = _activation("GELU", F.gelu, "``x * Phi(x)``; ``approximate='tanh'`` for the tanh formula.",
                   ("approximate", "str", "none"), shown="approximate={approximate!r}")
Softplus = _activation("Softplus", F.softplus,
                       "``log(1 + exp(beta * x)) / beta``, linear above ``threshold``.",
                       ("beta", "float", 1.0), ("threshold", "float", 20.0))
Softmax = _activation("Softmax", F.softmax,
                      "Softmax along ``dim``: ``(*)`` -> ``(*)``, summing to 1 along ``dim``.",
                      _DIM)
LogSoftmax = _activation("LogSoftmax", F.log_softmax, "``log(softmax(x))`` along ``dim``, stable.",
                         _DIM)
Softmin = _activation("Softmin", F.softmin, "``softmax(-x)`` along ``dim``: the smallest "
                      "inputs get the largest weights, summing to 1 along ``dim``.", _DIM)
GLU = _activation("GLU", F.glu, "Gated linear unit over ``dim`` (default -1).",
                  ("dim", "int", -1))
Threshold = _activation("Threshold", F.threshold, "``x`` where ``x > threshold``, else ``value``.",
                        ("threshold", "float", _REQUIRED), ("value", "float", _REQUIRED),
                        _INPLACE)
Hardshrink = _activation("Hardshrink", F.hardshrink,
                         "``x`` where ``|x| > lambd``, else 0; any shape.", ("lambd", "float", 0.5),
                         shown="{lambd}")
Softshrink = _activation("Softshrink", F.softshrink,
                         "``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, "
                         "else 0; any shape.", base=Hardshrink)


class Hardtanh(_Activation):
    """``clamp(x, min_val, max_val)``."""

    _fn = staticmethod(F.hardtanh)
    _options = ("min_val", "max_val", "inplace")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError("min_val cannot be greater than max_val")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace


class ReLU6(Hardtanh):
    """``min(max(x, 0), 6)``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class PReLU(Module):
    """Leaky ReLU with learned slope(s): ``num_parameters`` is 1 or the channel count (dim 1);
    each starts at ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(creation.full((num_parameters,), init, dtype=dtype))
        place(self, device)

    def reset_parameters(self) -> None:
        self.weight._data.fill(self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomized leaky ReLU: ``x`` above 0, ``a * x`` below, with a fresh slope
    ``a ~ U(lower, upper)`` per element in training and ``a = (lower + upper) / 2`` after
    ``eval()`` (see :func:`latte.nn.functional.rrelu`).

    Args:
        lower: the smallest slope (default 1/8).
        upper: the largest slope (default 1/3).
        inplace: write the result into the input.

    Shape:
        Input: ``(*)``; output: ``(*)``.

    Example::

        >>> nn.RReLU(0.1, 0.3).eval()(latte.tensor([-2.0, 3.0]))
        tensor([-0.4000,  3.0000])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False) -> None:
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                            else "")
