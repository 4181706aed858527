"""``VonMises``: the circular normal distribution on angles."""
from __future__ import annotations

import math
from typing import Any

import latte
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all, draw
from latte.tensor import Tensor

__all__ = ["VonMises"]


def _log_modified_bessel_fn(x: Tensor, order: int = 0) -> Tensor:
    r""":math:`\log I_{\text{order}}(x)` for :math:`x > 0` (order 0 or 1), from the scaled
    Bessel functions :math:`I_n(x) e^{-x}`."""
    scaled = latte.special.i0e(x) if order == 0 else latte.special.i1e(x)
    return scaled.log() + x


class VonMises(Distribution):
    r"""The von Mises distribution of density :math:`e^{\kappa\cos(x - \mu)} / 2\pi I_0(\kappa)`
    on angles (``loc`` and values are any reals, read modulo :math:`2\pi`), as
    ``torch.distributions.VonMises``. ``mean`` and ``variance`` are the circular ones.

    Args:
        loc: the mean angle :math:`\mu` in radians.
        concentration: :math:`\kappa > 0`.

    Samples come from the generator's von Mises sampler (in :math:`[-\pi, \pi)`).

    Example::

        >>> m = latte.distributions.VonMises(latte.tensor([1.0]), latte.tensor([1.0]))
        >>> m.sample()  # doctest: +SKIP
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc: Any, concentration: Any, validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, (), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> VonMises:
        return self._expand_params(VonMises, batch_shape, _instance, ("loc", "concentration"))

    def log_prob(self, value: Any) -> Tensor:
        r""":math:`\kappa\cos(x - \mu) - \log 2\pi - \log I_0(\kappa)`."""
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - _log_modified_bessel_fn(self.concentration, order=0))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Angles in :math:`[-\\pi, \\pi)` (not differentiable)."""
        shape = self._extended_shape(sample_shape)
        with latte.no_grad():
            x = draw("vonmises", self.loc, self.loc.detach()._data,
                     self.concentration.detach()._data, shape=shape)
            return (x + math.pi) % (2 * math.pi) - math.pi

    @property
    def mean(self) -> Tensor:
        """The circular mean: ``loc``."""
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        r"""The circular variance :math:`1 - I_1(\kappa)/I_0(\kappa)`."""
        return 1 - (_log_modified_bessel_fn(self.concentration, order=1)
                    - _log_modified_bessel_fn(self.concentration, order=0)).exp()
