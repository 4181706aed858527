"""``latte.autograd.graph``: hooks on the tensors the graph saves for backward, as
``torch.autograd.graph``.

Every tensor an op saves for its backward (through ``save_for_backward``) is handed to the
innermost ``pack_hook`` when it is saved, and what that returns is kept instead; backward calls
``unpack_hook`` on it to get the tensor back. That is how activations are offloaded
(:class:`save_on_cpu`), compressed, or recomputed (``latte.utils.checkpoint``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from latte.autograd import function
from latte.autograd.function import saved_hooks

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class saved_tensors_hooks:
    """Context manager: tensors saved for backward inside it go through ``pack_hook(tensor)``,
    and backward gets them back from ``unpack_hook(packed)``.

    Only the innermost pair applies when they nest. ``pack_hook`` runs with grad mode off and
    must not modify its input in place; ``unpack_hook`` must return a tensor with the values of
    the one saved. The values packed are not checked against later in-place writes (the hook
    owns them), as in PyTorch.

    Example::

        >>> def pack(t):
        ...     return t.numpy().copy()
        >>> def unpack(a):
        ...     return latte.tensor(a)
        >>> with latte.autograd.graph.saved_tensors_hooks(pack, unpack):  # doctest: +SKIP
        ...     y = x.exp()
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if saved_hooks.disabled is not None:
            raise RuntimeError(saved_hooks.disabled)
        saved_hooks.stack = saved_hooks.stack + ((self.pack_hook, self.unpack_hook),)
        return self

    def __exit__(self, *exc: Any) -> None:
        saved_hooks.stack = saved_hooks.stack[:-1]


class save_on_cpu(saved_tensors_hooks):
    """Keep the tensors saved for backward on the CPU and move them back to their device when
    backward needs them: GPU memory then holds no activations between forward and backward.

    ``pin_memory`` is accepted for PyTorch compatibility (host memory here is not pinned).

    Example::

        >>> with latte.autograd.graph.save_on_cpu():  # doctest: +SKIP
        ...     loss = model(x.cuda()).sum()
        >>> loss.backward()  # doctest: +SKIP
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor: Any) -> tuple:
            return tensor.device, function.Tensor(tensor.detach().cpu()._data)

        def unpack_from_cpu(packed: tuple) -> Any:
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:
    """Context manager under which entering ``saved_tensors_hooks`` raises ``error_message``
    (for code that cannot work with them)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self._previous = saved_hooks.disabled
        saved_hooks.disabled = self.error_message

    def __exit__(self, *exc: Any) -> None:
        saved_hooks.disabled = self._previous
