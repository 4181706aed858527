"""``vmap``: a function mapped over one dimension of its inputs, as ``torch.func.vmap``.

A loop: ``func`` runs on each slice of the batched inputs and the results are stacked. PyTorch
instead runs ``func`` once on batched tensors; values, shapes, errors and gradients are the same,
only the speed differs (one call per slice). Being a loop, it composes with everything for
free: nested ``vmap``, ``vmap(grad(f))``, and ``.backward()`` through the stacked result.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from latte.func._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOMNESS = ("error", "different", "same")


def _check_randomness(randomness: str) -> None:
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _no_draws(func: Callable) -> Callable:
    """``func``, raising PyTorch's error when a call draws from the default generator: a loop
    cannot see random ops, but it can see the generator's state move."""
    from latte.random import get_rng_state

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        before = get_rng_state()
        out = func(*args, **kwargs)
        if not get_rng_state().equal(before):
            raise RuntimeError("vmap: called random operation while in randomness error mode. "
                               "Please either use the 'same' or 'different' randomness flags "
                               "on vmap or perform the randomness operation out of vmap")
        return out

    return checked


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """``func`` mapped over a dimension of its inputs: ``vmap(f)(x)[i]`` is ``f(x[i])``.

    A reference implementation: ``func`` is called once per slice of the batch and the results
    are stacked (PyTorch batches the ops instead; the values are the same).

    Args:
        func: a function of Tensors (or nested tuples, lists and dicts of them) returning Tensors
            or nested tuples, lists and dicts of them. Keyword arguments are passed unbatched.
        in_dims: the batched dim of each positional argument: an int for all, None for an
            unbatched argument, or a tuple with one entry per argument (nested as the argument
            is, an int or None standing for everything below it).
        out_dims: where the batch dim goes in each output, with the same structure rules; an
            output with ``out_dims`` None must not depend on the batch (it is returned once,
            and checked to be the same for every slice where that needs no device read).
        randomness: ``'different'``: each slice draws its own random numbers (the plain loop);
            ``'same'``: every slice starts from one saved state of the default generator, so
            all draw the same numbers (GPU dropout masks, drawn by the GPU's own generator,
            still differ); ``'error'`` (the default): a slice that draws from the default
            generator raises, as PyTorch does on a random op.
        chunk_size: checked as PyTorch's; the loop already holds one slice at a time, the
            memory bound chunking buys in PyTorch, so it changes nothing here.

    Example::

        >>> x, w = latte.ones(4, 3), latte.ones(3, 2)
        >>> latte.func.vmap(latte.matmul, in_dims=(0, None))(x, w).shape  # (3,) @ (3, 2) per row
        latte.Size([4, 2])
        >>> latte.func.vmap(latte.dot)(x, x)
        tensor([3., 3., 3., 3.])
    """
    _check_randomness(randomness)
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return _vmap_call(func, in_dims, out_dims, randomness, args, kwargs)

    return wrapped


def _name(func: Callable) -> str:
    return getattr(func, "__name__", repr(func))


def _batch_size(leaves: list, dims: list, where: str) -> int:
    from latte.tensor import Tensor
    sizes = []
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"{where}: in_dims must be int or None at each input, got {d!r}.")
        if not isinstance(x, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(x)}. We cannot vmap over non-Tensor arguments, please use "
                             f"None as the respective in_dim")
        n = x.dim()
        if not -n <= d < n:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a Tensor "
                             f"of dimensionality {n} so expected in_dim to satisfy "
                             f"-{n} <= in_dim < {n}.")
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if len(set(sizes)) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def _vmap_call(func: Callable, in_dims: Any, out_dims: Any, randomness: str, args: tuple,
               kwargs: dict) -> Any:
    from latte.random import get_rng_state, set_rng_state
    name = _name(func)
    where = f"vmap({name}, in_dims={in_dims}, ...)(<inputs>)"
    if not args:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                         f"or you are trying to vmap over a function with no inputs. The latter "
                         f"is unsupported.")
    if not (in_dims is None or isinstance(in_dims, (int, tuple))):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple "
                         f"matching the structure of inputs, got: {type(in_dims)}.")
    leaves, spec = tree_flatten(args)
    dims = broadcast_prefix(in_dims, args)
    if dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. "
                         f"in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {spec}.")
    size = _batch_size(leaves, dims, where)
    state = get_rng_state() if randomness == "same" else None
    if randomness == "error":
        func = _no_draws(func)
    results = []
    # an empty batch still needs the outputs' structure and shapes: run one slice of zeros
    for i in range(max(size, 1)):
        if state is not None:
            set_rng_state(state)
        sliced = [_slice(x, d, i, size) for x, d in zip(leaves, dims)]
        results.append(func(*tree_unflatten(sliced, spec), **kwargs))
    return _stack_outputs(results, out_dims, name, empty=size == 0)


def _slice(x: Any, d: int | None, i: int, size: int) -> Any:
    """Slice ``i`` of ``x`` along ``d`` (zeros of a slice's shape for an empty batch)."""
    if d is None:
        return x
    if size == 0:
        d %= x.dim()
        return x.new_zeros(tuple(x.shape[:d]) + tuple(x.shape[d + 1:]))
    return x.select(d, i)


def _stack_outputs(results: list, out_dims: Any, name: str, empty: bool) -> Any:
    """One output of ``results[0]``'s structure: each leaf stacked over the slices."""
    from latte import stack
    from latte.tensor import Tensor
    flat = [tree_flatten(r) for r in results]
    spec = flat[0][1]
    other = next((s for _, s in flat if s != spec), None)
    if other is not None:
        raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures "
                         f"for different slices: {spec} and {other}")
    dims = broadcast_prefix(out_dims, results[0])
    if dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                         f"compatible with the structure of `outputs`. out_dims has structure "
                         f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}.")
    out = []
    for column, d in zip(zip(*(leaves for leaves, _ in flat)), dims):
        if d is None:
            out.append(_unbatched(column, name))
            continue
        bad = next((c for c in column if not isinstance(c, Tensor)), None)
        if bad is not None or not column:
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(bad)}. Did you mean to set out_dims= to None for output?")
        stacked = stack(column, d)
        out.append(stacked.narrow(d, 0, 0) if empty else stacked)
    return tree_unflatten(out, spec)


def _unbatched(column: tuple, name: str) -> Any:
    """The one value of an ``out_dims=None`` output, which every slice must have returned."""
    first = column[0]
    if not all(_same(c, first) for c in column[1:]):
        raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when "
                         f"out_dim is None")
    return first


def _same(a: Any, b: Any) -> bool:
    """Whether two slices returned the same value (a device array is not read back: True)."""
    import numpy as np

    from latte.tensor import Tensor
    if a is b:
        return True
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return not isinstance(a, Tensor) and not isinstance(b, Tensor) and a == b
    if type(a._data) is not np.ndarray or type(b._data) is not np.ndarray:
        return True
    return a.shape == b.shape and np.array_equal(a._data, b._data,
                                                 equal_nan=a._data.dtype.kind in "fc")
