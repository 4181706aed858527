"""Custom ``autograd.Function`` features the PyTorch tutorials use: double backward with
gradgradcheck, ``setup_context`` style (for ``latte.func``), ``mark_dirty``, saved tensor hooks."""
import numpy as np

import latte
from latte.autograd import Function, gradcheck, gradgradcheck


class _Sinh(Function):
    """The "Double Backward with Custom Functions" tutorial's Sinh: saves intermediates it also
    returns, so double backward goes through them."""

    @staticmethod
    def forward(ctx, x):
        expx, expnegx = latte.exp(x), latte.exp(-x)
        ctx.save_for_backward(expx, expnegx)
        return (expx - expnegx) / 2, expx, expnegx

    @staticmethod
    def backward(ctx, grad_out, grad_exp, grad_negexp):
        expx, expnegx = ctx.saved_tensors
        grad_input = grad_out * (expx + expnegx) / 2
        grad_input += grad_exp * expx
        grad_input -= grad_negexp * expnegx
        return grad_input


def test_sinh_double_backward():
    x = latte.rand(3, 3, requires_grad=True, dtype=latte.float64)
    assert gradcheck(lambda a: _Sinh.apply(a)[0], x)
    assert gradgradcheck(lambda a: _Sinh.apply(a)[0], x)


class _Scale(Function):
    """``forward`` without ctx and a ``setup_context``, as the torch.func tutorial."""

    @staticmethod
    def forward(x, k):
        return x * k

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.k = inputs[1]
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad):
        assert ctx.needs_input_grad == (True, False)
        return grad * ctx.k, None


class _Sin(Function):
    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return x.sin()

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.cos()


def test_setup_context_style_backward():
    x = latte.randn(4, requires_grad=True)
    _Scale.apply(x, 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(4, 3.0))


def test_setup_context_under_func_transforms():
    x = latte.randn(5, 3)
    np.testing.assert_allclose(latte.func.vmap(_Sin.apply)(x).numpy(), np.sin(x.numpy()),
                               rtol=1e-6)
    g = latte.func.grad(lambda a: _Sin.apply(a).sum())(x[0])
    np.testing.assert_allclose(g.numpy(), np.cos(x[0].numpy()), rtol=1e-6)
    out = latte.func.vmap(_Scale.apply, in_dims=(0, None))(x, 2.0)
    np.testing.assert_allclose(out.numpy(), 2 * x.numpy(), rtol=1e-6)


class _Double(Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, grad):
        return 2 * grad


def test_mark_dirty_gradient():
    a = latte.randn(3, requires_grad=True)
    b = a.clone()
    out = _Double.apply(b)
    np.testing.assert_allclose(out.detach().numpy(), 2 * a.detach().numpy())
    out.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full(3, 2.0))


def test_saved_tensors_hooks_called():
    calls = []
    a = latte.randn(3, requires_grad=True)
    with latte.autograd.graph.saved_tensors_hooks(lambda t: calls.append("pack") or t,
                                                  lambda t: calls.append("unpack") or t):
        y = a.pow(2)
    y.sum().backward()
    assert "pack" in calls and "unpack" in calls
    np.testing.assert_allclose(a.grad.numpy(), 2 * a.detach().numpy(), rtol=1e-6)
