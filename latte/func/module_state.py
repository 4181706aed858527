"""Modules as functions of their state, as ``torch.func``: ``functional_call`` runs a module with
given tensors in place of its parameters and buffers, ``stack_module_state`` stacks the state
of several copies for ``vmap``, ``replace_all_batch_norm_modules_`` drops running statistics.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from latte.nn import Module

__all__ = ["functional_call", "stack_module_state", "replace_all_batch_norm_modules_"]


def _merge(dicts: Any) -> dict:
    if isinstance(dicts, dict):
        return dicts
    if not isinstance(dicts, Sequence) or not all(isinstance(d, dict) for d in dicts):
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(dicts)}")
    seen: set = set()
    repeated = [k for d in dicts for k in d if k in seen or seen.add(k)]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional "
                         f"call is ambiguous")
    return {k: v for d in dicts for k, v in d.items()}


def _untie(module: Module, given: dict) -> dict:
    """``given`` with each value also under the other names of the tensor it replaces."""
    names: dict = {}  # id of a parameter or buffer -> every name it has
    for table in (module.named_parameters(remove_duplicate=False),
                  module.named_buffers(remove_duplicate=False)):
        for name, t in table:
            names.setdefault(id(t), []).append(name)
    untied = dict(given)
    for group in names.values():
        keys = [n for n in group if n in given]
        if len(group) < 2 or not keys:
            continue
        if len({id(given[n]) for n in keys}) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(group)}, "
                             f"which are tied. Consider using tie_weights=False")
        untied.update({n: given[keys[0]] for n in group})
    return untied


def _check_keys(module: Module, given: dict) -> None:
    known = [n for n, _ in module.named_parameters(remove_duplicate=False)]
    known += [n for n, _ in module.named_buffers(remove_duplicate=False)]
    errors = []
    unexpected = sorted(k for k in given if k not in known)
    missing = sorted(k for k in known if k not in given)
    if unexpected:
        errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
    if missing:
        errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
    if errors:
        raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                           + "\n\t".join(errors))


def _slot(module: Module, name: str) -> tuple:
    """``(table, key)`` holding ``name`` (a dotted path): a module's ``_parameters`` or
    ``_buffers``, or its ``__dict__`` for a name that is neither."""
    path, _, attr = name.rpartition(".")
    owner = module.get_submodule(path) if path else module
    for table in ("_parameters", "_buffers"):
        if attr in owner.__dict__[table]:
            return owner.__dict__[table], attr
    return owner.__dict__, attr


def functional_call(module: Module, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts`` (a dict,
    or a tuple of dicts, keyed by dotted name) in place of its parameters and buffers, as
    ``torch.func.functional_call``. The module's own tensors are back afterwards, even after
    an error; gradients flow to the given tensors, and in-place updates (batch norm's running
    statistics) land in them.

    Args:
        args: the positional arguments (a tuple, or one value that is not a tuple).
        tie_weights: a value given for one of several names of one tensor (tied weights)
            replaces it under every name.
        strict: raise unless the keys are exactly the module's parameters and buffers. Without
            it, names the module lacks are set as plain attributes during the call.

    Example::

        >>> model = latte.nn.Linear(3, 2)
        >>> params = {"weight": latte.zeros(2, 3), "bias": latte.ones(2)}
        >>> latte.func.functional_call(model, params, (latte.ones(1, 3),))
        tensor([[1., 1.]])
    """
    from latte.tensor import Tensor
    given = _merge(parameter_and_buffer_dicts)
    for value in given.values():
        if not isinstance(value, Tensor):
            raise TypeError(f"{value!r} is not an instance of latte.Tensor")
    untied = _untie(module, given) if tie_weights else given
    if strict:
        _check_keys(module, untied)
    if not isinstance(args, tuple):
        args = () if args is None else (args,)
    saved = []  # (name, table, key, what it held or a marker for a key it lacked)
    missing = object()
    try:
        for name, value in untied.items():
            table, key = _slot(module, name)
            saved.append((name, table, key, table.get(key, missing)))
            table[key] = value
        return module(*args, **(kwargs or {}))
    finally:
        for name, table, key, original in reversed(saved):
            if name in given:  # a module that reassigned a buffer leaves its new value there
                given[name] = table[key]
            if original is missing:
                del table[key]
            else:
                table[key] = original


def stack_module_state(models: Sequence[Module]) -> tuple[dict, dict]:
    """``(params, buffers)``: the parameters and buffers of ``models`` (copies of one module)
    stacked along a new first dim, keyed by dotted name, as ``torch.func.stack_module_state``.
    The stacked parameters are new leaves (requiring grad as the originals do), ready for an
    optimizer; ``vmap`` over ``functional_call`` runs the ensemble.

    Example::

        >>> models = [latte.nn.Linear(3, 2) for _ in range(4)]
        >>> params, buffers = latte.func.stack_module_state(models)
        >>> params["weight"].shape
        latte.Size([4, 2, 3])
        >>> def run(p, b, x):
        ...     return latte.func.functional_call(models[0], (p, b), (x,))
        >>> latte.func.vmap(run, in_dims=(0, 0, None))(params, buffers, latte.ones(5, 3)).shape
        latte.Size([4, 5, 2])
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if len({m.training for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to have the same "
                           "training/eval mode.")
    if len({type(m) for m in models}) > 1:
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = [dict(m.named_parameters()) for m in models]
    buffers = [dict(m.named_buffers()) for m in models]
    return ({k: _stacked_leaf([p[k] for p in params], k) for k in params[0]},
            {k: _stacked_leaf([b[k] for b in buffers], k) for k in buffers[0]})


def _stacked_leaf(tensors: list, name: str) -> Any:
    from latte import stack
    flags = {t.requires_grad for t in tensors}
    if len(flags) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack([t.detach() for t in tensors])
    return result.requires_grad_() if flags.pop() else result


def replace_all_batch_norm_modules_(root: Module) -> Module:
    """Make every batch norm in ``root`` use batch statistics only: running statistics set to
    None and ``track_running_stats`` False, in place (for ``vmap`` over a model whose running
    statistics would otherwise be shared by the slices). Returns ``root``.

    Example::

        >>> net = latte.func.replace_all_batch_norm_modules_(latte.nn.BatchNorm1d(3))
        >>> net.running_mean is None
        True
    """
    from latte.nn.modules.batchnorm import _BatchNorm
    for m in root.modules():
        if isinstance(m, _BatchNorm) and m.track_running_stats:
            m.running_mean = m.running_var = m.num_batches_tracked = None
            m.track_running_stats = False
    return root
