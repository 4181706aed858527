"""Norm-based compositions: ``dist`` (the norm of a difference) and ``renorm`` (slices
rescaled to a maximum norm)."""
from __future__ import annotations

from typing import Any

from latte.autograd.function import named_node

__all__ = ["dist", "renorm"]


@named_node("DistBackward0")
def dist(input: Any, other: Any, p: float = 2) -> Any:
    """The ``p``-norm of ``input - other`` (broadcast): ``p=0`` counts the differing elements,
    ``p=inf`` is the largest absolute difference.

    Example::

        >>> latte.dist(latte.tensor([1.0, 2.0]), latte.tensor([4.0, 6.0]))
        tensor(5.)
    """
    if input._data.dtype.kind != "f" or other._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {input.dtype} and {other.dtype} instead.")
    difference = input - other
    if p == 0:  # a count: zero gradient, kept in the graph as PyTorch's
        return difference.norm(0.0) + (difference * 0).sum()
    return difference.norm(float(p))


@named_node("RenormBackward0")
def renorm(input: Any, p: float, dim: int, maxnorm: float) -> Any:
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down
    to norm ``maxnorm`` (``maxnorm / (norm + 1e-7)``, as PyTorch); differentiable.

    Args:
        input (Tensor): at least 2-D.
        p (float): the norm's order, > 0.
        dim (int): the dimension whose slices are renormalised.
        maxnorm (float): the largest norm a slice keeps.

    Example::

        >>> latte.renorm(latte.tensor([[3.0, 4.0], [0.3, 0.4]]), 2, 0, 1.0)
        tensor([[0.6000, 0.8000],
                [0.3000, 0.4000]])
    """
    if input.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} "
                           f"dimensions")
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported, got {p}")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = input._dim(dim)
    others = tuple(k for k in range(input.ndim) if k != d)
    norm = input.norm(float(p), dim=others, keepdim=True)
    factor = (maxnorm / (norm + 1e-7)).where(norm > maxnorm, 1.0)
    return input * factor
