"""``FisherSnedecor``: the F distribution, a ratio of scaled chi-squared variables."""
from __future__ import annotations

import numbers
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.gamma import Gamma
from latte.distributions.utils import broadcast_all
from latte.tensor import Size, Tensor

__all__ = ["FisherSnedecor"]


class FisherSnedecor(Distribution):
    r"""The Fisher-Snedecor (F) distribution of ``df1`` and ``df2`` degrees of freedom, as
    ``torch.distributions.FisherSnedecor``: :math:`(X_1/d_1)/(X_2/d_2)` for chi-squared
    :math:`X_i` (a ratio of two gamma draws, differentiable in both parameters).

    Example::

        >>> latte.distributions.FisherSnedecor(1.0, 2.0).sample()  # doctest: +SKIP
    """

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Any, df2: Any, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1, validate_args=False)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2, validate_args=False)
        numbers_only = isinstance(df1, numbers.Number) and isinstance(df2, numbers.Number)
        super().__init__(Size() if numbers_only else self.df1.size(),
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> FisherSnedecor:
        new = self._expand_params(FisherSnedecor, batch_shape, _instance, ("df1", "df2"))
        new._gamma1 = self._gamma1.expand(batch_shape)
        new._gamma2 = self._gamma2.expand(batch_shape)
        return new

    @property
    def mean(self) -> Tensor:
        df2 = latte.where(self.df2 <= 2, float("nan"), self.df2)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return latte.where(self.df1 <= 2, float("nan"), mode)

    @property
    def variance(self) -> Tensor:
        df2 = latte.where(self.df2 <= 4, float("nan"), self.df2)
        return (2 * df2.pow(2) * (self.df1 + df2 - 2)
                / (self.df1 * (df2 - 2).pow(2) * (df2 - 4)))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        x1 = self._gamma1.rsample(sample_shape).reshape(shape)
        tiny = latte.finfo(x1.dtype).tiny
        x2 = self._gamma2.rsample(sample_shape).reshape(shape).clamp(min=tiny)
        return (x1 / x2).clamp(min=tiny)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\log\frac{\Gamma(\frac{d_1+d_2}2)}{\Gamma(\frac{d_1}2)\Gamma(\frac{d_2}2)}
        + \frac{d_1}2\log\frac{d_1}{d_2} + (\frac{d_1}2 - 1)\log x
        - \frac{d_1+d_2}2\log(1 + \frac{d_1}{d_2}x)`."""
        if self._validate_args:
            self._validate_sample(value)
        ct1, ct2, ct3 = self.df1 * 0.5, self.df2 * 0.5, self.df1 / self.df2
        t1 = latte.lgamma(ct1 + ct2) - latte.lgamma(ct1) - latte.lgamma(ct2)
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3
