"""``Optimizer``: the base every algorithm builds on (param groups, state, hooks, state_dict).

An algorithm subclass validates its options, hands ``defaults`` to this base and implements
``_update``, its formula on one parameter's array (in place), and ``_init_state`` when it keeps
state. The base's ``step`` walks ``param_groups`` and does what every algorithm shares: skip
parameters without a gradient, create and count the state, apply ``maximize`` and weight decay.
Everything else (grouping, ``zero_grad``, ``state_dict``/``load_state_dict`` in PyTorch's
layout, step hooks, ``__repr__``) lives here too, so an algorithm file is only its formula.
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from latte import backend, dtypes
from latte.autograd.grad_mode import enable_grad
from latte.nn.modules.module import RemovableHandle  # the one handle type of every hook
from latte.tensor import Tensor

__all__ = ["Optimizer", "required"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]] | Iterable[tuple[str, Tensor]]


class _RequiredParameter:
    """Marks an option without a default: every param group must then give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _hooked(step: Callable) -> Callable:
    """Wrap a subclass's ``step`` to run the step hooks and note that the optimizer has stepped
    (learning-rate schedulers warn when they step first)."""

    @functools.wraps(step)
    def wrapper(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        if self.__dict__.get("_in_step", False):  # a subclass's step calling super().step()
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            for hook in list(self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    args, kwargs = result
            out = step(self, *args, **kwargs)
            self._opt_called = True
            for hook in list(self._optimizer_step_post_hooks.values()):
                hook(self, args, kwargs)
        finally:
            self._in_step = False
        return out

    wrapper._hooked = True  # type: ignore[attr-defined]
    return wrapper


# 0-d bookkeeping kept on the host even for GPU parameters (as PyTorch keeps ``step`` on the
# CPU for non-capturable optimizers): the update reads them as Python floats, and a GPU copy
# would cost a device-to-host sync every step
_HOST_STATE = frozenset({"step", "mu_product"})


def _scalar_dtype() -> np.dtype:
    """The dtype of ``state['step']``: float64 when that is the default dtype, else float32."""
    return np.dtype(np.float64 if dtypes.get_default_dtype() == dtypes.float64 else np.float32)


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: the tensors to optimize: an iterable of tensors, of ``(name, tensor)`` pairs,
            or of dicts (param groups) with a ``'params'`` entry and per-group options that
            override ``defaults``.
        defaults: the algorithm's default options, e.g. ``{'lr': 1e-3, 'momentum': 0}``.

    Example::

        >>> opt = latte.optim.SGD([{'params': model.weight},  # doctest: +SKIP
        ...                        {'params': model.bias, 'weight_decay': 0}],
        ...                       lr=0.1, weight_decay=1e-4)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()  # doctest: +SKIP
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _hooked(step)

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._buffers: dict[tuple, np.ndarray] = {}
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # --- pickling and printing -----------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        self.__dict__.setdefault("_buffers", {})
        # groups saved by an older version may lack newer options: take the defaults
        for group in self.param_groups:
            for name, default in self.defaults.items():
                if default is not required:
                    group.setdefault(name, default)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # --- groups --------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. layers unfrozen mid-training).

        Options the group does not give take the optimizer's ``defaults``. A parameter may
        belong to one group only.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        tensors = [p[1] if isinstance(p, tuple) else p for p in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(tensors) != len({id(p) for p in tensors}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- gradients and stepping ----------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to ``None`` (default) or to zeros in place.

        With ``None``, a parameter that gets no gradient in the next backward is skipped by
        ``step``; with zeros it takes a step with a zero gradient (momentum still moves it).
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad.zero_()

    @_hooked
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Take one step; ``closure`` (optional) recomputes and returns the loss."""
        # the loop every algorithm shares (PyTorch's _init_group): each algorithm gives only
        # _init_state and the formula, _update
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            weight_decay = group.get("weight_decay", 0)
            decoupled = group.get("decoupled_weight_decay", False)
            maximize = group.get("maximize", False)
            for p in self._params_with_grad(group):
                x = p._data
                state = self.state.get(p)
                if state is None:
                    state = {}
                if len(state) == 0:
                    self._init_state(state, x, group)
                step = self._count_step(state) if "step" in state else 0.0
                if weight_decay != 0 and decoupled:  # AdamW's decay, before the update
                    x *= 1 - group["lr"] * weight_decay
                g = self._grad(p, 0 if decoupled else weight_decay, maximize)
                self._update(x, g, state, group, step)
                p._vc[0] += 1
                if state:  # kept once it holds something (SGD without momentum keeps nothing)
                    self.state[p] = state
        return loss

    def _init_state(self, state: dict[str, Any], x: Any, group: dict[str, Any]) -> None:
        """Fill a parameter's empty ``state`` before its first update (``x``: its array)."""

    def _update(self, x: Any, g: Any, state: dict[str, Any], group: dict[str, Any],
                step: float) -> None:
        """The algorithm's formula: update ``x`` in place from the gradient ``g``.

        ``g`` is the gradient ``step`` hands over (negated if ``maximize``, L2 weight decay
        added); it may be ``p.grad``'s own array, never to be written. ``step`` is the new
        ``state['step']`` as a float (0 where the state counts no steps). Subclasses implement
        this, or their own ``step``.
        """
        raise NotImplementedError(f"{type(self).__name__} implements neither step nor _update")

    @staticmethod
    def _eval_closure(closure: Callable[[], Any] | None) -> Any:
        """Run ``closure`` with grad enabled (``step`` may be called under ``no_grad``)."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # --- in-place helpers for the algorithms ---------------------------------------------
    def _params_with_grad(self, group: dict[str, Any]) -> Iterator[Tensor]:
        """The group's parameters that have a gradient, each yielded with its GPU current.

        CuPy runs kernels (and allocates) on the current GPU only, so the update of a parameter
        on ``cuda:1`` must run with ``cuda:1`` current; CPU parameters pay one type check.
        """
        for p in group["params"]:
            if p.grad is None:
                continue
            if type(p._data) is np.ndarray:
                yield p
            else:
                with backend.device_guard(backend.device_of(p._data)):
                    yield p

    @staticmethod
    def _zeros_like(like: Any, fill: float = 0) -> Any:
        """A new state array shaped as ``like``, on ``like``'s device, filled with ``fill``."""
        return backend.array_on(like, "full_like", like, fill)

    def _scratch(self, like: Any, k: int) -> Any:
        """Scratch array number ``k`` with ``like``'s shape, dtype and device.

        A view into one flat buffer per (device, dtype, k), grown to the largest parameter: the
        update formulas then run without allocating (allocation and page faults dominate
        otherwise).
        """
        if type(like) is np.ndarray:
            key: tuple = (like.dtype, k)
        else:
            key = (backend.device_of(like), like.dtype, k)
        buf = self._buffers.get(key)
        if buf is None or buf.size < like.size:
            buf = backend.array_on(like, "empty", like.size, dtype=like.dtype)
            self._buffers[key] = buf
        return buf[:like.size].reshape(like.shape)

    def _grad(self, p: Tensor, weight_decay: float, maximize: bool) -> np.ndarray:
        """The gradient the update uses: ``±grad + weight_decay * p`` (L2 penalty).

        Returns ``p.grad``'s own array when nothing is added (never written to), else
        scratch array 0.
        """
        g = p.grad._data
        if weight_decay == 0 and not maximize:
            return g
        out = self._scratch(p._data, 0)
        if weight_decay == 0:
            return np.negative(g, out=out)
        np.multiply(p._data, weight_decay, out=out)
        return np.subtract(out, g, out=out) if maximize else np.add(out, g, out=out)

    @staticmethod
    def _lerp_(a: np.ndarray, b: np.ndarray, w: float, tmp: np.ndarray) -> None:
        """``a += w * (b - a)`` in place, rounded as ``torch.lerp_`` (the form depends on w)."""
        np.subtract(b, a, out=tmp)
        if abs(w) < 0.5:
            tmp *= w
            a += tmp
        else:
            tmp *= 1.0 - w
            np.subtract(b, tmp, out=a)

    @staticmethod
    def _new_step() -> Tensor:
        """A fresh ``state['step']``: a 0-d float tensor, as PyTorch 2.x keeps it."""
        return Tensor(np.zeros((), dtype=_scalar_dtype()))

    @staticmethod
    def _count_step(state: dict[str, Any]) -> float:
        """Increment ``state['step']`` in place and return its new value as a Python float."""
        step = state["step"]._data
        step += 1
        return float(step)

    # --- hooks ---------------------------------------------------------------------------
    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; it may return new
        ``(args, kwargs)``."""
        handle = RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each ``step``."""
        handle = RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    # --- state_dict ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, ready for ``latte.save``.

        ``{'state': {0: {'step': tensor(3.), 'exp_avg': ...}, ...},
        'param_groups': [{'lr': 0.001, ..., 'params': [0, 1]}, ...]}``: parameters are
        replaced by integer ids, numbered in group order. The tensors are the live state (as in
        PyTorch): save or copy them before stepping again.
        """
        ids: dict[int, int] = {}
        start = 0

        def pack(group: dict[str, Any]) -> dict[str, Any]:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                ids.setdefault(id(p), i)
            packed["params"] = [ids[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(ids[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state from :meth:`state_dict` (Latte's or PyTorch's, e.g. via ``latte.load``).

        Groups are matched by position and must hold as many parameters as this optimizer's;
        state tensors are copied and cast to their parameter's dtype (``step`` stays as saved).
        Create learning-rate schedulers before calling this, or they overwrite the loaded lrs.
        """
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(groups)})")
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group: group {i} has "
                                 f"{len(s['params'])} parameters in the state dict and "
                                 f"{len(g['params'])} in the optimizer")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: self._cast_state(param, key, val, k)
                                for key, val in v.items()}
            else:
                state[k] = v
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})

    @staticmethod
    def _cast_state(param: Tensor, key: str, value: Any, pid: Any) -> Any:
        """A copy of one saved state entry, on the parameter's dtype and device and checked
        against its shape; a number saved as ``step`` (old checkpoints) becomes a 0-d tensor
        again. ``step`` and ``mu_product`` stay on (or come back to) the host."""
        if key == "step" and not isinstance(value, Tensor):
            return Tensor(np.array(float(value), dtype=_scalar_dtype()))
        if not isinstance(value, Tensor):
            return deepcopy(value)
        array, target = value._data, param._data
        if array.ndim > 0 and array.shape != target.shape:
            raise ValueError(f"loaded state dict has '{key}' of shape {list(array.shape)} for "
                             f"parameter {pid}, but the parameter has shape "
                             f"{list(target.shape)}")
        dtype = array.dtype
        if key != "step" and target.dtype.kind == "f" and array.dtype.kind == "f":
            dtype = target.dtype
        place = backend.cpu if key in _HOST_STATE else backend.device_of(target)
        moved = backend.to_device(array, place)  # an explicit copy when the device changes
        if moved is not array:
            return Tensor(backend.run_on(moved, moved.astype, dtype, copy=False))
        return Tensor(backend.run_on(moved, moved.astype, dtype, copy=True))
