"""``ExponentialFamily``: distributions of the form ``exp(<t(x), theta> - F(theta) + k(x))``."""
from __future__ import annotations

from typing import Any

import latte
from latte.distributions.distribution import Distribution
from latte.tensor import Tensor

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    r"""Base class of exponential-family distributions, as
    ``torch.distributions.ExponentialFamily``: densities
    :math:`p_\theta(x) = \exp(\langle t(x), \theta\rangle - F(\theta) + k(x))`.

    Subclasses give ``_natural_params`` (:math:`\theta`), ``_log_normalizer``
    (:math:`F`) and ``_mean_carrier_measure`` (:math:`E[k(x)]`); the entropy then follows
    from the Bregman divergence of :math:`F`, with its gradient from autograd.
    """

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> Any:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        r""":math:`F(\theta) - \langle\theta, \nabla F(\theta)\rangle - E[k(x)]`."""
        result: Any = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        with latte.enable_grad():
            lg_normal = self._log_normalizer(*nparams)
            gradients = latte.autograd.grad(lg_normal.sum(), nparams, create_graph=True)
        result = result + lg_normal
        for p, g in zip(nparams, gradients):
            result = result - (p * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
