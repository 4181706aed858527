"""``state_dict`` and ``load_state_dict`` of ``Module``: parameters and persistent buffers by
dotted name, with PyTorch's keys, checked all at once before anything is copied; the state-dict
hooks and ``get_extra_state``/``set_extra_state`` that let a module adjust both."""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from latte import backend
from latte.autograd.grad_mode import no_grad
from latte.nn.modules._module_hooks import RemovableHandle
from latte.nn.parameter import Parameter
from latte.tensor import Tensor

__all__: list[str] = []

_EXTRA_STATE = "_extra_state"


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


def _public_post_hook(hook: Callable) -> Callable:
    """``register_state_dict_post_hook``'s hooks edit the dict in place; the legacy private
    ``_register_state_dict_hook`` ones may return a new dict instead."""
    def run(module: Any, state_dict: Any, prefix: str, local_metadata: dict) -> None:
        if hook(module, state_dict, prefix, local_metadata) is not None:
            raise RuntimeError("state_dict post-hook must return None")
    return run


def _post_order(module: Any) -> Iterator[Any]:
    """Every submodule after its children, duplicates included (the order of load hooks)."""
    for child in module._modules.values():
        if child is not None:
            yield from _post_order(child)
    yield module


class _ModuleState:
    """The ``state_dict``/``load_state_dict`` methods of ``Module`` and their hooks."""

    _version: int
    _parameters: OrderedDict
    _buffers: OrderedDict
    _non_persistent_buffers_set: set
    _modules: OrderedDict
    _state_dict_pre_hooks: OrderedDict
    _state_dict_hooks: OrderedDict
    _load_state_dict_pre_hooks: OrderedDict
    _load_state_dict_post_hooks: OrderedDict
    named_modules: Callable[..., Iterator[tuple[str, Any]]]
    _get_name: Callable[[], str]

    # --- saving ----------------------------------------------------------------------------
    def _has_extra_state(self) -> bool:
        return type(self).get_extra_state is not _ModuleState.get_extra_state

    def get_extra_state(self) -> Any:
        """State beyond parameters and buffers to save under ``"_extra_state"``; override it
        (with :meth:`set_extra_state`) to use it. The base method is never called.

        Example::

            >>> class Counter(nn.Module):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.calls = 3
            ...     def get_extra_state(self):
            ...         return {"calls": self.calls}
            ...     def set_extra_state(self, state):
            ...         self.calls = state["calls"]
            >>> dict(Counter().state_dict())
            {'_extra_state': {'calls': 3}}
        """
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called. Please file an issue at https://github.com/pytorch/"
                           "pytorch/issues/new?template=bug-report.yml to report this bug.")

    def set_extra_state(self, state: Any) -> None:
        """Restore what :meth:`get_extra_state` returned; override the two together.

        Args:
            state: the value found under ``"_extra_state"`` in the loaded ``state_dict``.
        """
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called. Please file an issue at https://github.com/pytorch/"
                           "pytorch/issues/new?template=bug-report.yml to report this bug.")

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Put this module's own state (not its children's) into ``destination``."""
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if self._has_extra_state():
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """Parameters and persistent buffers by dotted name (``"layer1.0.weight"``), detached.

        The keys equal PyTorch's for the same architecture, so checkpoints move both ways; the
        dict's ``_metadata`` holds each module's ``version``. Pre-hooks run before a module's
        entries are added, post-hooks after its children's.

        Example::

            >>> list(nn.Sequential(nn.Linear(2, 2)).state_dict())
            ['0.weight', '0.bias']
        """
        if args:  # the legacy positional form state_dict(destination, prefix, keep_vars)
            destination, prefix, keep_vars = (list(args) + [destination, prefix, keep_vars][
                len(args):])[:3]
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()  # type: ignore[attr-defined]
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if result is not None:
                destination = result
        return destination

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, prefix, keep_vars)`` runs before ``module.state_dict()`` collects
        anything (for each submodule that has one).

        Example::

            >>> m = nn.Linear(2, 2)
            >>> h = m.register_state_dict_pre_hook(lambda mod, prefix, keep_vars: print(prefix))
            >>> _ = nn.Sequential(m).state_dict()
            0.
        """
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata)`` runs after ``module``'s entries
        are in ``state_dict``; it may edit the dict in place and must return None.

        Example::

            >>> def drop_bias(module, state_dict, prefix, local_metadata):
            ...     del state_dict[prefix + "bias"]
            >>> m = nn.Linear(2, 2)
            >>> h = m.register_state_dict_post_hook(drop_bias)
            >>> list(m.state_dict())
            ['weight']
        """
        wrapped = _public_post_hook(hook)
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = wrapped
        return handle

    def _register_state_dict_hook(self, hook: Callable) -> RemovableHandle:
        # the legacy private form: the hook may return a new dict
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    # --- loading -----------------------------------------------------------------------------
    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` runs before ``load_state_dict`` reads anything; it may
        rename or add keys of ``state_dict`` in place (to load an old checkpoint).

        Example::

            >>> m = nn.Linear(2, 2)
            >>> def rename(mod, sd, prefix, *rest):
            ...     sd[prefix + "weight"] = sd.pop(prefix + "w")
            >>> h = m.register_load_state_dict_pre_hook(rename)
            >>> m.load_state_dict({"w": latte.ones(2, 2), "bias": latte.zeros(2)})
            <All keys matched successfully>
        """
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook: Callable,
                                           with_module: bool = False) -> RemovableHandle:
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = hook if with_module else (
            lambda module, *rest: hook(*rest))
        return handle

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(module, incompatible_keys)`` runs after ``load_state_dict`` has loaded
        ``module`` and its children; it may edit ``incompatible_keys.missing_keys`` and
        ``.unexpected_keys`` in place (before ``strict`` looks at them) and must return None.

        Example::

            >>> m = nn.Linear(2, 2)
            >>> h = m.register_load_state_dict_post_hook(
            ...     lambda mod, keys: keys.unexpected_keys.clear())
            >>> m.load_state_dict({**m.state_dict(), "extra": latte.ones(1)})
            <All keys matched successfully>
        """
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    def _state_entries(self) -> OrderedDict[str, tuple[Any, str, Tensor]]:
        """``(module, name, tensor)`` of everything ``load_state_dict`` fills, by key (a shared
        tensor under each of its names)."""
        entries: OrderedDict = OrderedDict()
        for prefix, module in self.named_modules(remove_duplicate=False):
            dot = prefix + "." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    entries[dot + name] = (module, name, p)
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    entries[dot + name] = (module, name, b)
        return entries

    def load_state_dict(self, state_dict: Any, strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` into this module.

        Everything is checked before anything is copied: with ``strict=True`` any missing or
        unexpected key, and in every case any shape conflict, raises one ``RuntimeError`` that
        lists them all, and the module is left unchanged (unless a load post-hook is registered:
        it runs after copying and may forgive keys, so ``strict`` is judged after it). Values may
        be Latte tensors, NumPy arrays or anything with ``__array__``. With ``assign`` the
        module takes the given tensors themselves (their dtype and memory), keeping only each
        parameter's ``requires_grad``. Returns ``(missing_keys, unexpected_keys)``.

        Example::

            >>> m = nn.Linear(2, 2)
            >>> m.load_state_dict({"weight": latte.ones(2, 2)}, strict=False)
            _IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got "
                            f"{type(state_dict).__name__}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # pre-hooks may edit it; the caller's dict stays
        if metadata is not None:
            state_dict._metadata = metadata  # type: ignore[attr-defined]
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        modules = list(self.named_modules(remove_duplicate=False))
        for prefix, module in modules:
            local_metadata = {} if metadata is None else metadata.get(prefix, {})
            for hook in module._load_state_dict_pre_hooks.values():
                hook(module, state_dict, prefix + "." if prefix else "", local_metadata, strict,
                     missing, unexpected, errors)
        entries = self._state_entries()
        extra = OrderedDict((prefix + "." + _EXTRA_STATE if prefix else _EXTRA_STATE, module)
                            for prefix, module in modules if module._has_extra_state())
        missing.extend(k for k in [*entries, *extra] if k not in state_dict)
        unexpected.extend(k for k in state_dict.keys() if k not in entries and k not in extra)
        copies = []
        for key, (module, name, target) in entries.items():
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
            copies.append((module, name, target, state_dict[key], value))
        post_hooks = any(m._load_state_dict_post_hooks for _, m in modules)
        if errors or (not post_hooks and self._strict_errors(strict, missing, unexpected)):
            self._raise_load_errors(self._strict_errors(strict, missing, unexpected) + errors)
        with no_grad():
            for module, name, target, given, value in copies:
                if hasattr(target, "materialize"):  # a lazy layer's placeholder takes the shape
                    target.materialize(value.shape)
                if assign:
                    self._assign(module, name, target, given, value)
                else:  # into the existing array: a CPU checkpoint loads onto a GPU model
                    value = backend.to_device(value, backend.device_of(target._data))
                    backend.get_array_module(target._data).copyto(target._data, value,
                                                                  casting="unsafe")
                    target._vc[0] += 1
        for key, module in extra.items():
            if key in state_dict:
                module.set_extra_state(state_dict[key])
        incompatible = _IncompatibleKeys(missing, unexpected)
        if post_hooks:
            for module in _post_order(self):
                for hook in module._load_state_dict_post_hooks.values():
                    if hook(module, incompatible) is not None:
                        raise AssertionError(
                            "Hooks registered with ``register_load_state_dict_post_hook`` are "
                            "not expected to return new values, if incompatible_keys need to "
                            "be modified, it should be done inplace.")
            if self._strict_errors(strict, missing, unexpected):
                self._raise_load_errors(self._strict_errors(strict, missing, unexpected))
        return incompatible

    @staticmethod
    def _strict_errors(strict: bool, missing: list, unexpected: list) -> list[str]:
        if not strict:
            return []
        errors = []
        if missing:  # PyTorch lists missing keys first, then unexpected ones
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        return errors

    def _raise_load_errors(self, errors: list[str]) -> None:
        raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                           + "\n\t".join(errors))

    @staticmethod
    def _assign(module: Any, name: str, target: Tensor, given: Any, value: Any) -> None:
        """``load_state_dict(assign=True)``: the module takes ``given`` itself (a parameter
        wrapped as one, with the module's ``requires_grad``), as PyTorch."""
        tensor = given if isinstance(given, Tensor) else Tensor(value)
        if name in module._parameters:
            if isinstance(tensor, Parameter):
                tensor.requires_grad_(target.requires_grad)
            else:
                tensor = Parameter(tensor.detach(), target.requires_grad)
            module._parameters[name] = tensor
        else:
            module._buffers[name] = tensor
