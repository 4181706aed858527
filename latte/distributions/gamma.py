"""``Gamma`` and the reparametrised standard-gamma draw it (and ``Beta``) is built on.

A gamma draw ``x`` of concentration ``a`` is differentiated implicitly, as PyTorch does:
``dx/da = -(dF/da)(a, x) / f(x; a)`` with ``F`` the CDF. Both integrals behind ``dF/da`` are
evaluated by fixed Gauss quadratures on raw arrays: the upper tail ``x > a`` as
``int_0^inf (log(x + s) - digamma(a)) (1 + s/x)^(a-1) e^-s ds`` (Gauss-Laguerre), the body as
``-x int_0^1 (log(x w) - digamma(a)) w^(a-1) e^(x(1-w)) dw`` (Gauss-Legendre after ``w = v^m``,
which smooths the ``w^(a-1)`` endpoint).
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

import latte
from latte import backend, random
from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["Gamma", "standard_gamma"]

_LAGUERRE = np.polynomial.laguerre.laggauss(48)
_LEGENDRE = np.polynomial.legendre.leggauss(64)


def _digamma(xp: Any, a: Any) -> Any:
    """Digamma by recurrence up to 6 and the asymptotic series (a > 0)."""
    shift = xp.zeros_like(a)
    for _ in range(6):
        small = a < 6
        shift = shift - xp.where(small, 1 / a, 0)
        a = xp.where(small, a + 1, a)
    inv2 = 1 / (a * a)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return shift + xp.log(a) - 0.5 / a - series


def _nodes(xp: Any, like: Any, rule: tuple) -> tuple:
    nodes, weights = rule
    if type(like) is not np.ndarray:  # the rule's constants go to the GPU once per call
        dev = backend.device_of(like)
        nodes, weights = backend.to_device(nodes, dev), backend.to_device(weights, dev)
    return nodes.astype(like.dtype), weights.astype(like.dtype)


def standard_gamma_grad(x: Any, a: Any) -> Any:
    """``dx/da`` of standard-gamma draws ``x`` at concentration ``a`` (raw arrays)."""
    xp = get_array_module(x)
    x64, a64 = x.astype(np.float64)[..., None], a.astype(np.float64)[..., None]
    psi = _digamma(xp, a64)
    s, ws = _nodes(xp, x64, _LAGUERRE)
    xt = xp.maximum(x64, 1e-300)
    tail = (ws * (xp.log(xt + s) - psi) * xp.exp((a64 - 1) * xp.log1p(s / xt))).sum(-1)
    v, wv = _nodes(xp, x64, _LEGENDRE)
    v = (v + 1) / 2
    m = xp.maximum(xp.ceil(2 / a64), 1)  # w = v^m: w^(a-1) dw = m v^(m a - 1) dv
    logw = m * xp.log(v)
    integrand = (xp.log(xt) + logw - psi) * m * xp.exp((m * a64 - 1) * xp.log(v)
                                                       + x64 * (1 - xp.exp(logw)))
    body = -xt[..., 0] * (wv * integrand).sum(-1) / 2
    grad = xp.where(x > a, tail, body)
    return xp.where(x > 0, grad, 0).astype(x.dtype)


class _StandardGamma(Op):
    """A standard-gamma draw of concentration ``a`` (given as ``x``), with the implicit
    reparametrisation gradient."""

    def forward(ctx, a, x):
        ctx.save_for_backward(a, x)
        return x

    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        return grad * Tensor(standard_gamma_grad(x._data, a._data)), None


def standard_gamma(concentration: Tensor) -> Tensor:
    """Draws of ``Gamma(concentration, 1)``, differentiable in ``concentration``."""
    data = concentration._data
    if type(data) is np.ndarray:
        draw = random.default_generator._rng.standard_gamma(data).astype(data.dtype)
    else:  # the GPU's own generator: draws never cross to the host
        gen = backend.cuda_backend().generator(backend.device_of(data).index)
        draw = gen.standard_gamma(data).astype(data.dtype)
    tiny = float(np.finfo(data.dtype).tiny)
    xp = get_array_module(data)
    return _StandardGamma.apply(concentration, Tensor(xp.maximum(draw, tiny)))


class Gamma(ExponentialFamily):
    r"""The gamma distribution of ``concentration`` :math:`\alpha` and ``rate`` :math:`\beta`,
    as ``torch.distributions.Gamma``: density
    :math:`\beta^\alpha x^{\alpha-1} e^{-\beta x} / \Gamma(\alpha)` on :math:`x \ge 0`.

    ``rsample`` is differentiable in both parameters (implicit reparametrisation).

    Example::

        >>> # tensor([0.1046])
        >>> Gamma(latte.tensor([1.0]), latte.tensor([1.0])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        numbers_only = isinstance(concentration, numbers.Number) and isinstance(
            rate, numbers.Number)
        super().__init__(Size() if numbers_only else self.concentration.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        new = self._get_checked_instance(Gamma, _instance)
        shape = Size(tuple(batch_shape))
        new.concentration = self.concentration.expand(shape)
        new.rate = self.rate.expand(shape)
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        return standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\alpha\log\beta + (\alpha-1)\log x - \beta x - \log\Gamma(\alpha)`."""
        if self._validate_args:
            self._validate_sample(value)
        value = value if isinstance(value, Tensor) else latte.tensor(value)
        return (latte.xlogy(self.concentration, self.rate)
                + latte.xlogy(self.concentration - 1, value)
                - self.rate * value - latte.lgamma(self.concentration))

    def cdf(self, value: Any) -> Tensor:
        r""":math:`P(\alpha, \beta x)`, the regularised lower incomplete gamma function
        (differentiable in ``value`` and ``rate``, as PyTorch)."""
        from latte.distributions.incomplete_gamma import gammainc
        if self._validate_args:
            self._validate_sample(value)
        c, x = latte.broadcast_tensors(self.concentration, self.rate * value)
        return gammainc(c, x)

    def entropy(self) -> Tensor:
        r""":math:`\alpha - \log\beta + \log\Gamma(\alpha) + (1-\alpha)\psi(\alpha)`."""
        c = self.concentration
        return c - self.rate.log() + latte.lgamma(c) + (1.0 - c) * latte.digamma(c)

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return self.concentration - 1, -self.rate

    def _log_normalizer(self, x: Tensor, y: Tensor) -> Tensor:
        return latte.lgamma(x + 1) + (x + 1) * (-y.reciprocal()).log()
