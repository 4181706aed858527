"""``gumbel_softmax``: differentiable samples from a categorical distribution."""
from __future__ import annotations

import numpy as np

from latte import random
from latte.nn.functional._device import on_input_device
from latte.tensor import Tensor

__all__ = ["gumbel_softmax"]


@on_input_device
def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """``softmax((logits + g) / tau)`` along ``dim`` with Gumbel(0, 1) noise ``g``. With
    ``hard`` the result is the one-hot of its argmax in the forward pass and keeps the soft
    sample's gradient (straight-through).

    Example::

        >>> y = F.gumbel_softmax(latte.randn(8, 5), tau=0.5, hard=True)
        >>> y.sum(-1).tolist()  # one-hot rows
        [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    """
    dtype = logits._data.dtype
    draw_dtype = np.float32 if dtype == np.float32 else np.float64
    u = random._uniform_on(logits._data, tuple(logits.shape), draw_dtype).astype(dtype)
    # -log(Exp(1)) with Exp(1) = -log(1 - U); 1 - U lies in (0, 1] so the log is finite
    gumbels = Tensor(-np.log(-np.log1p(-u)))
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = y_soft.new_zeros(tuple(logits.shape)).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
