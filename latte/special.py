"""``latte.special``: special functions with ``torch.special``'s names, differentiable.

Example: ``latte.special.erfinv(2 * u - 1) * 2 ** 0.5`` turns uniforms into normals.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from latte._functional.common import promote_all, tensor_like
from latte._functional.pointwise import xlogy
from latte._out_argument import with_out
from latte.autograd import function
from latte.autograd.function import named_node
from latte.backend import run_on
from latte.ops import activation as _act
from latte.ops import bessel as _B
from latte.ops import gamma_functions as _G
from latte.ops import orthogonal_polynomials as _P
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
    """The ``n``-th derivative of digamma, ``psi^(n)(x)``, for any ``n >= 0``; differentiable.

    Args:
        n (int): the order of the derivative (0 is digamma).
        input (Tensor): the points.

    Example::

        >>> latte.polygamma(1, latte.tensor([1.0]))
        tensor([1.6449])
    """
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got {n}")
    if n == 0:
        return digamma(input)
    return _S.Polygamma.apply(input._floating(), int(n))


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


# --- Bessel and Airy functions, erfcx, incomplete gamma, zeta, orthogonal polynomials ----------
def _values(fn: Any, input: Tensor, *args: Any) -> Tensor:
    """``fn(array, *args)`` as a new tensor with no graph: PyTorch gives these no gradient."""
    x = input._floating()
    return function.Tensor(run_on(x._data, fn, x._data, *args))


def bessel_j0(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 0, ``J0(x)`` (no gradient, as PyTorch).

    Example::

        >>> latte.special.bessel_j0(latte.tensor([0.0, 2.404825557695773]))  # 1 and a zero
        tensor([1.0000e+00, 5.6434e-08])
    """
    return _values(_B.bessel_j0_array, input)


def bessel_j1(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 1, ``J1(x)`` (no gradient, as PyTorch)."""
    return _values(_B.bessel_j1_array, input)


def bessel_y0(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 0, ``Y0(x)``: -inf at 0, NaN for x < 0
    (no gradient, as PyTorch)."""
    return _values(_B.bessel_y0_array, input)


def bessel_y1(input: Tensor) -> Tensor:
    """The Bessel function of the second kind of order 1, ``Y1(x)``: -inf at 0, NaN for x < 0
    (no gradient, as PyTorch)."""
    return _values(_B.bessel_y1_array, input)


def modified_bessel_k0(input: Tensor) -> Tensor:
    """The modified Bessel function of the second kind of order 0, ``K0(x)``: inf at 0, NaN
    for x < 0 (no gradient, as PyTorch)."""
    return _values(_B.modified_bessel_k_array, input, 0)


def modified_bessel_k1(input: Tensor) -> Tensor:
    """The modified Bessel function of the second kind of order 1, ``K1(x)``: inf at 0, NaN
    for x < 0 (no gradient, as PyTorch)."""
    return _values(_B.modified_bessel_k_array, input, 1)


def scaled_modified_bessel_k0(input: Tensor) -> Tensor:
    """``exp(x) K0(x)``, finite where ``K0`` underflows (no gradient, as PyTorch)."""
    return _values(_B.modified_bessel_k_array, input, 0, True)


def scaled_modified_bessel_k1(input: Tensor) -> Tensor:
    """``exp(x) K1(x)``, finite where ``K1`` underflows (no gradient, as PyTorch)."""
    return _values(_B.modified_bessel_k_array, input, 1, True)


def spherical_bessel_j0(input: Tensor) -> Tensor:
    """The spherical Bessel function of the first kind of order 0, ``sin(x) / x`` (1 at 0;
    no gradient, as PyTorch)."""
    return _values(_B.spherical_bessel_j0_array, input)


def airy_ai(input: Tensor) -> Tensor:
    """The Airy function ``Ai(x)``, the solution of ``y'' = x y`` that decays as ``x -> inf``
    (no gradient, as PyTorch)."""
    return _values(_B.airy_ai_array, input)


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function ``exp(x^2) erfc(x)``, finite where ``erfc``
    underflows (about ``1 / (x sqrt(pi))`` for large x); differentiable.

    Example::

        >>> latte.special.erfcx(latte.tensor([0.0, 30.0]))  # 1 and ~0.0188
        tensor([1.0000, 0.0188])
    """
    return _S.Erfcx.apply(input._floating())


def _pair(input: Any, other: Any, float_only: str = "") -> tuple:
    """Both arguments as tensors of their promoted floating dtype (``float_only``: the kernel
    name PyTorch reports when both are integers, which it does not promote)."""
    if not hasattr(input, "_data"):
        input = tensor_like(input, other)
    other = tensor_like(other, input)
    a, b = promote_all([input, other])
    if float_only and a._data.dtype.kind != "f":
        raise NotImplementedError(f'"{float_only}" not implemented for \'{a.dtype}\'')
    return a._floating(), b._floating()


def gammainc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function
    ``P(a, x) = 1/Gamma(a) int_0^x t^(a-1) e^-t dt`` of ``a = input``, ``x = other``;
    differentiable in ``other`` only, as PyTorch (whose ``input`` gradient is not implemented).

    Example::

        >>> latte.special.gammainc(latte.tensor([1.0]), latte.tensor([1.0]))  # 1 - 1/e
        tensor([0.6321])
    """
    return _G.Igamma.apply(*_pair(input, other, "igamma"))


def gammaincc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized upper incomplete gamma function ``Q(a, x) = 1 - P(a, x)``;
    differentiable in ``other`` only, as PyTorch."""
    return _G.Igammac.apply(*_pair(input, other, "igammac"))


def zeta(input: Any, other: Any) -> Tensor:
    """The Hurwitz zeta function ``sum_k (q + k)^-s`` of ``s = input``, ``q = other`` (either
    may be a number; ``zeta(s, 1)`` is Riemann's); differentiable in ``other`` only, as PyTorch.

    Example::

        >>> latte.special.zeta(2.0, latte.tensor([1.0]))  # pi^2 / 6
        tensor([1.6449])
    """
    return _G.Zeta.apply(*_pair(input, other))


def _polynomial(fn: Any, input: Any, n: Any, *args: Any) -> Tensor:
    x, degree = _pair(input, n)
    # a Python degree bounds the recurrence without reading the tensor back from a GPU
    bound = None if hasattr(n, "_data") else max(int(n), 0)
    return function.Tensor(run_on(x._data, lambda: fn(x._data, degree._data, *args,
                                                       bound=bound).astype(x._data.dtype)))


def chebyshev_polynomial_t(input: Tensor, n: Any) -> Tensor:
    """The Chebyshev polynomial of the first kind ``T_n(x)`` (``n`` a tensor or a number,
    truncated to an integer; 0 for ``n < 0``; no gradient, as PyTorch).

    Example::

        >>> latte.special.chebyshev_polynomial_t(latte.tensor([0.5, 2.0]), 3)  # 4x^3 - 3x
        tensor([-1., 26.])
    """
    return _polynomial(_P.chebyshev_array, input, n, "t")


def chebyshev_polynomial_u(input: Tensor, n: Any) -> Tensor:
    """The Chebyshev polynomial of the second kind ``U_n(x)`` (no gradient, as PyTorch)."""
    return _polynomial(_P.chebyshev_array, input, n, "u")


def chebyshev_polynomial_v(input: Tensor, n: Any) -> Tensor:
    """The Chebyshev polynomial of the third kind ``V_n(x)`` (no gradient, as PyTorch)."""
    return _polynomial(_P.chebyshev_array, input, n, "v")


def chebyshev_polynomial_w(input: Tensor, n: Any) -> Tensor:
    """The Chebyshev polynomial of the fourth kind ``W_n(x)`` (no gradient, as PyTorch)."""
    return _polynomial(_P.chebyshev_array, input, n, "w")


def shifted_chebyshev_polynomial_t(input: Tensor, n: Any) -> Tensor:
    """The shifted Chebyshev polynomial of the first kind ``T_n(2x - 1)`` (no gradient)."""
    return _polynomial(_P.chebyshev_array, input, n, "t", True)


def shifted_chebyshev_polynomial_u(input: Tensor, n: Any) -> Tensor:
    """The shifted Chebyshev polynomial of the second kind ``U_n(2x - 1)`` (no gradient)."""
    return _polynomial(_P.chebyshev_array, input, n, "u", True)


def shifted_chebyshev_polynomial_v(input: Tensor, n: Any) -> Tensor:
    """The shifted Chebyshev polynomial of the third kind ``V_n(2x - 1)`` (no gradient)."""
    return _polynomial(_P.chebyshev_array, input, n, "v", True)


def shifted_chebyshev_polynomial_w(input: Tensor, n: Any) -> Tensor:
    """The shifted Chebyshev polynomial of the fourth kind ``W_n(2x - 1)`` (no gradient)."""
    return _polynomial(_P.chebyshev_array, input, n, "w", True)


def hermite_polynomial_h(input: Tensor, n: Any) -> Tensor:
    """The physicists' Hermite polynomial ``H_n(x)`` (no gradient, as PyTorch)."""
    return _polynomial(_P.hermite_array, input, n, False)


def hermite_polynomial_he(input: Tensor, n: Any) -> Tensor:
    """The probabilists' Hermite polynomial ``He_n(x)`` (no gradient, as PyTorch)."""
    return _polynomial(_P.hermite_array, input, n, True)


def laguerre_polynomial_l(input: Tensor, n: Any) -> Tensor:
    """The Laguerre polynomial ``L_n(x)`` (no gradient, as PyTorch)."""
    return _polynomial(_P.laguerre_array, input, n)


def legendre_polynomial_p(input: Tensor, n: Any) -> Tensor:
    """The Legendre polynomial ``P_n(x)`` (no gradient, as PyTorch)."""
    return _polynomial(_P.legendre_array, input, n)


_NEW = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
        "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
        "spherical_bessel_j0", "airy_ai", "erfcx", "gammainc", "gammaincc", "zeta",
        "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
        "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
        "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
        "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
        "laguerre_polynomial_l", "legendre_polynomial_p"]
__all__ += _NEW
for _name in _NEW:
    globals()[_name] = with_out(globals()[_name], _name)
