"""``LKJCholesky``: the LKJ distribution over Cholesky factors of correlation matrices."""
from __future__ import annotations

import math
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.beta import Beta
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all
from latte.special import multigammaln as mvlgamma
from latte.tensor import Size, Tensor

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    r"""The LKJ distribution of lower Cholesky factors :math:`L` of ``dim x dim``
    correlation matrices, density :math:`\propto |LL^T|^{\eta - 1}`, as
    ``torch.distributions.LKJCholesky`` (onion-method sampling, Lewandowski et al., 2009).

    Args:
        dim: the matrix size (at least 2).
        concentration: :math:`\eta > 0`.

    Example::

        >>> latte.distributions.LKJCholesky(3, 0.5).sample()  # doctest: +SKIP
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration: Any = 1.0,
                 validate_args: bool | None = None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        c = self.concentration
        offset = latte.arange(self.dim - 1, dtype=c.dtype, device=c.device)
        offset = latte.cat([latte.zeros(1, dtype=c.dtype, device=c.device), offset])
        self._beta = Beta(offset + 0.5, marginal_conc.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.size(), (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LKJCholesky:
        new = self._get_checked_instance(LKJCholesky, _instance)
        shape = Size(tuple(batch_shape))
        new.dim = self.dim
        new.concentration = self.concentration.expand(shape)
        new._beta = self._beta.expand(tuple(shape) + (self.dim,))
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Onion-method draws: row ``i`` is a beta-distributed radius times a uniform
        direction in the first ``i`` coordinates, the diagonal completing a unit norm."""
        with latte.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u = latte.randn(tuple(self._extended_shape(sample_shape)), dtype=y.dtype,
                            device=y.device).tril(-1)
            norm = latte.linalg.vector_norm(u, dim=-1, keepdim=True)
            u_hypersphere = u / latte.where(norm > 0, norm, 1.0)  # row 0 stays zero
            w = y.sqrt() * u_hypersphere
            tiny = latte.finfo(w.dtype).tiny
            diag = (1 - (w ** 2).sum(-1)).clamp(min=tiny).sqrt()
            return w + diag.diag_embed()

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\sum_{i \ge 2} (2(\eta - 1) + D - i)\log L_{ii}` minus the log normaliser."""
        if self._validate_args:
            self._validate_sample(value)
        diag = value.diagonal(0, -1, -2)[..., 1:]
        order = latte.arange(2, self.dim + 1, dtype=value.dtype, device=value.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = latte.lgamma(alpha) * dm1
        numerator = mvlgamma(alpha - 0.5, dm1)
        return unnormalized - (0.5 * dm1 * math.log(math.pi) + numerator - denominator)
