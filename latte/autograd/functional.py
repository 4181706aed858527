"""Higher-level derivatives of a function of Tensors, as ``torch.autograd.functional``:
``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp`` and ``hvp``, all built on ``autograd.grad``.

``func`` takes the Tensors of ``inputs`` as positional arguments and returns a Tensor or a tuple
of Tensors. Results are detached unless ``create_graph``; an input the output does not depend
on gets a zero derivative (an error when ``strict``). Forward-mode products (``jvp``, ``hvp``)
use the double-backward trick: the vjp is linear in its vector ``u``, so differentiating it
with respect to ``u`` gives the jvp, with reverse mode only.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from latte.autograd import function
from latte.autograd.engine import grad as _grad
from latte.autograd.grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tensor_type() -> type:
    return function.Tensor  # set by latte.tensor, which sits above autograd


def _as_tuple(x: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was a tuple, x as a tuple)``, raising unless every element is a Tensor."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    Tensor = _tensor_type()
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a "
                            f"tuple of Tensors but {where} has type {type(el)}.")
    return is_tuple, items


def _unpack(res: Any, is_tuple: Any) -> Any:
    """Undo ``_as_tuple``: ``is_tuple`` is a bool, or ``(outputs, inputs)`` for nested results."""
    if isinstance(is_tuple, tuple):
        if not is_tuple[1]:
            res = tuple(el[0] for el in res)
        return res if is_tuple[0] else res[0]
    return res if is_tuple else res[0]


def _prepare(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh Tensors to differentiate with respect to: linked to the callers' graph only when
    ``create_graph`` (so higher derivatives reach the callers' leaves)."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad
                 else t.detach().requires_grad_(need_graph) for t in inputs)


def _finish(res: tuple, create_graph: bool) -> tuple:
    """Detach results (tuples of Tensors, or tuples of such tuples) unless ``create_graph``."""
    if create_graph:
        return res
    return tuple(_finish(r, False) if isinstance(r, tuple) else r.detach() for r in res)


def _check_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(v) != len(other):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but "
                               f"got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            where = f"Entry {i} in " if is_other_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")


def _vector(v: Any, fn_name: str, other: tuple, is_other_tuple: bool, create_graph: bool,
            what: str) -> tuple | None:
    """The checked vector ``v`` of a product, or None where the single one-element ``other``
    lets ``v`` default to ones."""
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _prepare(v, create_graph, need_graph=False)
        _check_v(v, other, is_other_tuple)
        return v
    if len(other) != 1 or other[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if {what} a single Tensor with a "
                           f"single element.")
    return None


_STRICT_MESSAGES = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
               "outputs must be computed in a differentiable manner from the input when running "
               "in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the "
                   "user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
                "function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
               "independent of the input. This is not allowed in strict mode. You should ensure "
               "that your function is thrice differentiable and that the hessian depends on the "
               "inputs.",
}


def _check_requires_grad(tensors: tuple, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _autograd_grad(outputs: tuple, inputs: tuple, grad_outputs: tuple | None = None,
                   create_graph: bool = False, retain_graph: bool | None = None) -> tuple:
    """``autograd.grad`` over the outputs that require grad (None for every input if none
    does, or where an input is unused)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return _grad([o for o, _ in kept], inputs, [g for _, g in kept], retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)


_ZERO_MESSAGES = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
            "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
                         "in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool,
                   stage: str) -> tuple:
    """Zeros shaped as ``refs[i]`` where ``grads[i]`` is None (an error when ``strict``)."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = refs[i].new_zeros(refs[i].shape)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               f"create_graph=True.")
        res.append(g)
    return tuple(res)


def _call(func: Callable, inputs: tuple, fn_name: str, strict: bool) -> tuple[bool, tuple]:
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                  fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    return is_tuple, outputs


def _scalar_output(func: Callable, inputs: tuple, fn_name: str, strict: bool) -> tuple:
    is_tuple, outputs = _call(func, inputs, fn_name, strict)
    if is_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           f"contain a single element")
    return outputs


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product of ``func`` at ``inputs``.

    ``v`` has the shape of the output (it may be None for a one-element output); the product
    has the structure of ``inputs``.

    Example::

        >>> out, g = latte.autograd.functional.vjp(lambda x: x ** 2, latte.ones(3),
        ...                                        latte.tensor([1.0, 2.0, 3.0]))
        >>> g
        tensor([2., 4., 6.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _vector(v, "vjp", outputs, is_outputs_tuple, create_graph,
                    "the user-provided function returns")
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(res, create_graph), is_inputs_tuple))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product of ``func`` at ``inputs``.

    ``v`` has the structure of ``inputs`` (it may be None for a single one-element input); the
    product has the structure of the output. Computed with two backward passes (the
    double-backward trick).

    Example::

        >>> out, t = latte.autograd.functional.jvp(lambda x: x ** 2, latte.ones(3) * 2,
        ...                                        latte.ones(3))
        >>> t
        tensor([4., 4., 4.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _vector(v, "jvp", inputs, is_inputs_tuple, create_graph,
                    "the input to the user-provided function is")
        is_outputs_tuple, outputs = _call(func, inputs, "jvp", strict)
        # u^T J for a symbolic u: linear in u, so its gradient along v in u is J v
        us = tuple(out.new_zeros(out.shape).requires_grad_(True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, us, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(grad_inputs, us, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    return (_unpack(_finish(outputs, create_graph), is_outputs_tuple),
            _unpack(_finish(res, create_graph), is_outputs_tuple))


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: entry ``[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape``.

    A single Tensor input and output give a Tensor; a tuple on either side gives a tuple (a
    tuple of tuples for both), as PyTorch's. ``vectorize`` is accepted and gives the same
    values (one backward pass per output element either way). ``strategy='forward-mode'``
    has PyTorch's limits (``vectorize=True``, no ``create_graph`` or ``strict``) and the same
    values, computed in reverse mode (Latte has no forward-mode AD).

    Example::

        >>> latte.autograd.functional.jacobian(lambda x: x ** 2, latte.tensor([1.0, 2.0]))
        tensor([[2., 0.],
                [0., 4.]])
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", '
                         f'got {strategy!r}.')
    if strategy == "forward-mode":
        _check_forward_mode(create_graph, strict, vectorize)
        # the same values as forward mode, which Latte computes in reverse mode
        return jacobian(func, inputs, vectorize=True)
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                               "`vectorized=True` are not supported together. Please either "
                               "set `strict=False` or `vectorize=False`.")
        jac = []
        for i, out in enumerate(outputs):
            flat = out.reshape(-1)
            rows: list[list] = [[] for _ in inputs]
            for k in range(out.numel()):
                grads = _autograd_grad((flat[k],), inputs, retain_graph=True,
                                       create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode.")
                        g = inp.new_zeros(inp.shape)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of "
                            f"input {i}. This is not allowed in strict mode when "
                            f"create_graph=True.")
                    rows[j].append(g)
            jac.append(tuple(_stack(r, inp).reshape(tuple(out.shape) + tuple(inp.shape))
                             for r, inp in zip(rows, inputs)))
        return _unpack(_finish(tuple(jac), create_graph), (is_outputs_tuple, is_inputs_tuple))


def _check_forward_mode(create_graph: bool, strict: bool, vectorize: bool) -> None:
    """PyTorch's limits on ``strategy='forward-mode'``, kept so code that runs here runs there."""
    if create_graph:
        raise NotImplementedError("torch.autograd.functional.jacobian: `create_graph=True` and "
                                  "`strategy=\"forward-mode\"` are not supported together "
                                  "(yet). Please either set `create_graph=False` or "
                                  "`strategy=\"reverse-mode\"`.")
    if strict:
        raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                           "`strategy=\"forward-mode\"` are not supported together (yet). "
                           "Please either set `strict=False` or `strategy=\"reverse-mode\"`.")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian (strategy='forward-mode') is only implemented for "
                                  "`vectorize=True`.")


def _stack(rows: list, like: Any) -> Any:
    from latte import stack
    if not rows:  # an output with no elements
        return like.new_zeros((0,) + tuple(like.shape))
    return stack(rows, 0)


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of the scalar function ``func`` at ``inputs``: entry ``[i][j]`` has shape
    ``inputs[i].shape + inputs[j].shape`` (a Tensor for a single input, a tuple of tuples for
    a tuple of inputs).

    Example::

        >>> latte.autograd.functional.hessian(lambda x: (x ** 3).sum(), latte.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", '
                         f'got {outer_jacobian_strategy!r}.')

    def scalar_func(*inp: Any) -> Any:
        return _scalar_output(func, inp, "hessian", strict)[0].squeeze()

    def jac_func(*inp: Any) -> tuple:
        jac = jacobian(scalar_func, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _unpack(res, (is_inputs_tuple, is_inputs_tuple))


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)``: the vector-Hessian product of the scalar function ``func``.

    Example::

        >>> out, p = latte.autograd.functional.vhp(lambda x: (x ** 3).sum(),
        ...                                        latte.tensor([1.0, 2.0]), latte.ones(2))
        >>> p
        tensor([ 6., 12.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _vector(v, "vhp", inputs, is_inputs_tuple, create_graph,
                    "the input to the user-provided function is")
        outputs = _scalar_output(func, inputs, "vhp", strict)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    return (_unpack(_finish(outputs, create_graph), False),
            _unpack(_finish(res, create_graph), is_inputs_tuple))


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), H v)``: the Hessian-vector product of the scalar function ``func``
    (the double-backward trick; equal to ``vhp`` for a symmetric Hessian).

    Example::

        >>> out, p = latte.autograd.functional.hvp(lambda x: (x ** 3).sum(),
        ...                                        latte.tensor([1.0, 2.0]), latte.ones(2))
        >>> p
        tensor([ 6., 12.])
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _vector(v, "hvp", inputs, is_inputs_tuple, create_graph,
                    "the input to the user-provided function is")
        outputs = _scalar_output(func, inputs, "hvp", strict)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        us = tuple(inp.new_zeros(inp.shape).requires_grad_(True) for inp in inputs)
        double_back = _autograd_grad(jac, inputs, us, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(double_back, us, v, create_graph=create_graph)
        res = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    return (_unpack(_finish(outputs, create_graph), False),
            _unpack(_finish(res, create_graph), is_inputs_tuple))
