"""``Chi2``: the chi-squared distribution, a gamma of shape ``df / 2`` and rate ``1/2``."""
from __future__ import annotations

from typing import Any

from latte.distributions import constraints
from latte.distributions.gamma import Gamma
from latte.tensor import Tensor

__all__ = ["Chi2"]


class Chi2(Gamma):
    r"""The chi-squared distribution of ``df`` degrees of freedom, as
    ``torch.distributions.Chi2``: ``Gamma(df / 2, 1 / 2)``.

    Args:
        df: the degrees of freedom :math:`k > 0`.

    Example::

        >>> latte.distributions.Chi2(latte.tensor([1.0])).sample()  # doctest: +SKIP
    """

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Chi2:
        new = self._get_checked_instance(Chi2, _instance)
        return super().expand(batch_shape, new)  # type: ignore[return-value]

    @property
    def df(self) -> Tensor:
        """The degrees of freedom: twice the concentration."""
        return self.concentration * 2
