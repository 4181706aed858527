"""``latte.func``: composable function transforms, as ``torch.func`` (functorch).

``vmap`` maps a function over a batch dim; ``grad``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``
and ``hessian`` differentiate functions; ``functional_call`` runs a module as a function of its
parameters and buffers. They nest, e.g. per-sample gradients of a model::

    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss(params, x, y):
        out = latte.func.functional_call(model, params, (x.unsqueeze(0),))
        return latte.nn.functional.cross_entropy(out, y.unsqueeze(0))

    per_sample = latte.func.vmap(latte.func.grad(loss), in_dims=(None, 0, 0))(params, x, y)

``vmap`` here is a loop over the slices (same values as PyTorch's batched rules, one call per
slice), and the forward-mode transforms (``jvp``, ``jacfwd``) are computed in reverse mode.
"""
from latte.func.autodiff import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from latte.func.module_state import (functional_call, replace_all_batch_norm_modules_,
                                     stack_module_state)
from latte.func.vmap import vmap

__all__ = ["vmap", "grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd",
           "hessian", "functional_call", "stack_module_state", "replace_all_batch_norm_modules_"]
