"""Forward-mode AD with dual tensors, as ``torch.autograd.forward_ad``.

Inside a ``dual_level``, ``make_dual(primal, tangent)`` gives a tensor carrying a tangent, and
``unpack_dual(y)`` gives ``y``'s primal and its tangent ``J t``, summed over the dual tensors
``y`` depends on.

Limitation: Latte has no forward-mode engine. A dual tensor joins the reverse-mode graph (from a
fresh leaf when its primal does not require grad, so it reports ``requires_grad=True``), and
``unpack_dual`` computes the tangent by the double-vjp trick, as ``latte.func.jvp``: each unpack
costs two backward passes, the ops must be twice differentiable (a custom ``Function`` needs a
differentiable ``backward``; its ``jvp`` staticmethod is not used), and ops run under
``no_grad`` carry no tangent.

Example::

    >>> import latte.autograd.forward_ad as fwAD
    >>> with fwAD.dual_level():
    ...     x = fwAD.make_dual(latte.tensor([1.0, 2.0]), latte.tensor([1.0, 0.0]))
    ...     fwAD.unpack_dual(x ** 2).tangent
    tensor([2., 0.])
"""
from __future__ import annotations

from typing import Any, NamedTuple

from latte.autograd.engine import grad as _autograd_grad
from latte.autograd.grad_mode import enable_grad, is_grad_enabled

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]

# the duals of the open level, keyed by how the graph refers to them: a leaf's id, or a view's
# (node, output_nr); values are (dual, tangent). None when no level is open.
_duals: dict | None = None


class UnpackedDualTensor(NamedTuple):
    """``unpack_dual``'s result: the ``primal`` and its ``tangent`` (None when not dual)."""

    primal: Any
    tangent: Any


def enter_dual_level() -> int:
    """Open a new forward AD level and return its index (always 0: levels do not nest)."""
    global _duals
    if _duals is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _duals = {}
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """Close the forward AD level; the dual tensors made in it lose their tangents."""
    global _duals
    _check_level(level)
    _duals = None


def _check_level(level: int | None) -> None:
    if _duals is None:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that "
                           "was created. This is not supported.")
    if level not in (None, 0):
        raise RuntimeError(f"Invalid level given to forward AD: {level}, only level 0 exists.")


def _key(t: Any) -> Any:
    return id(t) if t.grad_fn is None else (t.grad_fn, t._output_nr)


def make_dual(tensor: Any, tangent: Any, *, level: int | None = None) -> Any:
    """A view of ``tensor`` carrying the forward gradient ``tangent`` at the current level.

    ``tangent`` must have ``tensor``'s shape; it is kept as is when contiguous, else copied
    (``unpack_dual(make_dual(x, t)).tangent is t`` holds for a contiguous ``t``).
    """
    if _duals is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if level not in (None, 0):
        raise RuntimeError(f"Invalid level given to forward AD: {level}, only level 0 exists.")
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor.shape)} while the given forward gradient is of "
                           f"size {list(tangent.shape)}.")
    if tensor.requires_grad and _key(tensor) in _duals:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           "gradient at the same level 0 is not supported.")
    with enable_grad():
        # a view keeps the caller's autograd reaching through; otherwise a fresh leaf to
        # differentiate with respect to
        dual = tensor.view_as(tensor) if tensor.requires_grad else (
            tensor.detach().requires_grad_(True))
    if not tangent.is_contiguous():
        tangent = tangent.contiguous()
    _duals[_key(dual)] = (dual, tangent)
    return dual


def _reached_duals(y: Any) -> list:
    """The ``(dual, tangent)`` pairs of the open level that ``y``'s graph reaches."""
    if _duals is None or not y.requires_grad:
        return []
    if _key(y) in _duals and y.grad_fn is None:
        return [_duals[_key(y)]]
    found = {}
    if (y.grad_fn, y._output_nr) in _duals:
        found[(y.grad_fn, y._output_nr)] = None
    for fn, nr, leaf in _edges(y.grad_fn):
        key = id(leaf) if fn is None else (fn, nr)
        if key in _duals:
            found[key] = None
    return [_duals[k] for k in found]


def _edges(root: Any) -> Any:
    """Every edge ``(node, output_nr, leaf)`` of the graph below ``root``, each node once."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for _, fn, nr, leaf, _, _ in node._edges:
            yield fn, nr, leaf
            if fn is not None:
                stack.append(fn)


def _tangent(y: Any, pairs: list) -> Any:
    """``sum_i J_i t_i`` for ``y`` by the double-vjp trick: ``u^T J`` is linear in ``u``."""
    if len(pairs) == 1 and pairs[0][0] is y:
        return pairs[0][1]
    duals = [d for d, _ in pairs]
    # build a graph of the result only where something outside the level tracks it
    create_graph = is_grad_enabled() and any(t.requires_grad for _, t in pairs)
    with enable_grad():
        u = y.new_zeros(y.shape).requires_grad_(True)
        vjps = _autograd_grad(y, duals, u, retain_graph=True, create_graph=True,
                              allow_unused=True)
        kept = [(v, t) for v, (_, t) in zip(vjps, pairs) if v is not None and v.requires_grad]
        if not kept:
            return y.new_zeros(y.shape)
        (res,) = _autograd_grad([v for v, _ in kept], [u], [t.to(v.dtype) for v, t in kept],
                                retain_graph=True, create_graph=create_graph, allow_unused=True)
    return y.new_zeros(y.shape) if res is None else res


def _tracked_outside(y: Any) -> bool:
    """Whether ``y``'s graph reaches a tensor requiring grad that is not a dual's own leaf."""
    if not y.requires_grad:
        return False
    if y.grad_fn is None:
        return not (_duals and id(y) in _duals)
    return any(fn is None and not (_duals and id(leaf) in _duals)
               for fn, _, leaf in _edges(y.grad_fn))


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at the current level, as a namedtuple.

    ``tangent`` is None when ``tensor`` depends on no dual tensor of the open level (or none is
    open). ``primal`` is ``tensor`` itself when no dual reaches it, else a view of it that keeps
    the reverse-mode graph only where a tensor requiring grad (outside forward AD) reaches it.
    """
    if level not in (None, 0):
        raise RuntimeError(f"Invalid level given to forward AD: {level}, only level 0 exists.")
    pairs = _reached_duals(tensor)
    if not pairs:
        return UnpackedDualTensor(tensor, None)
    primal = tensor.view_as(tensor) if _tracked_outside(tensor) else tensor.detach()
    return UnpackedDualTensor(primal, _tangent(tensor, pairs))


class dual_level:
    """Context manager for a forward AD level: duals made inside lose their tangents on exit.

    Example::

        >>> with latte.autograd.forward_ad.dual_level():
        ...     pass
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()

