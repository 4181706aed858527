"""``linear`` and ``bilinear``."""
from __future__ import annotations

from latte.ops.linear import Bilinear, Linear
from latte.tensor import Tensor

__all__ = ["linear", "bilinear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: ``(*, in)`` with weight ``(out, in)`` gives ``(*, out)``.

    Example::

        >>> F.linear(latte.ones(2, 3), latte.ones(4, 3)).shape
        latte.Size([2, 4])
    """
    if weight.dim() != 2 or input.dim() < 1 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: input of shape {tuple(input.shape)} does not match weight "
                           f"of shape {tuple(weight.shape)} (expected input (*, "
                           f"{weight.shape[-1] if weight.dim() else '?'}))")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"linear: bias of shape {tuple(bias.shape)} does not match weight of "
                           f"shape {tuple(weight.shape)} (expected ({weight.shape[0]},))")
    if input.dim() == 1:
        return Linear.apply(input.unsqueeze(0), weight, bias).squeeze(0)
    return Linear.apply(input, weight, bias)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k``: ``(*, in1)``, ``(*, in2)``, weight ``(out, in1, in2)`` give
    ``(*, out)``."""
    if weight.dim() != 3 or input1.shape[-1] != weight.shape[1] or \
            input2.shape[-1] != weight.shape[2] or input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: inputs of shapes {tuple(input1.shape)} and "
                           f"{tuple(input2.shape)} do not match weight of shape "
                           f"{tuple(weight.shape)}")
    lead = tuple(input1.shape[:-1])
    out = Bilinear.apply(input1.reshape(-1, input1.shape[-1]),
                         input2.reshape(-1, input2.shape[-1]), weight, bias)
    return out.reshape(*lead, weight.shape[0])
