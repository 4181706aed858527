"""``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``: normalise each channel by batch statistics
in training and by running averages (buffers) in evaluation."""
from __future__ import annotations

from typing import Any

import numpy as np

from latte import creation
from latte.backend import run_on
from latte.nn import init
from latte.nn.functional.normalization import batch_norm
from latte.nn.modules.module import Module, place
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


def init_norm_state(module: Module, num_features: int, eps: float, momentum: float | None,
                    affine: bool, track_running_stats: bool, dtype: Any, bias: bool) -> None:
    """The options, affine parameters and running-statistics buffers that batch and instance
    norm share (PyTorch's ``_NormBase``), registered under PyTorch's state_dict names."""
    module.num_features = num_features
    module.eps = eps
    module.momentum = momentum
    module.affine = affine
    module.track_running_stats = track_running_stats
    if affine:
        module.weight = Parameter(creation.ones(num_features, dtype=dtype))
        if bias:
            module.bias = Parameter(creation.zeros(num_features, dtype=dtype))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)
    if track_running_stats:
        module.register_buffer("running_mean", creation.zeros(num_features, dtype=dtype))
        module.register_buffer("running_var", creation.ones(num_features, dtype=dtype))
        module.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
    else:
        module.register_buffer("running_mean", None)
        module.register_buffer("running_var", None)
        module.register_buffer("num_batches_tracked", None)


def _count_batch(count: Any) -> Any:
    """``count += 1`` in place; returns ``1 / count`` as a 0-d array (not float(), which on a
    GPU would copy the count to the host), the cumulative average's momentum."""
    count += 1
    return 1.0 / count


class NormBase(Module):
    """What batch and instance norm share (PyTorch's ``_NormBase``): the state made by
    ``init_norm_state`` and its reset."""

    _version = 2  # PyTorch's: the state_dict metadata of batch and instance norm says 2

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch counted."""
        if self.track_running_stats:
            self.running_mean._data.fill(0)
            self.running_var._data.fill(1)
            self.num_batches_tracked._data.fill(0)

    def reset_parameters(self) -> None:
        """The running statistics reset, ``weight`` ones and ``bias`` zeros."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)


class _BatchNorm(NormBase):
    """Shared logic; subclasses fix the accepted input ranks."""

    _ranks: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device: Any = None,
                 dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        init_norm_state(self, num_features, eps, momentum, affine, track_running_stats, dtype,
                        bias)
        place(self, device)

    def _check_input(self, input: Tensor) -> None:
        if input.dim() not in self._ranks:
            raise ValueError(f"{self!r}: expected {' or '.join(f'{r}D' for r in self._ranks)} "
                             f"input {self._layout}, got shape {tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected input with {self.num_features} channels "
                             f"(dim 1), got shape {tuple(input.shape)}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            count = self.num_batches_tracked._data
            cumulative = run_on(count, _count_batch, count)  # on the buffer's GPU
            self.num_batches_tracked._vc[0] += 1
            if self.momentum is None:  # cumulative moving average
                factor = cumulative
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        keep_stats = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if keep_stats else None,
                          self.running_var if keep_stats else None, self.weight, self.bias,
                          use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over ``(N, C)`` or ``(N, C, L)``: statistics per channel over N (and L).

    Example::

        >>> bn = nn.BatchNorm1d(16)
        >>> bn(latte.randn(8, 16)).shape
        latte.Size([8, 16])
    """

    _ranks = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch norm over ``(N, C, H, W)``: statistics per channel over N, H, W; running mean and
    (unbiased) variance kept as buffers, ``momentum=None`` for a cumulative average.

    Example::

        >>> bn = nn.BatchNorm2d(64)
        >>> bn(latte.randn(4, 64, 8, 8)).shape
        latte.Size([4, 64, 8, 8])
    """

    _ranks = (4,)
    _layout = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch norm over ``(N, C, D, H, W)``."""

    _ranks = (5,)
    _layout = "(N, C, D, H, W)"

