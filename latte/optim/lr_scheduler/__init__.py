"""Learning-rate schedulers, with PyTorch's step semantics so that schedules match torch's.

Call ``scheduler.step()`` once per epoch (or per batch for ``OneCycleLR``) *after*
``optimizer.step()``. Construction already takes the first step: the optimizer's ``lr`` is
then the schedule's value at epoch 0. Most schedulers update the lr from its current value
(PyTorch's "chainable" recursive form, so several can act on one optimizer); the
floating-point sequence then equals torch's exactly, not only approximately.

The base class is in ``base``; the schedulers are grouped by family: ``lambda_lr`` (user
functions), ``decay`` (step, milestone, exponential, polynomial, constant and linear),
``cosine``, ``cyclic`` (one-cycle and cyclic, with momentum), ``plateau`` and ``composite``
(sequential and chained).

Example::

    >>> opt = latte.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # doctest: +SKIP
    >>> sched = latte.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)  # doctest: +SKIP
    >>> for epoch in range(100):  # doctest: +SKIP
    ...     train_one_epoch(model, opt)     # calls opt.step()
    ...     sched.step()
"""
from latte.optim.lr_scheduler.base import LRScheduler, _LRScheduler
from latte.optim.lr_scheduler.composite import ChainedScheduler, SequentialLR
from latte.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from latte.optim.lr_scheduler.cyclic import CyclicLR, OneCycleLR
from latte.optim.lr_scheduler.decay import (ConstantLR, ExponentialLR, LinearLR, MultiStepLR,
                                            PolynomialLR, StepLR)
from latte.optim.lr_scheduler.lambda_lr import LambdaLR, MultiplicativeLR
from latte.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR",
           "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
           "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "SequentialLR",
           "ChainedScheduler", "ReduceLROnPlateau"]

# the classes were defined in this module before it became a package: their reprs and pickles
# keep naming it (latte.optim.lr_scheduler.StepLR), and old pickles resolve here
for _name in [*__all__, "_LRScheduler"]:
    globals()[_name].__module__ = __name__
del _name
