"""``pdist``: distances between all pairs of rows."""
from __future__ import annotations

from latte.nn.functional._device import on_input_device
from latte.tensor import Tensor

__all__ = ["pdist"]


@on_input_device
def pdist(input: Tensor, p: float = 2.0) -> Tensor:
    """The p-norm distances ``||x_i - x_j||_p`` for every pair ``i < j`` of the rows of
    ``(N, M)``, in row-major order: shape ``(N * (N - 1) / 2,)``.

    Example::

        >>> F.pdist(latte.randn(4, 3)).shape
        latte.Size([6])
    """
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D (shape "
                           f"{tuple(input.shape)})")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    xp = input._xp()
    i, j = xp.triu_indices(input.shape[0], 1)
    return (input[Tensor(i)] - input[Tensor(j)]).norm(p, dim=-1)
