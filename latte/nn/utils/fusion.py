"""Fold an evaluation-mode batch norm into the convolution or linear layer before it.

In eval mode ``bn(conv(x))`` is one affine map per channel after the convolution, so it can be
merged into the convolution's weight and bias: ``w' = w * gamma / sqrt(var + eps)`` (per output
channel) and ``b' = (b - mean) * gamma / sqrt(var + eps) + beta``. The fused layer computes the
same output with one layer fewer (PyTorch's ``torch.nn.utils.fusion``).
"""
from __future__ import annotations

import copy
from typing import Any

from latte import creation
from latte.autograd.grad_mode import no_grad
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def fuse_conv_bn_eval(conv: Any, bn: Any, transpose: bool = False) -> Any:
    """A copy of ``conv`` (eval mode) with ``bn`` (eval mode, running statistics) folded into
    its weight and bias; ``transpose`` for a transposed convolution (its out channels are dim 1).

    Example::

        >>> conv, bn = nn.Conv2d(3, 8, 3).eval(), nn.BatchNorm2d(8).eval()
        >>> fused = nn.utils.fuse_conv_bn_eval(conv, bn)
        >>> x = latte.randn(1, 3, 8, 8)
        >>> bool((fused(x) - bn(conv(x))).abs().max() < 1e-5)
        True
    """
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_conv_bn_eval needs a batch norm with running statistics")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias,
        transpose)
    return fused


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple:
    """The fused ``(weight, bias)`` Parameters of a convolution followed by a batch norm with
    running mean ``bn_rm``, variance ``bn_rv`` and affine ``bn_w``, ``bn_b`` (None: 1 and 0)."""
    with no_grad():
        bias = conv_b if conv_b is not None else creation.zeros_like(bn_rm)
        scale = _scale(bn_rm, bn_rv, bn_eps, bn_w)
        shape = [1] * conv_w.dim()
        shape[1 if transpose else 0] = -1
        weight = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        fused_bias = _shifted(bias, bn_rm, scale, bn_b).to(bias.dtype)
    return (Parameter(weight, conv_w.requires_grad),
            Parameter(fused_bias, conv_b.requires_grad if conv_b is not None else True))


def fuse_linear_bn_eval(linear: Any, bn: Any) -> Any:
    """A copy of ``linear`` (eval mode) with the eval-mode ``bn`` after it folded in; ``bn``
    normalises ``linear``'s outputs (``num_features`` equal to ``out_features``, or 1)."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features must equal bn.num_features or "
                             "bn.num_features must be 1")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("fuse_linear_bn_eval needs a batch norm with running statistics")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor,
                           bn_rv: Tensor, bn_eps: float, bn_w: Tensor | None,
                           bn_b: Tensor | None) -> tuple:
    """The fused ``(weight, bias)`` Parameters of a linear layer followed by a batch norm."""
    with no_grad():
        bias = linear_b if linear_b is not None else creation.zeros_like(bn_rm)
        scale = _scale(bn_rm, bn_rv, bn_eps, bn_w)
        weight = linear_w * scale.unsqueeze(-1)
        fused_bias = _shifted(bias, bn_rm, scale, bn_b)
    return (Parameter(weight, linear_w.requires_grad),
            Parameter(fused_bias, linear_b.requires_grad if linear_b is not None else True))


def _scale(mean: Tensor, var: Tensor, eps: float, weight: Tensor | None) -> Tensor:
    """``gamma / sqrt(var + eps)``: the batch norm's per-channel factor."""
    scale = (var + eps).rsqrt()
    return scale * weight if weight is not None else scale


def _shifted(bias: Tensor, mean: Tensor, scale: Tensor, beta: Tensor | None) -> Tensor:
    shifted = (bias - mean) * scale
    return shifted + beta if beta is not None else shifted
