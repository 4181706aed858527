"""``SyncBatchNorm``: batch norm whose statistics are computed over the whole global batch,
summing per-channel moments over all processes."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import distributed as dist
from latte.autograd import Function
from latte.nn.functional.normalization import _update_running
from latte.nn.modules.batchnorm import _BatchNorm
from latte.nn.modules.module import Module
from latte.tensor import Tensor

__all__ = ["SyncBatchNorm"]


class _AllReduceSum(Function):
    """``sum_r x_r`` on every process; its gradient is again a sum over processes, because each
    process's output feeds that process's own loss."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, group: Any) -> Tensor:
        ctx.group = group
        out = Tensor(x._data.copy())
        dist.all_reduce(out, group=group)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple:
        out = Tensor(np.ascontiguousarray(grad._data).copy())
        dist.all_reduce(out, group=ctx.group)
        return out, None


class SyncBatchNorm(_BatchNorm):
    """Batch norm over ``(N, C, *)`` whose per-channel mean and variance come from the batches of
    all processes together (two small ``all_reduce`` calls forward and two backward); in
    evaluation, or on a single process, it is plain batch norm.

    Example::

        >>> # every BatchNorm*d
        >>> model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # doctest: +SKIP
        >>> model = nn.parallel.DistributedDataParallel(model)  # doctest: +SKIP
    """

    _ranks = (2, 3, 4, 5)
    _layout = "(N, C, *)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group: Any = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def forward(self, input: Tensor) -> Tensor:
        if not (self.training and dist.is_initialized()
                and dist.get_world_size(self.process_group) > 1):
            return super().forward(input)
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._vc[0] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        c = input.shape[1]
        dims = (0,) + tuple(range(2, input.dim()))
        view = (1, c) + (1,) * (input.dim() - 2)
        local = Tensor(np.array([input.numel() // c], dtype=input._data.dtype))
        count = float(_AllReduceSum.apply(local, self.process_group)._data[0])
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"{count:.0f} over all processes for input size "
                             f"{tuple(input.shape)}")
        # two passes (mean, then squared deviations) stay accurate in float32 where
        # E[x^2] - E[x]^2 would cancel
        mean = _AllReduceSum.apply(input.sum(dims), self.process_group) / count
        centered = input - mean.reshape(view)
        var = _AllReduceSum.apply((centered * centered).sum(dims), self.process_group) / count
        scale = (var + self.eps).rsqrt()
        if self.weight is not None:
            scale = scale * self.weight
        y = centered * scale.reshape(view)
        if self.bias is not None:
            y = y + self.bias.reshape(view)
        if self.track_running_stats and self.running_mean is not None:
            _update_running(self.running_mean, mean._data, factor)
            _update_running(self.running_var, var._data * (count / (count - 1)), factor)
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """Replace every ``BatchNorm*d`` in ``module`` (or ``module`` itself) by a
        ``SyncBatchNorm`` sharing its parameters and running statistics."""
        output = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            output = cls(module.num_features, module.eps, module.momentum, module.affine,
                         module.track_running_stats, process_group)
            if module.affine:
                output.weight = module.weight
                output.bias = module.bias
            output.running_mean = module.running_mean
            output.running_var = module.running_var
            output.num_batches_tracked = module.num_batches_tracked
            output.training = module.training
        for name, child in module.named_children():
            output.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return output
