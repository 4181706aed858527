"""``skip_init``: build a layer without spending time on its initial values."""
from __future__ import annotations

import inspect
from typing import Any

__all__ = ["skip_init"]


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Any:
    """``module_cls(*args, **kwargs)`` whose parameters are to be overwritten anyway (by a
    checkpoint or a custom init). PyTorch skips the initialisation by building on the 'meta'
    device; Latte has none, so the layer is built normally (its values are then as good as
    arbitrary). As PyTorch, ``module_cls`` must take a ``device`` argument.

    Example::

        >>> fc = nn.utils.skip_init(nn.Linear, 5, 1)
        >>> fc.weight.shape
        latte.Size([1, 5])
    """
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
