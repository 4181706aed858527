"""
Tensors and autograd
====================

Latte's tensors are PyTorch's: created the same way, computed on with the same methods, and
differentiated by the same reverse-mode engine. This tutorial builds tensors, differentiates
through them (first and second derivatives), and writes a new differentiable operation as a
:class:`latte.autograd.Function` whose gradient :func:`latte.autograd.gradcheck` verifies.
"""
import matplotlib.pyplot as plt

import latte

latte.manual_seed(0)

# %%
# Tensors
# -------
# Factories take PyTorch's arguments; the default dtype is float32, as in PyTorch.
x = latte.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(x)
print(x.shape, x.dtype)
print(latte.zeros(2, 3), latte.arange(5), latte.linspace(0, 1, 3), sep="\n")

# %%
# Operations broadcast as NumPy's do, and reductions take ``dim`` and ``keepdim``.
y = x * latte.tensor([10.0, 100.0, 1000.0])
print(y)
print(y.sum(dim=1), y.mean(dim=0, keepdim=True), x @ x.T, sep="\n")

# %%
# Indexing and reshaping return views that share memory with the original, as in PyTorch.
row = x[0]
row[0] = -1.0
print(x)
print(x.view(3, 2), x.t().is_contiguous())

# %%
# Gradients
# ---------
# A tensor created with ``requires_grad=True`` records the operations applied to it;
# ``backward()`` fills ``.grad`` of every leaf with d(output)/d(leaf).
w = latte.tensor([1.0, -2.0, 0.5], requires_grad=True)
loss = (w ** 2).sum() + w.prod()
loss.backward()
print(loss.item(), w.grad)  # 2w + prod(w)/w

# %%
# :func:`latte.autograd.grad` returns the gradient instead, and with ``create_graph=True`` the
# gradient is itself differentiable: here the first and second derivatives of tanh, drawn
# beside the function.
t = latte.linspace(-3, 3, 200, requires_grad=True)
f = t.tanh()
(df,) = latte.autograd.grad(f.sum(), t, create_graph=True)
(ddf,) = latte.autograd.grad(df.sum(), t)
with latte.no_grad():
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for values, label in ((f, "tanh(t)"), (df, "first derivative"), (ddf, "second derivative")):
        ax.plot(t.detach().numpy(), values.detach().numpy(), label=label)
    ax.set_xlabel("t")
    ax.legend()
    fig.tight_layout()

# %%
# A custom Function
# -----------------
# A new differentiable operation is a subclass of :class:`latte.autograd.Function` with a
# ``forward`` and a ``backward``: ``forward`` computes the output and saves what ``backward``
# needs through ``ctx.save_for_backward``; ``backward`` receives d(loss)/d(output) and returns
# one gradient per input. This one is softplus, ``log(1 + exp(x))``, written in the stable form
# ``max(x, 0) + log1p(exp(-|x|))``, whose derivative is the logistic sigmoid.


class Softplus(latte.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0) + (-x.abs()).exp().log1p()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.sigmoid()


x = latte.randn(5, dtype=latte.float64, requires_grad=True)
y = Softplus.apply(x)
y.sum().backward()
print(y)
print(x.grad)
print(latte.nn.functional.softplus(x))  # the library's own softplus agrees

# %%
# :func:`latte.autograd.gradcheck` compares the analytical gradient with central finite
# differences, element by element, in float64; it raises on a mismatch and returns True.
print(latte.autograd.gradcheck(Softplus.apply, (x,)))

# %%
# A wrong backward is caught: here one that forgets the chain rule's ``grad_output``.


class WrongSoftplus(Softplus):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return x.sigmoid()


try:
    latte.autograd.gradcheck(lambda v: 3 * WrongSoftplus.apply(v), (x,))
except latte.autograd.GradcheckError as error:
    print("GradcheckError:", str(error).splitlines()[0])
