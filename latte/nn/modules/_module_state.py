"""``state_dict`` and ``load_state_dict`` of ``Module``: parameters and persistent buffers by
dotted name, with PyTorch's keys, checked all at once before anything is copied."""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from latte import backend
from latte.autograd.grad_mode import no_grad
from latte.tensor import Tensor

__all__: list[str] = []


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict(strict=False)`` returns."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _as_array(value: Any) -> Any:
    """A state_dict value as an array: Latte tensors, NumPy arrays, or anything with __array__."""
    if isinstance(value, Tensor):
        return value._data
    if backend.is_device_array(value):  # a raw GPU array: np.asarray would refuse it
        return value
    return np.asarray(value)


class _ModuleState:
    """The ``state_dict``/``load_state_dict`` methods of ``Module``."""

    _parameters: OrderedDict
    _buffers: OrderedDict
    _non_persistent_buffers_set: set
    _modules: OrderedDict
    named_modules: Callable[..., Iterator[tuple[str, Any]]]
    _get_name: Callable[[], str]

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (``"layer1.0.weight"``), detached.

        The keys equal PyTorch's for the same architecture, so checkpoints move both ways.
        """
        if args:  # the legacy positional form state_dict(destination, prefix, keep_vars)
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars][
                len(args):])[:3]
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def _state_entries(self) -> OrderedDict[str, Tensor]:
        """Every tensor ``load_state_dict`` fills, by key (shared ones under each name)."""
        entries: OrderedDict = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = prefix + "." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    entries[dot + name] = p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    entries[dot + name] = b
        return entries

    def load_state_dict(self, state_dict: Any, strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` into this module.

        Everything is checked before anything is copied: with ``strict=True`` any missing or
        unexpected key, and in every case any shape conflict, raises one ``RuntimeError`` that
        lists them all, and the module is left unchanged. Values may be Latte tensors, NumPy
        arrays or anything with ``__array__``. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got "
                            f"{type(state_dict).__name__}.")
        entries = self._state_entries()
        missing = [k for k in entries if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in entries]
        errors = []
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        copies = []
        for key, target in entries.items():
            if key not in state_dict:
                continue
            try:
                value = _as_array(state_dict[key])
            except Exception as exc:  # noqa: BLE001 - reported with the key below
                errors.append(f'While copying the parameter named "{key}", whose type is '
                              f'{type(state_dict[key]).__name__}: {exc}')
                continue
            if value.shape != target._data.shape and not hasattr(target, "materialize"):
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"latte.Size({list(value.shape)}) from checkpoint, the shape in "
                              f"current model is latte.Size({list(target._data.shape)}).")
                continue
            copies.append((target, value))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for target, value in copies:
                if hasattr(target, "materialize"):  # a lazy layer's placeholder takes the shape
                    target.materialize(value.shape)
                if assign:  # the given values, on their own device (as PyTorch)
                    target._data = backend.get_array_module(value).array(
                        value, dtype=target._data.dtype)
                else:  # into the existing array: a CPU checkpoint loads onto a GPU model
                    value = backend.to_device(value, backend.device_of(target._data))
                    backend.get_array_module(target._data).copyto(target._data, value,
                                                                  casting="unsafe")
                target._vc[0] += 1
        return _IncompatibleKeys(missing, unexpected)
