"""``latte.special``: special functions with ``torch.special``'s names, differentiable.

Example: ``latte.special.erfinv(2 * u - 1) * 2 ** 0.5`` turns uniforms into normals.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from latte._functional.common import tensor_like
from latte._functional.pointwise import xlogy
from latte._out_argument import with_out
from latte.autograd import function
from latte.autograd.function import named_node
from latte.backend import run_on
from latte.ops import activation as _act
from latte.ops import special as _S

if TYPE_CHECKING:
    from latte.tensor import Tensor

__all__ = ["erf", "erfc", "erfinv", "expit", "logit", "gammaln", "digamma", "psi", "polygamma",
           "xlogy", "xlog1py", "log_softmax", "softmax", "log1p", "expm1", "exp2", "sinc",
           "entr", "ndtr", "ndtri", "log_ndtr", "i0", "i1", "i0e", "i1e", "logsumexp", "round",
           "multigammaln", "modified_bessel_i0", "modified_bessel_i1"]


def erf(input: Tensor) -> Tensor:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return _act.Erf.apply(input._floating())


def erfc(input: Tensor) -> Tensor:
    """``1 - erf(x)``, accurate where it is tiny (large x)."""
    return _S.Erfc.apply(input._floating())


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function on ``[-1, 1]``."""
    return _S.Erfinv.apply(input._floating())


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid ``1 / (1 + exp(-x))``."""
    return input.sigmoid()


@named_node("LogitBackward0")
def logit(input: Tensor, eps: Any = None) -> Tensor:
    """``log(p / (1 - p))``; with ``eps``, ``p`` is first clamped to ``[eps, 1 - eps]``."""
    p = input._floating()
    if eps is not None:
        p = p.clamp(eps, 1.0 - eps)
    return (p / (1.0 - p)).log()


def gammaln(input: Tensor) -> Tensor:
    """``log|Gamma(x)|`` (``torch.lgamma``)."""
    return _S.Lgamma.apply(input._floating())


def digamma(input: Tensor) -> Tensor:
    """``d/dx log Gamma(x)``."""
    return _S.Digamma.apply(input._floating())


psi = digamma


def polygamma(n: int, input: Tensor) -> Tensor:
    """The ``n``-th derivative of digamma, for ``n`` 0 or 1 (values without a gradient for 1)."""
    if n == 0:
        return digamma(input)
    if n == 1:
        x = input._floating()
        return function.Tensor(run_on(x._data, _S.trigamma_array, x._data))
    raise NotImplementedError(f"polygamma: only n = 0 and 1 are supported, got {n}")


def polygamma_method(self: Tensor, n: int) -> Tensor:
    """``x.polygamma(n)``: ``polygamma(n, x)``."""
    return polygamma(n, self)


@named_node("SpecialI0EBackward0")
def i0e(input: Tensor) -> Tensor:
    """``exp(-|x|) * i0(x)`` (computed as written: finite for ``|x|`` below about 700)."""
    x = input._floating()
    return i0(x) * (-x.abs()).exp()


@named_node("SpecialI1EBackward0")
def i1e(input: Tensor) -> Tensor:
    """``exp(-|x|) * i1(x)`` (computed as written: finite for ``|x|`` below about 700)."""
    x = input._floating()
    return i1(x) * (-x.abs()).exp()


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``."""
    x = input._floating()
    out = gammaln(x) * 0.0 + p * (p - 1) / 4.0 * math.log(math.pi)
    for j in range(p):
        out = out + gammaln(x - j / 2.0)
    return out


def xlog1py(input: Any, other: Any) -> Tensor:
    """``input * log1p(other)``, 0 where ``input == 0`` and ``log1p(other)`` is infinite."""
    if not hasattr(input, "_data"):
        input = tensor_like(input, other)
    other = tensor_like(other, input)
    zero = (input == 0) & ((other == -1) | other.isinf())
    return input * other.where(~zero, 0.0).log1p()


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``."""
    return input.log_softmax(dim, dtype)


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    return input.softmax(dim, dtype)


def log1p(input: Tensor) -> Tensor:
    """``log(1 + x)``, accurate for small x."""
    return input.log1p()


def expm1(input: Tensor) -> Tensor:
    """``exp(x) - 1``, accurate for small x."""
    return input.expm1()


@named_node("Exp2Backward0")
def exp2(input: Tensor) -> Tensor:
    """``2 ** input`` elementwise (integer inputs give floats).

    Example::

        >>> latte.exp2(latte.tensor([0, 1, 3]))
        tensor([1., 2., 8.])
    """
    return 2.0 ** input._floating()


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, stable."""
    return input.logsumexp(dim, keepdim)


def round(input: Tensor, decimals: int = 0) -> Tensor:
    """Round half to even, to ``decimals`` places."""
    return input.round(decimals)


@named_node("SincBackward0")
def sinc(input: Tensor) -> Tensor:
    """The normalized sinc ``sin(pi x) / (pi x)``, 1 at 0 (with gradient 0 there)."""
    x = input._floating()
    nonzero = x != 0
    safe = x.where(nonzero, 1.0) * math.pi
    return (safe.sin() / safe).where(nonzero, 1.0)


@named_node("SpecialEntrBackward0")
def entr(input: Tensor) -> Tensor:
    """The entropy term ``-x log x`` (0 at 0, -inf for x < 0)."""
    x = input._floating()
    return (-xlogy(x, x.where(x >= 0, 1.0))).where(x >= 0, -math.inf)


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF ``(1 + erf(x / sqrt 2)) / 2``."""
    return erfc(input._floating() * (-1.0 / math.sqrt(2.0))) * 0.5


def log_ndtr(input: Tensor) -> Tensor:
    """``log(ndtr(x))`` (accurate down to about x = -35, where ``erfc`` underflows)."""
    return ndtr(input).log()


@named_node("SpecialNdtriBackward0")
def ndtri(input: Tensor) -> Tensor:
    """The standard normal quantile: the inverse of ``ndtr`` on ``(0, 1)``."""
    return erfinv(input._floating() * 2.0 - 1.0) * math.sqrt(2.0)


def i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0."""
    return _S.I0.apply(input._floating())


def i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 1."""
    return _S.I1.apply(input._floating())


modified_bessel_i0, modified_bessel_i1 = i0, i1


# every function takes PyTorch's out= (the Tensor methods bound to them pass it through too)
for _name in __all__:
    globals()[_name] = with_out(globals()[_name], _name)
psi, modified_bessel_i0, modified_bessel_i1 = digamma, i0, i1
