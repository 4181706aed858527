"""``VonMises``: the circular normal distribution on angles."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

import latte
from latte.backend import get_array_module
from latte.distributions import constraints
from latte.distributions.distribution import Distribution
from latte.distributions.utils import broadcast_all
from latte.tensor import Tensor

__all__ = ["VonMises"]

_MAX_ROUNDS = 40  # on a GPU: the chance that a draw is still rejected is below 1e-18


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
        """Angles in :math:`[-\\pi, \\pi)` by Best and Fisher's (1979) rejection sampler, in
        float64 (not differentiable). On the CPU rounds run until every draw is accepted; on
        a GPU a fixed number of rounds (each accepts at least about 2/3 of the rest), so no
        value is read back to the host."""
        shape = tuple(self._extended_shape(sample_shape))
        loc = self.loc.detach()._data.astype(np.float64)
        kappa = self.concentration.detach()._data.astype(np.float64)
        xp = get_array_module(loc)
        tau = 1 + xp.sqrt(1 + 4 * kappa ** 2)
        rho = (tau - xp.sqrt(2 * tau)) / (2 * kappa)
        proposal_r = xp.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))
        x = xp.zeros_like(xp.broadcast_to(loc, shape))  # on the parameters' device
        done = x != 0
        on_cpu = type(loc) is np.ndarray
        for _ in range(_MAX_ROUNDS):
            u1, u2, u3 = latte.rand((3,) + shape, dtype=latte.float64,
                                    device=self.loc.device)._data
            z = xp.cos(math.pi * u1)
            f = (1 + proposal_r * z) / (proposal_r + z)
            c = kappa * (proposal_r - f)
            with np.errstate(divide="ignore", invalid="ignore"):
                accept = ((c * (2 - c) - u2) > 0) | (xp.log(c / u2) + 1 - c >= 0)
            accept = accept & ~done
            x = xp.where(accept, xp.sign(u3 - 0.5) * xp.arccos(xp.clip(f, -1, 1)), x)
            done = done | accept
            if on_cpu and done.all():
                break
        angle = (x + math.pi + loc) % (2 * math.pi) - math.pi
        return Tensor(angle.astype(self.loc._data.dtype))

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
