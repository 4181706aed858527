"""Numerical gradient checking: compare autograd with central finite differences in float64."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from latte.autograd import function
from latte.autograd.engine import grad as autograd_grad
from latte.autograd.grad_mode import enable_grad, no_grad

__all__ = ["gradcheck", "GradcheckError", "numerical_jacobian"]


class GradcheckError(RuntimeError):
    """Raised when an analytical gradient disagrees with the numerical one."""


def _outputs(fn: Callable, inputs: Sequence) -> list:
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def numerical_jacobian(fn: Callable, inputs: Sequence, index: int, eps: float) -> list:
    """d(each output)/d(inputs[index]) by central differences, one input element at a time."""
    x = inputs[index]
    flat = x._data.reshape(-1)
    if not np.shares_memory(flat, x._data):
        raise ValueError("gradcheck needs inputs whose memory can be perturbed in place")
    with no_grad():
        outs = _outputs(fn, inputs)
    jac = [np.zeros((o._data.size, flat.size)) for o in outs]
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        with no_grad():
            plus = [o._data.astype(np.float64).copy() for o in _outputs(fn, inputs)]
        flat[j] = original - eps
        with no_grad():
            minus = [o._data.astype(np.float64).copy() for o in _outputs(fn, inputs)]
        flat[j] = original
        for k in range(len(outs)):
            jac[k][:, j] = ((plus[k] - minus[k]) / (2 * eps)).reshape(-1)
    return jac


def gradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check ``fn``'s gradients for every input that requires grad against finite differences.

    Inputs should be float64 (float32 rounding makes finite differences meaningless). On a
    mismatch, raise ``GradcheckError`` naming the input, output and worst element.

    Example: ``gradcheck(lambda x: (x * x).sum(), (latte.randn(3, dtype=latte.float64,
    requires_grad=True),))``.
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    differentiable = [i for i, t in enumerate(inputs)
                      if isinstance(t, function.Tensor) and t.requires_grad]
    for i in differentiable:
        if inputs[i]._data.dtype != np.float64:
            raise GradcheckError(f"gradcheck input {i} has dtype {inputs[i].dtype}; use float64")
    outs = _outputs(fn, inputs)
    for k, out in enumerate(outs):
        if not out.requires_grad:
            continue
        n_out = out._data.size
        analytical = {i: np.zeros((n_out, inputs[i]._data.size)) for i in differentiable}
        for row in range(n_out):
            seed = np.zeros(n_out, dtype=out._data.dtype)
            seed[row] = 1.0
            grads = autograd_grad(out, [inputs[i] for i in differentiable],
                                  function.Tensor(seed.reshape(out._data.shape)), retain_graph=True,
                                  allow_unused=True)
            for i, g in zip(differentiable, grads):
                if g is not None:
                    analytical[i][row] = g._data.reshape(-1)
        for i in differentiable:
            numerical = numerical_jacobian(fn, inputs, i, eps)[k]
            error = np.abs(analytical[i] - numerical)
            bound = atol + rtol * np.abs(numerical)
            if np.any(error > bound) or np.isnan(analytical[i]).any() != \
                    np.isnan(numerical).any():
                worst = np.unravel_index(np.argmax(error - bound), error.shape)
                message = (
                    f"Jacobian mismatch for output {k} with respect to input {i}: at (output "
                    f"element {worst[0]}, input element {worst[1]}) analytical "
                    f"{analytical[i][worst]:.8g} vs numerical {numerical[worst]:.8g} "
                    f"(max abs error {error.max():.3g}, atol {atol}, rtol {rtol})")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3) -> bool:
    """Check second derivatives: gradcheck of the first gradient (built with create_graph)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)

    def first_grad(*xs: Any) -> Any:
        # numerical_jacobian calls this under no_grad; the first gradient still needs a graph
        with enable_grad():
            outs = _outputs(fn, xs)
            total = sum((o * o).sum() for o in outs)
            diff = [x for x in xs if isinstance(x, function.Tensor) and x.requires_grad]
            return autograd_grad(total, diff, create_graph=True, allow_unused=True,
                                 materialize_grads=True)

    return gradcheck(first_grad, inputs, eps, atol, rtol)
