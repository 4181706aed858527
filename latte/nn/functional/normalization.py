"""``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm`` over the fused
``Normalize`` primitive (closed-form backward)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from latte.nn.functional._device import on_input_device
from latte.ops.norm import Normalize
from latte.tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm"]


def _channel_view(t: Tensor | None, ndim: int) -> Tensor | None:
    """A ``(C,)`` parameter shaped ``(C, 1, ...)`` to broadcast over ``(N, C, *)``."""
    if t is None:
        return None
    return t.reshape(t.shape[0], *([1] * (ndim - 2)))


@on_input_device
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of ``(N, C, *)`` by batch statistics (``training``) or by the
    running ones; in training the running statistics are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` (the variance unbiased).

    Example::

        >>> # x: (N, C, H, W); rm, rv: (C,)
        >>> y = F.batch_norm(x, rm, rv, training=True)  # doctest: +SKIP
    """
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got shape "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} of shape {tuple(t.shape)} does not match "
                               f"the {c} channels of input of shape {tuple(input.shape)}")
    if training or running_mean is None or running_var is None:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {tuple(input.shape)}")
        y, mean, var = Normalize.apply(input, weight, bias, "channel", 0, eps)
        if training and running_mean is not None and running_var is not None:
            _update_running(running_mean, mean._data, momentum)
            _update_running(running_var, var._data * (count / (count - 1)), momentum)
        return y
    w = _channel_view(weight, input.dim())
    b = _channel_view(bias, input.dim())
    # evaluation: one affine map with the running statistics
    view = (c,) + (1,) * (input.dim() - 2)
    dtype = input._data.dtype
    mean = Tensor(running_mean._data.reshape(view).astype(dtype, copy=False))
    scale = Tensor((1.0 / np.sqrt(running_var._data + eps)).reshape(view).astype(dtype,
                                                                               copy=False))
    y = (input - mean) * (scale if w is None else w * scale)
    return y + b if b is not None else y


def _update_running(buffer: Tensor, batch: np.ndarray, momentum: float) -> None:
    data = buffer._data
    data *= 1.0 - momentum
    data += momentum * batch.astype(data.dtype, copy=False)
    buffer._vc[0] += 1


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int],
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims of ``(*, *normalized_shape)``, then
    scale and shift elementwise by ``weight`` and ``bias`` of that shape."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise RuntimeError(f"layer_norm: expected input with trailing dims {list(shape)} "
                           f"(normalized_shape), got shape {tuple(input.shape)}")
    return Normalize.apply(input, weight, bias, "row", int(np.prod(shape)), eps)[0]


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Split the channels of ``(N, C, *)`` into ``num_groups`` groups, normalise each group of
    each sample, then scale and shift per channel."""
    if input.dim() < 2:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *), got shape "
                           f"{tuple(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"group_norm: expected the {c} channels of input of shape "
                           f"{tuple(input.shape)} to be divisible by num_groups={num_groups}")
    y = Normalize.apply(input, None, None, "row", input.numel() // (n * num_groups), eps)[0]
    if weight is not None:
        y = y * _channel_view(weight, input.dim())
    if bias is not None:
        y = y + _channel_view(bias, input.dim())
    return y


@on_input_device
def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel of each sample of ``(N, C, *)`` over its spatial dims."""
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    n, c = input.shape[0], input.shape[1]
    count = input.numel() // (n * c)
    y, mean, var = Normalize.apply(input, None, None, "row", count, eps)
    if running_mean is not None and running_var is not None:
        _update_running(running_mean, mean._data.reshape(n, c).mean(axis=0), momentum)
        _update_running(running_var, var._data.reshape(n, c).mean(axis=0) * count
                        / max(count - 1, 1), momentum)
    if weight is not None:
        y = y * _channel_view(weight, input.dim())
    if bias is not None:
        y = y + _channel_view(bias, input.dim())
    return y
