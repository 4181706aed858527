"""Elementwise primitives: arithmetic, powers, exponentials, activations, clamping and selection.

Forward on arrays, backward on Tensors (so it can itself be differentiated). Gradients may keep
the broadcast shape; the engine sums them back to each input's shape. Ops that can make inf/nan
from finite inputs set ``quiet_fp`` so NumPy does not warn (x / 0, log 0, sqrt(-1), exp(1000)).
"""
from __future__ import annotations

from typing import Any

from latte.autograd.function import Op
from latte.backend import get_array_module
from latte.ops import buffer_pool, compiled
from latte.ops.dense_blocks import flat_memory, run_blocks, zeros_block


def _array(value: Any) -> Any:
    """``value`` as an array: NumPy ufuncs return scalars for 0-d inputs, and an op that saves
    its output must save the very array its output Tensor wraps (else double backward loses it)."""
    return get_array_module(value).asarray(value)


class Add(Op):
    def forward(ctx, a, b):
        out = a if ctx.inplace else buffer_pool.binary_result(a, b)
        return a + b if out is None else get_array_module(a).add(a, b, out=out)

    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    def forward(ctx, a, b):
        out = a if ctx.inplace else buffer_pool.binary_result(a, b)
        return a - b if out is None else get_array_module(a).subtract(a, b, out=out)

    def backward(ctx, grad):
        return grad, -grad


class Mul(Op):
    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need:  # each factor is needed only for the other's gradient
            old = a.copy() if ctx.inplace and need[1] else a  # in place: a is overwritten
            ctx.save_for_backward(old if need[1] else None, b if need[0] else None)
        out = a if ctx.inplace else buffer_pool.binary_result(a, b)
        return a * b if out is None else get_array_module(a).multiply(a, b, out=out)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Op):
    quiet_fp = True

    def forward(ctx, a, b):
        need = ctx.needs_input_grad
        if need:  # ``a`` is needed only for the gradient of ``b``
            old = a.copy() if ctx.inplace and need[1] else a  # in place: a is overwritten
            ctx.save_for_backward(old if need[1] else None, b)
        return get_array_module(a).true_divide(a, b, out=a) if ctx.inplace else a / b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -grad * a / (b * b) if need_b else None
        return grad_a, grad_b


class Neg(Op):
    def forward(ctx, a):
        return get_array_module(a).negative(a, out=a) if ctx.inplace else -a

    def backward(ctx, grad):
        return -grad


class PowScalar(Op):
    """``a ** exponent`` for a Python number ``exponent``."""
    node_name = "PowBackward0"  # PyTorch's name of the node

    quiet_fp = True

    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        if a.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return a ** exponent

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return grad * 0.0, None
        if e == 2:
            return grad * a * 2.0, None
        return grad * e * a ** (e - 1), None


class Pow(Op):
    """``a ** b`` for two tensors; the gradient for ``b`` uses ``log(a)`` (0 where ``a == 0``)."""
    node_name = "PowBackward1"  # PyTorch's name of the node

    quiet_fp = True

    def forward(ctx, a, b):
        out = _array(a ** b)
        ctx.save_for_backward(a, b, out)
        return out

    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad * b * a ** (b - 1) if need_a else None
        grad_b = None
        if need_b:
            safe_log = a.where(a != 0, 1.0).log()
            grad_b = grad * out * safe_log
        return grad_a, grad_b


class Exp(Op):
    quiet_fp = True

    def forward(ctx, a):
        xp = get_array_module(a)
        out = xp.exp(a, out=a) if ctx.inplace else _array(xp.exp(a))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Op):
    quiet_fp = True

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).log(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / a


class Sqrt(Op):
    quiet_fp = True

    def forward(ctx, a):
        out = _array(get_array_module(a).sqrt(a))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (out * 2.0)


class NormRoot(Op):
    """``s ** exponent`` for ``s >= 0`` (the root that ends a norm or std), whose gradient is 0
    at ``s == 0`` instead of inf: PyTorch's convention for norms and std at the origin."""

    quiet_fp = True

    def forward(ctx, s, exponent):
        out = _array(s ** exponent)
        ctx.save_for_backward(s, out)
        ctx.exponent = exponent
        return out

    def backward(ctx, grad):
        s, out = ctx.saved_tensors
        # d(s^e)/ds = e * s^e / s, and out is exactly 0 where s is, so the quotient is 0 there
        return grad * out * ctx.exponent / s.where(s != 0, 1.0), None


class Abs(Op):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).abs(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a.sign()


class Sin(Op):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).sin(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * a.cos()


class Cos(Op):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).cos(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return -grad * a.sin()


class Log1p(Op):
    node_name = "Log1PBackward0"  # PyTorch's name of the node
    quiet_fp = True

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return get_array_module(a).log1p(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad / (a + 1.0)


class Expm1(Op):
    quiet_fp = True

    def forward(ctx, a):
        out = _array(get_array_module(a).expm1(a))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (out + 1.0)


class Tanh(Op):
    def forward(ctx, a):
        xp = get_array_module(a)
        out = xp.tanh(a, out=a) if ctx.inplace else _array(xp.tanh(a))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1.0 - out * out)


class Sigmoid(Op):
    """``1 / (1 + exp(-a))``, computed through tanh so large ``|a|`` never overflows."""

    def forward(ctx, a):
        xp = get_array_module(a)
        out = xp.tanh(xp.multiply(a, 0.5, out=a), out=a) if ctx.inplace else \
            _array(xp.tanh(a * 0.5))
        out += 1
        out *= 0.5
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1.0 - out)


class Relu(Op):
    def forward(ctx, a):
        xp = get_array_module(a)
        out = a if ctx.inplace else buffer_pool.empty_like(a)
        flat = flat_memory(a, out)
        if flat is None:
            xp.maximum(a, 0, out=out)
        elif compiled.usable(*flat):
            compiled.kernels("relu").relu(*flat)
        else:  # a large pass: block by block over the threads
            source, target = flat
            zeros = zeros_block(a.dtype)
            run_blocks(lambda span: xp.maximum(source[span], zeros[:span.stop - span.start],
                                               out=target[span]), source.size)
        out = _array(out)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return ReluGrad.apply(grad, out)


class ReluGrad(Op):
    """``grad`` except where ReLU's output ``out`` is 0 (PyTorch's threshold backward,
    ``out <= 0 ? 0 : grad``: a NaN output passes its gradient): one pass, where
    ``grad * (out != 0)`` as Tensor ops would make a mask, a float copy of it and their
    product. ``out`` is a ReLU's, so ``out != 0`` is ``not out <= 0``."""

    node_name = "ThresholdBackwardBackward0"

    def forward(ctx, grad, out):
        ctx.save_for_backward(out)
        xp = get_array_module(grad)
        result = buffer_pool.empty_like(out, xp.result_type(grad, out))
        flat = flat_memory(grad, out, result)
        if flat is None:
            return xp.multiply(grad, out != 0, out=result)
        g, o, r = flat
        if compiled.usable(g, o, r):
            compiled.kernels("relu").relu_backward(g, o, r)
            return result

        def block(span: slice) -> None:
            xp.multiply(g[span], o[span] != 0, out=r[span])
        run_blocks(block, g.size)
        return result

    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return ReluGrad.apply(grad, out), None


class Clamp(Op):
    """Clamp to ``[low, high]`` (either may be None); gradient 1 inside, 0 where clipped."""

    node_name = "ClampBackward1"  # PyTorch's name of the node (number bounds)

    def forward(ctx, a, low, high):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        xp = get_array_module(a)
        if low is not None and high is not None:
            return xp.clip(a, low, high)
        if low is not None:
            return xp.maximum(a, low)
        if high is not None:
            return xp.minimum(a, high)
        raise ValueError("clamp needs at least one of min and max")

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        inside = True
        if ctx.low is not None:
            inside = a >= ctx.low
        if ctx.high is not None:
            inside = (a <= ctx.high) if inside is True else inside & (a <= ctx.high)
        return grad * inside, None, None


class Rounded(Op):
    """A piecewise-constant function ``fn`` of ``a`` (floor, ceil, round, trunc): gradient 0;
    the node shows PyTorch's ``name`` of it."""

    def forward(ctx, a, fn, name):
        ctx.node = name
        return _array(fn(a))

    def backward(ctx, grad):
        return grad.new_zeros(grad.shape), None, None  # 0 even where grad is inf or NaN

    def node_name_for(ctx):
        return ctx.node


def _extreme_shares(larger: Any, smaller: Any, tie: Any) -> tuple:
    """PyTorch's gradient shares of ``max(a, b)`` (``larger = a > b``, ``smaller = a < b``;
    swapped for ``min``): each operand gets the whole gradient unless the other one wins, half
    at a tie, and both get it all where either is NaN (every comparison is false there)."""
    minus_half = tie * -0.5
    return ~smaller + minus_half, ~larger + minus_half


class Maximum(Op):
    """Elementwise max; ties split the gradient equally, as PyTorch does."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a, b).maximum(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a, share_b = _extreme_shares(a > b, a < b, a == b)
        return grad * share_a, grad * share_b


class Minimum(Op):
    """Elementwise min; ties split the gradient equally, as PyTorch does."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a, b).minimum(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        share_a, share_b = _extreme_shares(a < b, a > b, a == b)
        return grad * share_a, grad * share_b


class Where(Op):
    """``condition ? a : b``; the condition gets no gradient."""

    def forward(ctx, condition, a, b):
        ctx.save_for_backward(condition)
        return get_array_module(a, b).where(condition, a, b)

    def backward(ctx, grad):
        (cond,) = ctx.saved_tensors
        zero = grad.new_zeros(())
        need_a, need_b = ctx.needs_input_grad[1:]
        return (None, grad.where(cond, zero) if need_a else None,
                zero.where(cond, grad) if need_b else None)


class Cast(Op):
    """Change dtype; the gradient is cast back to the input's dtype."""
    node_name = "ToCopyBackward0"  # PyTorch's name of the node

    def forward(ctx, a, np_dtype):
        ctx.source = a.dtype
        return a.astype(np_dtype)

    def backward(ctx, grad):
        return grad._cast(ctx.source), None


class ContiguousCopy(Op):
    """A C-ordered copy (``Tensor.contiguous``); the gradient passes through unchanged."""
    node_name = "CloneBackward0"  # PyTorch's name of the node

    def forward(ctx, a):
        return get_array_module(a).ascontiguousarray(a)

    def backward(ctx, grad):
        return grad


class Copysign(Op):
    """``|a|`` with the sign of ``b``; the gradient for ``a`` is the sign flip (0 at ``a == 0``,
    as PyTorch), ``b`` gets a zero gradient."""

    def forward(ctx, a, b):
        out = _array(get_array_module(a, b).copysign(a, b))
        ctx.save_for_backward(a, out)
        ctx.scalar = not hasattr(b, "shape")
        return out

    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        nonzero = a != 0
        flip = (out / a.where(nonzero, 1.0)).where(nonzero, 0.0).detach()
        return grad * flip, (None if ctx.scalar else grad * 0.0)

    def node_name_for(ctx):  # PyTorch: 0 for a tensor ``other``, 1 for a number
        return "CopysignBackward1" if ctx.scalar else "CopysignBackward0"


class Fmax(Op):
    """The elementwise max ignoring NaN; the gradient goes to ``a`` where ``a >= b`` or ``b`` is
    NaN (ties included), to ``b`` elsewhere, as PyTorch."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a, b).fmax(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        to_a = (a >= b) | b.isnan()
        return grad * to_a, grad * ~to_a


class Fmin(Op):
    """The elementwise min ignoring NaN; the gradient as ``Fmax``'s, with ``a <= b``."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return get_array_module(a, b).fmin(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        to_a = (a <= b) | b.isnan()
        return grad * to_a, grad * ~to_a


class Nextafter(Op):
    """The next float after ``a`` towards ``b``: gradient 1 for ``a``, 0 for ``b`` (PyTorch's)."""

    def forward(ctx, a, b):
        return get_array_module(a, b).nextafter(a, b)

    def backward(ctx, grad):
        return grad, grad * 0.0


class NoDerivative(Op):
    """Base of the functions PyTorch gives no derivative (``floor_divide``, ``heaviside``): the
    result joins the graph, and a backward through it raises PyTorch's error."""

    quiet_fp = True
    aten = ""  # the function's name in PyTorch's error

    @classmethod
    def _default_node_name(cls) -> str:
        return "NotImplemented"

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def backward(ctx, grad):
        raise RuntimeError(f"derivative for aten::{ctx.aten} is not implemented")


class Heaviside(NoDerivative):
    """The step function: 0 below 0, 1 above, ``values`` at 0 (0 for NaN, as PyTorch)."""

    aten = "heaviside"

    def forward(ctx, a, values):
        xp = get_array_module(a, values)
        return xp.where(a == 0, values, (a > 0).astype(a.dtype))
