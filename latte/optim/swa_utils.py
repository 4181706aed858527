"""Stochastic Weight Averaging and EMA (``torch.optim.swa_utils``): ``AveragedModel`` keeps a
running average of a model's weights, ``update_bn`` recomputes its BatchNorm statistics and
``SWALR`` anneals the learning rate to a constant for the averaging phase.

Example::

    >>> swa_model = AveragedModel(model)
    >>> swa_sched = SWALR(opt, swa_lr=0.05, anneal_epochs=5)
    >>> for epoch in range(100):
    ...     train_one_epoch(model, opt)
    ...     if epoch >= 75:
    ...         swa_model.update_parameters(model)
    ...         swa_sched.step()
    >>> update_bn(loader, swa_model)
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from latte.autograd.grad_mode import no_grad
from latte.nn.modules.batchnorm import _BatchNorm
from latte.nn.modules.module import Module
from latte.optim.lr_scheduler.base import LRScheduler, _check_optimizer, _format_param
from latte.optim.optimizer import Optimizer
from latte.tensor import Tensor

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
           "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]

ParamList = Sequence[Tensor]
AvgFn = Callable[[Tensor, Tensor, "Tensor | int"], Tensor]
MultiAvgFn = Callable[[ParamList, ParamList, "Tensor | int"], None]


def _is_float(t: Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()


def _lerp_(start: Tensor, end: Tensor, weight: float) -> None:
    """``start += weight * (end - start)`` in place, in ``torch.lerp_``'s two forms (the one
    anchored at ``end`` when ``weight >= 0.5``, so that ``weight = 1`` gives ``end`` exactly)."""
    diff = end - start
    if abs(weight) < 0.5:
        start.add_(diff.mul_(weight))
    else:
        start.copy_(diff.mul_(weight - 1).add_(end))


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    r"""The in-place exponential moving average over lists of tensors, for ``multi_avg_fn``:
    :math:`W^{EMA}_{t+1} = \text{decay}\, W^{EMA}_t + (1 - \text{decay})\, W^{model}_{t+1}`.

    Floating tensors are updated with a lerp; integer ones (``num_batches_tracked``) as
    ``ema * decay + model * (1 - decay)`` truncated back to their dtype, as PyTorch does.

    Example::

        >>> ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.99))
    """
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param_list: ParamList, current_param_list: ParamList, _: Any) -> None:
        if _is_float(ema_param_list[0]):
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                _lerp_(p_ema, p_model, 1 - decay)
        else:
            for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
                p_ema.copy_(p_ema * decay + p_model * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    r"""The in-place equal-weight (SWA) average over lists of tensors, for ``multi_avg_fn``:
    :math:`W^{SWA} \leftarrow W^{SWA} + (W^{model} - W^{SWA}) / (n + 1)` with ``n`` models
    averaged so far, as a lerp of weight ``1 / (n + 1)`` (computed in the default dtype when
    ``n`` is a tensor, as PyTorch does).

    Floating and complex tensors only: PyTorch's version fails on integer ones too. The default
    averaging of ``AveragedModel`` (no ``multi_avg_fn``) also takes integer buffers.
    """

    @no_grad()
    def swa_update(averaged_param_list: ParamList, current_param_list: ParamList,
                   num_averaged: Tensor | int) -> None:
        first = averaged_param_list[0]
        if not _is_float(first):
            raise RuntimeError(
                f"get_swa_multi_avg_fn() averages floating-point tensors only, got {first.dtype} "
                "(PyTorch's fails on them too): use AveragedModel's default averaging "
                "(multi_avg_fn=None) or use_buffers=False for integer buffers")
        weight = float(1 / (num_averaged + 1))
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            _lerp_(p_avg, p_model, weight)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    r"""The exponential moving average of one tensor, for ``avg_fn`` (returns a new tensor):
    ``decay * ema_param + (1 - decay) * current_param``."""
    _check_decay(decay)

    @no_grad()
    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    r"""The equal-weight (SWA) average of one tensor, for ``avg_fn`` (returns a new tensor):
    ``averaged + (current - averaged) / (num_averaged + 1)``."""

    @no_grad()
    def swa_update(averaged_param: Tensor, current_param: Tensor,
                   num_averaged: Tensor | int) -> Tensor:
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


def _swa_divide_(averaged: ParamList, current: ParamList, count: Tensor) -> None:
    """PyTorch's default SWA update on the CPU, in place: ``avg += (cur - avg) / (count + 1)``
    (floating tensors rounded as ``get_swa_avg_fn``; integer ones divided truly, truncated)."""
    divisor = count + 1
    for p_avg, p_model in zip(averaged, current, strict=True):
        if _is_float(p_avg):
            p_avg.add_((p_model - p_avg).div_(divisor))
        else:
            p_avg.copy_(p_avg + (p_model - p_avg) / divisor)


def _group_by_device_and_dtype(pairs: list[tuple[Tensor, Tensor]]
                               ) -> dict[tuple[Any, Any], tuple[list[Tensor], list[Tensor]]]:
    """The (averaged, model) pairs split by the averaged tensor's device and dtype, in order of
    first appearance (the lists a ``multi_avg_fn`` receives, as PyTorch groups them)."""
    groups: dict[tuple[Any, Any], tuple[list[Tensor], list[Tensor]]] = {}
    for p_avg, p_model in pairs:
        avgs, models = groups.setdefault((p_avg.device, p_avg.dtype), ([], []))
        avgs.append(p_avg)
        models.append(p_model)
    return groups


class AveragedModel(Module):
    r"""A copy of ``model`` whose parameters hold a running average of ``model``'s: Stochastic
    Weight Averaging (equal weights, the default) or an exponential moving average (EMA).

    Each :meth:`update_parameters` call averages in ``model``'s current weights; the first one
    copies them. ``n_averaged`` (a ``long`` buffer) counts the calls. Buffers (BatchNorm
    statistics) are copied from ``model`` unless ``use_buffers``, which averages them too;
    otherwise recompute them with :func:`update_bn` after training.

    Args:
        model: the module to average; deep-copied into ``self.module``.
        device: where the copy lives, if not on ``model``'s device.
        avg_fn: ``avg_fn(averaged, current, n_averaged) -> Tensor``, the average of one
            tensor (e.g. :func:`get_ema_avg_fn`); default equal weights.
        multi_avg_fn: ``multi_avg_fn(averaged_list, current_list, n_averaged)``, updating the
            lists in place (e.g. :func:`get_ema_multi_avg_fn`); at most one of the two.
        use_buffers: average the buffers as well as the parameters.

    ``forward`` calls ``self.module``. ``state_dict`` keys are ``n_averaged`` and
    ``module.<name>``, as PyTorch's; ``avg_fn`` and ``multi_avg_fn`` are not saved.

    Example::

        >>> ema_model = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.999),
        ...                           use_buffers=True)
        >>> opt.step(); ema_model.update_parameters(model)
    """

    n_averaged: Tensor

    def __init__(self, model: Module, device: Any = None, avg_fn: AvgFn | None = None,
                 multi_avg_fn: MultiAvgFn | None = None, use_buffers: bool = False) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            # AssertionError, as PyTorch raises
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        n_averaged = Tensor(np.array(0, dtype=np.int64))
        self.register_buffer("n_averaged",
                             n_averaged if device is None else n_averaged.to(device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    @no_grad()
    def update_parameters(self, model: Module) -> None:
        """Average ``model``'s parameters (and buffers, with ``use_buffers``) into this copy;
        the first call copies them."""
        if self.use_buffers:
            ours: Iterable[Tensor] = chain(self.module.parameters(), self.module.buffers())
            theirs: Iterable[Tensor] = chain(model.parameters(), model.buffers())
        else:
            ours, theirs = self.parameters(), model.parameters()
        # zip stops at the shorter list, as PyTorch's (strict only for the buffers below)
        pairs = [(a.detach(), b.detach().to(a.device)) for a, b in zip(ours, theirs)]
        if bool(self.n_averaged == 0):
            for p_avg, p_model in pairs:
                p_avg.copy_(p_model)
        elif self.avg_fn is not None:
            for p_avg, p_model in pairs:
                p_avg.copy_(self.avg_fn(p_avg, p_model, self.n_averaged.to(p_avg.device)))
        else:
            for (dev, _), (avgs, models) in _group_by_device_and_dtype(pairs).items():
                count = self.n_averaged.to(dev)
                if self.multi_avg_fn is not None:
                    self.multi_avg_fn(avgs, models, count)
                elif dev.type == "cuda":  # PyTorch's foreach devices take the lerp form
                    get_swa_multi_avg_fn()(avgs, models, count)
                else:
                    _swa_divide_(avgs, models, count)
        if not self.use_buffers:
            # buffers not averaged follow the source model
            for b_swa, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                b_swa.detach().copy_(b_model.detach().to(b_swa.device))
        self.n_averaged += 1


@no_grad()
def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``.

    Each BatchNorm layer's statistics are reset and accumulated as a cumulative average
    (``momentum=None``) over the batches; the momenta and ``model``'s train/eval mode are then
    restored. A batch is a tensor, or a list/tuple whose first element is the input.

    Args:
        loader: iterable of batches (a ``DataLoader``).
        model: the model to update, e.g. an :class:`AveragedModel`.
        device: if given, each input is moved there before the forward pass.

    Example::

        >>> update_bn(train_loader, swa_model)
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        if device is not None:
            batch = batch.to(device)
        model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs`` epochs, then hold
    it: with :math:`t = \min(1, \text{epoch} / \text{anneal\_epochs})` and
    :math:`\alpha = (1 - \cos \pi t) / 2` (``'cos'``) or :math:`t` (``'linear'``), the lr is
    :math:`\alpha\, \text{swa\_lr} + (1 - \alpha)\, \text{lr}_0`, where :math:`\text{lr}_0` is
    recovered from the current lr, so SWALR may take over from another scheduler.

    Args:
        optimizer: the optimizer whose lrs are set; each group gets a ``'swa_lr'`` entry.
        swa_lr: the final lr, for all groups or one per group (a list).
        anneal_epochs: length of the annealing phase (an int >= 0; 0 jumps to ``swa_lr``).
        anneal_strategy: ``'cos'`` or ``'linear'``.
        last_epoch: the index of the last epoch (-1 starts a new schedule).

    Example::

        >>> swa_sched = SWALR(opt, swa_lr=0.05, anneal_epochs=10, anneal_strategy="linear")
        >>> for epoch in range(20):
        ...     train_one_epoch(model, opt); swa_model.update_parameters(model)
        ...     swa_sched.step()
    """

    def __init__(self, optimizer: Optimizer, swa_lr: float | list[float],
                 anneal_epochs: int = 10, anneal_strategy: str = "cos",
                 last_epoch: int = -1) -> None:
        _check_optimizer(optimizer)
        swa_lrs = _format_param("swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy!r}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got "
                             f"{anneal_epochs!r}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        """The lr the annealing started from, given the current ``lr`` at progress ``alpha``."""
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> list[float]:
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        groups = self.optimizer.param_groups
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(groups, prev_lrs, strict=True)]

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func = (self._cosine_anneal if anneal_strategy == "cos"
                            else self._linear_anneal)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer and the annealing function (restored from
        ``_anneal_strategy`` on load)."""
        return {key: value for key, value in self.__dict__.items()
                if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
