"""The hook-based spectral normalization of ``torch.nn.utils.spectral_norm``: parameter
``<name>_orig``, power-iteration buffers ``<name>_u`` and ``<name>_v``, and ``<name>``
recomputed before each forward (one power-iteration step set per forward in training)."""
from __future__ import annotations

from typing import Any, TypeVar

from latte import functional as L
from latte.autograd.grad_mode import no_grad
from latte.nn.functional import normalize
from latte.nn.modules.module import Module
from latte.nn.parameter import Parameter
from latte.nn.utils.parametrizations import _transposed_convolutions

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]

T_module = TypeVar("T_module", bound=Module)


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name> = <name>_orig / sigma``, ``sigma`` the
    power-iteration estimate of the largest singular value of the weight as a matrix with
    ``dim`` as rows."""

    _version: int = 1

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Any) -> Any:
        """``weight`` as a matrix: dim ``dim`` as rows, the rest flattened into columns."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Any:
        """The normalized weight; with ``do_power_iteration`` the buffers advance first (in
        place, so ``state_dict`` sees them)."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(L.mv(weight_mat.t(), u), dim=0, eps=self.eps))
                    u.copy_(normalize(L.mv(weight_mat, v), dim=0, eps=self.eps))
                # copies: the next in-place step must not change what backward reads
                u, v = u.clone(), v.clone()
        sigma = L.dot(u, L.mv(weight_mat, v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        """Put back ``module.<name>`` as one Parameter holding the current normalized weight."""
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module,
                                                       do_power_iteration=module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int,
              eps: float) -> SpectralNorm:
        """Move ``module.<name>`` to ``<name>_orig``, add the buffers and register the hook."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = normalize(weight.new_empty((h,)).normal_(0, 1), dim=0, eps=fn.eps)
            v = normalize(weight.new_empty((w,)).normal_(0, 1), dim=0, eps=fn.eps)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        setattr(module, fn.name, weight.detach())
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module: T_module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> T_module:
    """Divide ``module.<name>`` by its spectral norm before each forward, through a forward
    pre-hook with parameter ``<name>_orig`` and buffers ``<name>_u``, ``<name>_v`` (the legacy
    form; ``nn.utils.parametrizations.spectral_norm`` is the newer one). ``dim`` defaults to 0,
    1 for transposed convolutions. Returns ``module``.

    Example::

        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.shape
        latte.Size([40])
    """
    if dim is None:
        dim = 1 if isinstance(module, _transposed_convolutions()) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo :func:`spectral_norm` on ``module.<name>``, leaving the current normalized weight as
    one Parameter. Returns ``module``."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
