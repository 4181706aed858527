"""``StudentT``: Student's t distribution with location and scale."""
from __future__ import annotations

import math
import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.gamma import standard_gamma
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["StudentT"]


class StudentT(Distribution):
    r"""Student's t distribution of ``df`` :math:`\nu` degrees of freedom, shifted by
    ``loc`` and scaled by ``scale``, as ``torch.distributions.StudentT``.

    ``rsample`` is :math:`\mu + \sigma X / \sqrt{Z/\nu}` for :math:`X \sim \mathcal N(0,1)`
    and :math:`Z \sim \chi^2_\nu` (differentiable in all three parameters).

    Example::

        >>> latte.distributions.StudentT(latte.tensor([2.0])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        numbers_only = all(isinstance(v, numbers.Number) for v in (df, loc, scale))
        super().__init__(Size() if numbers_only else self.df.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> StudentT:
        return self._expand_params(StudentT, batch_shape, _instance, ("df", "loc", "scale"))

    @property
    def mean(self) -> Tensor:
        return latte.where(self.df <= 1, float("nan"), self.loc)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2).clamp(min=1e-30)
        var = latte.where(df > 2, finite, float("inf"))
        return latte.where(df <= 1, float("nan"), var)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        x = latte.randn(shape, dtype=self.df.dtype, device=self.df.device)
        z = 2 * standard_gamma(0.5 * self.df.expand(shape))
        return self.loc + self.scale * x * (z / self.df).rsqrt()

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`-\frac{\nu+1}2\log(1 + y^2/\nu) - \log\sigma - \frac12\log\nu\pi
        - \log\Gamma(\frac\nu2) + \log\Gamma(\frac{\nu+1}2)` with :math:`y = (x-\mu)/\sigma`."""
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + latte.lgamma(0.5 * self.df) - latte.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * (y ** 2 / self.df).log1p() - z

    def entropy(self) -> Tensor:
        r""":math:`\log\sigma + \frac{\nu+1}2(\psi(\frac{\nu+1}2) - \psi(\frac\nu2))
        + \frac12\log\nu + \log B(\frac\nu2, \frac12)`."""
        lbeta = (latte.lgamma(0.5 * self.df) + math.lgamma(0.5)
                 - latte.lgamma(0.5 * (self.df + 1)))
        return (self.scale.log() + 0.5 * (self.df + 1)
                * (latte.digamma(0.5 * (self.df + 1)) - latte.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
