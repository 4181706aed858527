"""Function transforms for derivatives, as ``torch.func``: ``grad``, ``grad_and_value``, ``vjp``,
``jvp``, ``linearize``, ``jacrev``, ``jacfwd`` and ``hessian``.

Each runs the function once on tracked copies of the arguments it differentiates and calls
``latte.autograd.grad`` on the graph that builds. They compose, with each other, with ``vmap``
and with ordinary autograd, as PyTorch's do: where the output also depends on tensors an outer
level tracks (an outer ``grad``, a tensor with ``requires_grad``), the backward pass builds a
graph (``create_graph``), so ``grad(grad(f))`` is a second derivative; otherwise the results
are plain tensors. Latte has no forward-mode AD: ``jvp``, ``linearize`` and ``jacfwd`` get the
same values from reverse mode (``jvp`` by the double-vjp trick, as ``autograd.functional.jvp``).
Arguments may be nested tuples, lists and dicts of Tensors (a dict of parameters, say).
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from latte.autograd.engine import grad as _autograd_grad
from latte.autograd.grad_mode import enable_grad, is_grad_enabled
from latte.func._pytree import tree_flatten, tree_map, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]


def _tensor() -> type:
    from latte.tensor import Tensor
    return Tensor


def _check_argnums(argnums: Any, n_args: int) -> tuple[int, ...]:
    """``argnums`` as a tuple of non-negative positions, checked as PyTorch's."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not isinstance(argnums, (int, tuple)) or not all(isinstance(i, int) for i in nums):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if not nums:
        raise RuntimeError("argnums must be non-empty")
    if len(set(nums)) != len(nums):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    for i in nums:
        if not -n_args <= i < n_args:
            raise RuntimeError(f"Got argnum={i}, but only {n_args} positional inputs")
    return tuple(i % n_args for i in nums)


def _outside_finder(inner: set) -> Callable[[Any], bool]:
    """A test of whether a tensor's graph reaches a tensor that requires grad other than the
    leaves whose ids are in ``inner`` (then an outer level of autograd needs its graph)."""
    clean: set = set()  # nodes known to reach only inner leaves

    def reaches_outside(t: Any) -> bool:
        if not (isinstance(t, _tensor()) and t.requires_grad):
            return False
        if t.grad_fn is None:
            return id(t) not in inner
        stack, seen = [t.grad_fn], set()
        while stack:
            node = stack.pop()
            if node in seen or node in clean:
                continue
            seen.add(node)
            for _, fn, _, leaf, _, _ in node._edges:
                if fn is None:
                    if id(leaf) not in inner:
                        return True
                else:
                    stack.append(fn)
        clean.update(seen)
        return False

    return reaches_outside


class _Trace:
    """``func(*args)`` run once with the arguments at ``argnums`` replaced by tensors to
    differentiate with respect to: tracked views of those that require grad (so the caller's
    autograd sees through), fresh leaves of the others."""

    def __init__(self, func: Callable, args: tuple, kwargs: dict, argnums: int | tuple,
                 has_aux: bool, where: str) -> None:
        nums = _check_argnums(argnums, len(args))
        picked = tuple(args[i] for i in nums) if isinstance(argnums, tuple) else args[nums[0]]
        leaves, self.spec = tree_flatten(picked)
        self.inner: set = set()
        self.grad_enabled = is_grad_enabled()
        with enable_grad():
            self.inputs = [self._track(x) for x in leaves]
            tracked = tree_unflatten(self.inputs, self.spec)
            new_args = list(args)
            for k, i in enumerate(nums):
                new_args[i] = tracked[k] if isinstance(argnums, tuple) else tracked
            output = func(*new_args, **kwargs)
        self.aux = None
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise RuntimeError(f"{where}: output of function f should be a tuple: "
                                   f"(output, aux) if has_aux is True")
            output, self.aux = output
        self.output = output
        self.reaches_outside = _outside_finder(self.inner)
        # the caller's autograd needs the derivatives' own graph
        self.outer = self.grad_enabled and any(
            self.reaches_outside(t) for t in tree_flatten(output)[0])

    def _track(self, x: Any) -> Any:
        if not isinstance(x, _tensor()):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if x.requires_grad:
            return x.view_as(x)
        t = x.detach().requires_grad_(True)
        self.inner.add(id(t))
        return t

    def tensor_outputs(self, where: str) -> tuple[list, Any]:
        leaves, spec = tree_flatten(self.output)
        for t in leaves:
            if not isinstance(t, _tensor()):
                raise RuntimeError(f"{where}: expected f(*primals) to return only tensors, got "
                                   f"unsupported type {type(t)}")
        return leaves, spec

    @staticmethod
    def check_differentiable(outputs: list) -> None:
        """PyTorch's refusal to pull cotangents back through an integer or bool output."""
        for t in outputs:
            if not (t.is_floating_point() or t.is_complex()):
                raise RuntimeError(f"vjp(f, ...): All outputs of f must be floating-point or "
                                   f"complex Tensors, got Tensor with dtype {t.dtype}")

    def pull(self, outputs: list, cotangents: list, create_graph: bool) -> list:
        """``sum(cotangent . d output / d input)`` for each input (zeros for unused ones)."""
        kept = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        grads: Any = (None,) * len(self.inputs)
        if kept:
            # the graph is kept: vjp_fn and jacrev pull again, and the caller may backpropagate
            # through the value
            grads = _autograd_grad([o for o, _ in kept], self.inputs, [c for _, c in kept],
                                   retain_graph=True, create_graph=create_graph,
                                   allow_unused=True)
        return [x.new_zeros(x.shape) if g is None else g for g, x in zip(grads, self.inputs)]

    def finish(self, tree: Any, keep_graph: bool | None = None) -> Any:
        """``tree`` with its tensors detached unless the caller's autograd reaches them (and
        ``keep_graph``, by default whether grad mode was on)."""
        keep = self.grad_enabled if keep_graph is None else keep_graph

        def one(t: Any) -> Any:
            if isinstance(t, _tensor()) and t.requires_grad and not (
                    keep and self.reaches_outside(t)):
                return t.detach()
            return t
        return tree_map(one, tree)

    def unflatten(self, leaves: list, keep_graph: bool | None = None) -> Any:
        """Per-input ``leaves`` in the structure of the differentiated arguments."""
        return self.finish(tree_unflatten(leaves, self.spec), keep_graph)


def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0,
                   has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)`` of ``func``, as ``torch.func.grad_and_value``;
    with ``has_aux``, ``func`` returns ``(value, aux)`` and so does the second element.

    Example::

        >>> g, v = latte.func.grad_and_value(lambda x: (x ** 2).sum())(latte.tensor([1.0, 2.0]))
        >>> g, v
        (tensor([2., 4.]), tensor(5.))
    """
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> tuple:
        where = "grad_and_value(f)(*args)"
        trace = _Trace(func, args, kwargs, argnums, has_aux, where)
        out = trace.output
        if not isinstance(out, _tensor()):
            raise RuntimeError(f"{where}: Expected f(*args) to return a Tensor, got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError(f"{where}: Expected f(*args) to return a scalar Tensor, got tensor "
                               f"with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                               f"APIs instead?")
        grads = trace.unflatten(trace.pull([out], [out.new_ones(())], trace.outer))
        value = trace.finish(out)
        return grads, ((value, trace.finish(trace.aux)) if has_aux else value)

    return wrapper


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function computing the gradient of the scalar ``func`` with respect to the arguments at
    ``argnums``, as ``torch.func.grad``: a tuple of gradients for a tuple ``argnums``, and
    ``(gradient, aux)`` when ``has_aux`` (``func`` then returns ``(value, aux)``).

    ``vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)`` gives per-sample gradients;
    ``grad(grad(f))`` a second derivative.

    Example::

        >>> latte.func.grad(lambda x: x.sin())(latte.tensor(0.0))
        tensor(1.)
        >>> latte.func.grad(latte.func.grad(lambda x: x ** 3))(latte.tensor(2.0))
        tensor(12.)
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        grads, value = gv(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return wrapper


def _check_like(cotangents: Any, outputs: list, out_spec: Any) -> list:
    """The leaves of ``cotangents``, checked to match the outputs in structure and shapes."""
    cts, spec = tree_flatten(cotangents)
    if spec != out_spec:
        raise RuntimeError(f"Expected pytree structure of cotangents to be the same as pytree "
                           f"structure of outputs to the function. cotangents: {spec}, primal "
                           f"output: {out_spec}")
    for i, (c, o) in enumerate(zip(cts, outputs)):
        if tuple(c.shape) != tuple(o.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} "
                               f"and output[{i}] has a shape of {o.shape}.")
    return cts


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``, as ``torch.func.vjp``: ``vjp_fn(cotangents)`` gives, for
    each primal, the cotangents pulled back through ``func`` (a tuple, one per primal). It may
    be called many times (``retain_graph`` is accepted: the graph is always kept). With
    ``has_aux``, ``func`` returns ``(output, aux)`` and ``aux`` comes third.

    Example::

        >>> out, vjp_fn = latte.func.vjp(latte.sin, latte.zeros(2))
        >>> vjp_fn(latte.tensor([1.0, 2.0]))
        (tensor([1., 2.]),)
    """
    where = "vjp(f, *primals)"
    trace = _Trace(func, primals, {}, tuple(range(len(primals))), has_aux, where)
    outputs, out_spec = trace.tensor_outputs(where)
    trace.check_differentiable(outputs)

    def vjp_fn(cotangents: Any, retain_graph: bool = True, create_graph: bool | None = None
               ) -> tuple:
        cts = _check_like(cotangents, outputs, out_spec)
        if create_graph is None:  # a cotangent that requires grad: the double-vjp trick
            create_graph = trace.outer or (is_grad_enabled() and any(c.requires_grad
                                                                     for c in cts))
        return tuple(trace.unflatten(trace.pull(outputs, cts, create_graph), create_graph))

    return (trace.finish(trace.output), vjp_fn) + ((trace.finish(trace.aux),) if has_aux else ())


def _linearize(func: Callable, primals: tuple, has_aux: bool, where: str) -> tuple:
    """``(trace, outputs, their spec, push)``: ``push(tangent leaves)`` gives the output
    tangents ``J t`` by the double-vjp trick, ``u^T J`` being linear in ``u``."""
    trace = _Trace(func, primals, {}, tuple(range(len(primals))), has_aux, where)
    outputs, out_spec = trace.tensor_outputs(where)
    with enable_grad():
        us = [o.new_zeros(o.shape).requires_grad_(True) for o in outputs]
        vjps = trace.pull(outputs, us, create_graph=True)

    def push(tangents: list) -> list:
        for x, t in zip(trace.inputs, tangents):
            if tuple(t.shape) != tuple(x.shape):
                raise RuntimeError(f"Trying to set a forward gradient that has a different size "
                                   f"than that of the original Tensor, this is not supported. "
                                   f"Tensor is of size {list(x.shape)} while the given forward "
                                   f"gradient is of size {list(t.shape)}.")
        create_graph = trace.outer or (is_grad_enabled() and any(t.requires_grad
                                                                 for t in tangents))
        kept = [(v, t) for v, t in zip(vjps, tangents) if v.requires_grad]
        res: Any = (None,) * len(us)
        if kept:
            res = _autograd_grad([v for v, _ in kept], us, [t for _, t in kept],
                                 retain_graph=True, create_graph=create_graph, allow_unused=True)
        return [trace.finish(o.new_zeros(o.shape) if r is None else r, create_graph)
                for r, o in zip(res, outputs)]

    return trace, outputs, out_spec, push


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """``(func(*primals), J tangents)``: the Jacobian-vector product, as ``torch.func.jvp``;
    with ``has_aux``, ``func`` returns ``(output, aux)`` and ``aux`` comes third.

    ``primals`` and ``tangents`` are tuples of the same structure. Computed in reverse mode
    (two backward passes, the double-vjp trick); ``strict`` is accepted, as PyTorch's.

    Example::

        >>> out, t = latte.func.jvp(lambda x: x ** 2, (latte.tensor([1.0, 2.0]),),
        ...                         (latte.ones(2),))
        >>> t
        tensor([2., 4.])
    """
    where = "jvp(f, primals, tangents)"
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{where}: Expected primals to be a tuple. E.g. it should be valid to "
                           f"call f(*primals).")
    p_spec, t_leaves, t_spec = tree_flatten(primals)[1], *tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{where}: Expected primals and tangents to have the same python "
                           f"structure. For example, if primals is a tuple of 3 tensors, "
                           f"tangents also must be. Got primals with structure {p_spec} and "
                           f"tangents with structure {t_spec}")
    trace, _, out_spec, push = _linearize(func, primals, has_aux, where)
    out = (trace.finish(trace.output), tree_unflatten(push(t_leaves), out_spec))
    return out + ((trace.finish(trace.aux),) if has_aux else ())


def linearize(func: Callable, *primals: Any) -> tuple:
    """``(func(*primals), jvp_fn)``, as ``torch.func.linearize``: ``jvp_fn(*tangents)`` gives
    the Jacobian-vector product at ``primals``, reusing one forward pass for every call.

    Example::

        >>> out, jvp_fn = latte.func.linearize(latte.sin, latte.zeros(2))
        >>> jvp_fn(latte.tensor([1.0, 2.0]))
        tensor([1., 2.])
    """
    where = "linearize(func, *primals)"
    trace, _, out_spec, push = _linearize(func, primals, False, where)

    def jvp_fn(*tangents: Any) -> Any:
        t_leaves, t_spec = tree_flatten(tangents)
        if t_spec != trace.spec:
            raise RuntimeError(f"{where}: Expected tangents to have the structure of the "
                               f"primals, {trace.spec}, got {t_spec}")
        return tree_unflatten(push(t_leaves), out_spec)

    return trace.finish(trace.output), jvp_fn


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """A function computing the Jacobian of ``func`` with respect to the arguments at
    ``argnums`` by reverse mode, as ``torch.func.jacrev``: one vjp per output element.

    For an output of shape ``O`` and an input of shape ``I`` the block has shape ``O + I``; a
    nested output gives the same nesting of blocks, a tuple ``argnums`` a tuple of blocks per
    output. ``chunk_size`` is checked as PyTorch's (rows are computed one at a time here).

    Example::

        >>> latte.func.jacrev(lambda x: x ** 2)(latte.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if chunk_size is not None and not (isinstance(chunk_size, int) and chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, reverse=True)


def _jacobian(func: Callable, argnums: int | tuple, has_aux: bool, reverse: bool) -> Callable:
    """The Jacobian transform behind ``jacrev`` and ``jacfwd``; only reverse mode refuses
    integer outputs (forward mode gives them zero tangents, as PyTorch's)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        trace = _Trace(func, args, kwargs, argnums, has_aux, "jacrev(f, ...)(*args)")
        outputs, out_spec = trace.tensor_outputs("vjp(f, *primals)")
        if reverse:
            trace.check_differentiable(outputs)
        jac = tree_unflatten([_jacobian_block(trace, o) for o in outputs], out_spec)
        return (jac, trace.finish(trace.aux)) if has_aux else jac

    return wrapper


def _jacobian_block(trace: _Trace, out: Any) -> Any:
    """The Jacobian of one output with respect to every traced input, in their structure."""
    from latte import eye, stack
    n = out.numel()
    basis = eye(n, dtype=out.dtype, device=out.device)
    rows = [trace.pull([out], [basis[k].reshape(out.shape)], trace.outer) for k in range(n)]
    blocks = [(stack([r[j] for r in rows]) if rows else x.new_zeros((0, *x.shape))).reshape(
        tuple(out.shape) + tuple(x.shape)) for j, x in enumerate(trace.inputs)]
    return trace.unflatten(blocks)


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """A function computing the Jacobian of ``func``, as ``torch.func.jacfwd``. Latte has no
    forward-mode AD, so this is :func:`jacrev` (the same values and structure); with
    ``randomness='error'``, as PyTorch's, a ``func`` that draws random numbers raises.

    Example::

        >>> latte.func.jacfwd(lambda x: x.sin())(latte.zeros(2))
        tensor([[1., 0.],
                [0., 1.]])
    """
    from latte.func.vmap import _check_randomness, _no_draws
    _check_randomness(randomness)
    return _jacobian(_no_draws(func) if randomness == "error" else func, argnums, has_aux,
                     reverse=False)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """A function computing the Hessian of ``func`` with respect to the arguments at
    ``argnums``, as ``torch.func.hessian``: ``jacfwd(jacrev(func, argnums), argnums)``, so a
    block has shape ``output + input + input``.

    Example::

        >>> latte.func.hessian(lambda x: (x ** 3).sum())(latte.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)
