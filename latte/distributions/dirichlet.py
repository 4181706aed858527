"""``Dirichlet``: distributions on the simplex, normalised gamma draws."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.gamma import standard_gamma
from latte.tensor import Tensor

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    r"""The Dirichlet distribution of ``concentration`` :math:`\alpha` (last dim: the
    categories), density :math:`\prod_i x_i^{\alpha_i - 1} / B(\alpha)` on the simplex, as
    ``torch.distributions.Dirichlet``.

    ``rsample`` is :math:`g / \sum_i g_i` for gamma draws :math:`g_i \sim \Gamma(\alpha_i)`,
    differentiable through their implicit reparametrisation.

    Example::

        >>> latte.distributions.Dirichlet(latte.tensor([0.5, 0.5])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        return self._expand_params(Dirichlet, batch_shape, _instance, ("concentration",))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        g = standard_gamma(self.concentration.expand(shape))
        return g / g.sum(-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\sum_i(\alpha_i - 1)\log x_i + \log\Gamma(\sum_i\alpha_i)
        - \sum_i\log\Gamma(\alpha_i)`."""
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (latte.xlogy(c - 1.0, value).sum(-1) + latte.lgamma(c.sum(-1))
                - latte.lgamma(c).sum(-1))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        """The density's peak; a vertex (the largest concentration's) where all are below 1,
        as PyTorch."""
        concm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concm1 / concm1.sum(-1, True)
        all_small = (self.concentration < 1).all(-1, keepdim=True)
        k = self.concentration.shape[-1]
        vertex = latte.nn.functional.one_hot(self.concentration.argmax(-1), k).to(mode.dtype)
        return latte.where(all_small, vertex, mode)

    @property
    def variance(self) -> Tensor:
        con0 = self.concentration.sum(-1, True)
        return (self.concentration * (con0 - self.concentration)
                / (con0.pow(2) * (con0 + 1)))

    def entropy(self) -> Tensor:
        r""":math:`\log B(\alpha) + (\alpha_0 - K)\psi(\alpha_0)
        - \sum_i(\alpha_i - 1)\psi(\alpha_i)`."""
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (latte.lgamma(c).sum(-1) - latte.lgamma(a0) - (k - a0) * latte.digamma(a0)
                - ((c - 1.0) * latte.digamma(c)).sum(-1))

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return (self.concentration,)

    def _log_normalizer(self, x: Tensor) -> Tensor:
        return latte.lgamma(x).sum(-1) - latte.lgamma(x.sum(-1))
