"""Pruning as ``torch.nn.utils.prune``: zero parts of a parameter through a mask.

Pruning ``module.weight`` moves the parameter to ``weight_orig``, adds the buffer
``weight_mask`` (1 keeps an entry, 0 prunes it) and makes ``weight`` a plain attribute equal to
``weight_orig * weight_mask``, recomputed before every forward by a forward pre-hook: the
pruning method itself. Pruning the same tensor again chains the methods in a
``PruningContainer``, each acting only on what is still unpruned; :func:`remove` makes the
pruning permanent. ``state_dict`` keys are PyTorch's (``weight_orig``, ``weight_mask``).

Example::

    >>> import latte.nn.utils.prune as prune
    >>> m = prune.l1_unstructured(nn.Linear(4, 2), name="weight", amount=0.5)
    >>> [name for name, _ in m.named_parameters()], [name for name, _ in m.named_buffers()]
    (['bias', 'weight_orig'], ['weight_mask'])
    >>> int(m.weight_mask.sum())
    4
"""
from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

from latte import creation
from latte.nn.modules.module import Module
from latte.nn.utils.convert_parameters import parameters_to_vector
from latte.tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "RandomStructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "random_structured", "ln_structured",
           "global_unstructured", "custom_from_mask", "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """The base of pruning methods: subclass it, set ``PRUNING_TYPE`` (``"unstructured"``,
    ``"structured"`` with a ``dim`` attribute, or ``"global"``) and define ``compute_mask``.

    An instance is also the forward pre-hook that recomputes ``module.<name>`` from
    ``<name>_orig * <name>_mask`` before each forward.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> class EveryOther(prune.BasePruningMethod):
        ...     PRUNING_TYPE = "unstructured"
        ...     def compute_mask(self, t, default_mask):
        ...         mask = default_mask.clone()
        ...         mask.view(-1)[::2] = 0
        ...         return mask
        >>> m = nn.Linear(2, 4)
        >>> _ = EveryOther.apply(m, "bias")
        >>> m.bias_mask
        tensor([0., 1., 0., 1.])
    """

    PRUNING_TYPE: str
    _tensor_name: str

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """The new mask for ``t``, of its shape: ``default_mask`` (the mask so far) with the
        entries this method prunes set to 0.

        Args:
            t (Tensor): the importance scores (by default the tensor being pruned).
            default_mask (Tensor): the mask of earlier prunings (ones at first).
        """

    def apply_mask(self, module: Module) -> Tensor:
        """``<name>_orig * <name>_mask`` of ``module``: the pruned tensor, differentiable in
        ``<name>_orig``.

        Args:
            module (nn.Module): a module pruned by this method.
        """
        if getattr(self, "_tensor_name", None) is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module: Module, name: str, *args: Any,
              importance_scores: Tensor | None = None, **kwargs: Any) -> BasePruningMethod:
        """Prune ``module.<name>`` with ``cls(*args, **kwargs)``, chaining it after any earlier
        pruning of the same tensor; returns the method (or container) now hooked on ``module``.

        Args:
            module (nn.Module): the module holding the tensor.
            name (str): the parameter's name in ``module``.
            importance_scores (Tensor, optional): scores of ``name``'s shape that decide what
                to prune instead of the tensor's own values.
        """
        method = _chain(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is None:
            importance_scores = orig
        elif importance_scores.shape != orig.shape:
            raise AssertionError(f"importance_scores should have the same shape as parameter "
                                 f"{name} of {module}, got {importance_scores.shape} vs "
                                 f"{orig.shape}")
        first = not isinstance(method, PruningContainer)
        if first:  # the parameter moves to <name>_orig, its place kept for the pruned tensor
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = creation.ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone()
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first:  # leave the module as it was
                module.register_parameter(name, module._parameters.pop(name + "_orig"))
            raise
        return method

    def prune(self, t: Tensor, default_mask: Tensor | None = None,
              importance_scores: Tensor | None = None) -> Tensor:
        """``t`` times the mask this method computes for it (no module involved).

        Args:
            t (Tensor): the tensor to prune.
            default_mask (Tensor, optional): the mask so far (ones if None).
            importance_scores (Tensor, optional): scores of ``t``'s shape to rank by instead.
        """
        if importance_scores is None:
            importance_scores = t
        elif importance_scores.shape != t.shape:
            raise AssertionError(f"importance_scores should have the same shape as tensor t, "
                                 f"got {importance_scores.shape} vs {t.shape}")
        if default_mask is None:
            default_mask = creation.ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module: Module) -> None:
        """Make the pruning permanent: ``<name>`` becomes a parameter again holding the pruned
        values (the ``<name>_orig`` Parameter object, so optimizers keep working), and
        ``<name>_orig`` and ``<name>_mask`` go. The caller removes the hook.

        Args:
            module (nn.Module): the module pruned by this method.
        """
        if getattr(self, "_tensor_name", None) is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be "
                                 f"removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters.pop(self._tensor_name + "_orig")
        orig.data = weight.data
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _chain(cls: type, module: Module, name: str, *args: Any,
           **kwargs: Any) -> BasePruningMethod:
    """A new ``cls`` method for ``name``, put in a container after the one already hooked on
    ``module`` for ``name`` if there is one (whose hook is unregistered)."""
    old = [(k, hook) for k, hook in module._forward_pre_hooks.items()
           if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(old) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} "
                             f"of module {module}. Use a PruningContainer.")
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if not old:
        return method
    key, previous = old[0]
    del module._forward_pre_hooks[key]
    if not isinstance(previous, PruningContainer):
        previous = PruningContainer(previous)
    previous.add_pruning_method(method)
    return previous


class PruningContainer(BasePruningMethod):
    """The pruning methods applied in turn to one tensor; the last one acts only on the
    entries (or, for structured methods, the channels) the earlier ones left.

    Args:
        *args (BasePruningMethod): the methods, all for the same tensor name.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=1)
        >>> m = prune.random_unstructured(m, "weight", amount=1)
        >>> [type(method).__name__ for method in m._forward_pre_hooks[
        ...     next(iter(m._forward_pre_hooks))]]
        ['L1Unstructured', 'RandomUnstructured']
        >>> int(m.weight_mask.sum())
        4
    """

    PRUNING_TYPE = "container"

    def __init__(self, *args: BasePruningMethod) -> None:
        self._pruning_methods: tuple[BasePruningMethod, ...] = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method: BasePruningMethod) -> None:
        """Append ``method`` (it must prune the same tensor name as the container).

        Args:
            method (BasePruningMethod): the method to run after those already held.
        """
        if method is not None and not isinstance(method, BasePruningMethod):
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and getattr(self, "_tensor_name", None) != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named "
                             f"'{getattr(self, '_tensor_name', None)}' to PruningContainer "
                             f"{self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self) -> int:
        return len(self._pruning_methods)

    def __iter__(self) -> Iterator[BasePruningMethod]:
        return iter(self._pruning_methods)

    def __getitem__(self, idx: int) -> BasePruningMethod:
        return self._pruning_methods[idx]

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the last method's mask applied to the still-unpruned part of
        ``t``: its unpruned entries (unstructured), its channels along ``dim`` with any entry
        left (structured), or all of it (global).

        Args:
            t (Tensor): the importance scores.
            default_mask (Tensor): the mask of the methods before the last.
        """
        method = self._pruning_methods[-1]
        mask = default_mask.to(dtype=t.dtype)
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            part: Any = default_mask == 1
        elif kind == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to '
                                     'have the attribute `dim` defined.')
            n_dims = t.dim()
            dim = method.dim + n_dims if method.dim < 0 else method.dim
            if dim < 0:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n_dims}")
            others = [d for d in range(n_dims) if d != dim]
            keep_channel = default_mask.sum(dim=others) != 0
            part = tuple(keep_channel if d == dim else slice(None) for d in range(n_dims))
        elif kind == "global":
            part = tuple(slice(None) for _ in range(t.dim()))
        else:
            raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
        partial = method.compute_mask(t[part], default_mask=default_mask[part])
        mask[part] = partial.to(dtype=mask.dtype)
        return mask


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (to get ``weight_orig``/``weight_mask`` without
    removing anything).

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.identity(nn.Linear(2, 2), "bias")
        >>> m.bias_mask
        tensor([1., 1.])
    """

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` unchanged."""
        return default_mask

    @classmethod
    def apply(cls, module: Module, name: str) -> BasePruningMethod:  # type: ignore[override]
        """Hook an all-ones mask on ``module.<name>``."""
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prunes ``amount`` entries chosen uniformly at random.

    Args:
        amount (int or float): how many entries (an int), or what fraction (a float in
            ``[0, 1]``), to prune.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.random_unstructured(nn.Linear(5, 2), "weight", amount=0.3)
        >>> int((m.weight_mask == 0).sum())
        3
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with ``amount`` random entries set to 0."""
        k = _count(self.amount, t.numel())
        mask = default_mask.clone()
        if k:
            mask.view(-1)[creation.rand_like(t).view(-1).topk(k).indices] = 0
        return mask

    @classmethod
    def apply(cls, module: Module, name: str,  # type: ignore[override]
              amount: int | float) -> BasePruningMethod:
        """Prune ``amount`` random entries of ``module.<name>``."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prunes the ``amount`` entries of smallest absolute value.

    Args:
        amount (int or float): how many entries (an int), or what fraction (a float in
            ``[0, 1]``), to prune.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> prune.L1Unstructured(amount=2).prune(latte.tensor([3., 1., 0.5, 2.]))
        tensor([3., 0., 0., 2.])
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount: int | float) -> None:
        _validate_amount(amount)
        self.amount = amount

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the ``amount`` entries of ``t`` smallest in ``|t|`` set to 0."""
        k = _count(self.amount, t.numel())
        mask = default_mask.clone()
        if k:
            mask.view(-1)[t.abs().view(-1).topk(k, largest=False).indices] = 0
        return mask

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              importance_scores: Tensor | None = None) -> BasePruningMethod:
        """Prune the ``amount`` smallest-magnitude entries of ``module.<name>``."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes ``amount`` whole channels along ``dim``, chosen at random.

    Args:
        amount (int or float): how many channels (an int), or what fraction (a float in
            ``[0, 1]``), to prune.
        dim (int): the dimension whose slices are the channels. Default: -1.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.random_structured(nn.Linear(3, 4), "weight", amount=1, dim=0)
        >>> (m.weight_mask.sum(1) == 0).sum().item()
        1
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, dim: int = -1) -> None:
        _validate_amount(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with ``amount`` random channels along ``dim`` set to 0."""
        _validate_structured(t, self.dim)
        channels = t.shape[self.dim]
        k = _count(self.amount, channels)
        if not k:
            return default_mask
        prob = creation.rand(channels)
        keep = prob > prob.kthvalue(k).values
        return _channel_mask(t, self.dim, keep) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              dim: int = -1) -> BasePruningMethod:
        """Prune ``amount`` random channels of ``module.<name>`` along ``dim``."""
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the ``amount`` channels along ``dim`` of smallest ``L_n`` norm.

    Args:
        amount (int or float): how many channels (an int), or what fraction (a float in
            ``[0, 1]``), to prune.
        n (int, float, inf, -inf, 'fro', 'nuc'): the order of the norm (``Tensor.norm``'s ``p``).
        dim (int): the dimension whose slices are the channels. Default: -1.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> w = latte.tensor([[1., 1.], [3., 0.], [0., 0.5]])
        >>> prune.LnStructured(amount=1, n=2, dim=0).prune(w)
        tensor([[1., 1.],
                [3., 0.],
                [0., 0.]])
    """

    PRUNING_TYPE = "structured"

    def __init__(self, amount: int | float, n: Any, dim: int = -1) -> None:
        _validate_amount(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask`` with the ``amount`` channels of smallest norm set to 0."""
        _validate_structured(t, self.dim)
        channels = t.shape[self.dim]
        k = _count(self.amount, channels)
        if not k:
            return default_mask
        dim = self.dim % t.dim()
        norm = t.norm(p=self.n, dim=[d for d in range(t.dim()) if d != dim])
        keep = norm.topk(channels - k, largest=True).indices
        return _channel_mask(t, dim, keep) * default_mask.to(dtype=t.dtype)

    @classmethod
    def apply(cls, module: Module, name: str, amount: int | float,  # type: ignore[override]
              n: Any, dim: int, importance_scores: Tensor | None = None) -> BasePruningMethod:
        """Prune the ``amount`` lowest-norm channels of ``module.<name>`` along ``dim``."""
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where a given mask is 0.

    Args:
        mask (Tensor): the mask, of the pruned tensor's shape.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> prune.CustomFromMask(latte.tensor([1, 0, 1])).prune(latte.tensor([4., 5., 6.]))
        tensor([4., 0., 6.])
    """

    PRUNING_TYPE = "global"

    def __init__(self, mask: Tensor) -> None:
        self.mask = mask

    def compute_mask(self, t: Tensor, default_mask: Tensor) -> Tensor:
        """``default_mask * mask``."""
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match "
                                 f"self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module: Module, name: str,  # type: ignore[override]
              mask: Tensor) -> BasePruningMethod:
        """Prune ``module.<name>`` where ``mask`` is 0."""
        return super().apply(module, name, mask=mask)


def identity(module: Module, name: str) -> Module:
    """Reparametrize ``module.<name>`` as ``<name>_orig * <name>_mask`` with an all-ones mask;
    returns ``module``.

    Args:
        module (nn.Module): the module holding the tensor.
        name (str): the parameter's name in ``module``.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> list(prune.identity(nn.Linear(2, 3), "bias").state_dict())
        ['weight', 'bias_orig', 'bias_mask']
    """
    Identity.apply(module, name)
    return module


def random_unstructured(module: Module, name: str, amount: int | float) -> Module:
    """Prune ``amount`` entries of ``module.<name>`` chosen at random; returns ``module``.

    Args:
        module (nn.Module): the module holding the tensor.
        name (str): the parameter's name in ``module``.
        amount (int or float): how many entries (an int), or what fraction (a float).

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.random_unstructured(nn.Linear(10, 1), "weight", amount=0.3)
        >>> int(m.weight_mask.sum())
        7
    """
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module: Module, name: str, amount: int | float,
                    importance_scores: Tensor | None = None) -> Module:
    """Prune the ``amount`` entries of ``module.<name>`` smallest in absolute value (or in
    ``importance_scores``); returns ``module``.

    Args:
        module (nn.Module): the module holding the tensor.
        name (str): the parameter's name in ``module``.
        amount (int or float): how many entries (an int), or what fraction (a float).
        importance_scores (Tensor, optional): scores to rank by, of the tensor's shape.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = nn.Linear(2, 2)
        >>> _ = m.bias.data.copy_(latte.tensor([0.1, -0.5]))
        >>> prune.l1_unstructured(m, "bias", amount=1).bias
        tensor([ 0.0000, -0.5000], grad_fn=<MulBackward0>)
    """
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module: Module, name: str, amount: int | float, dim: int) -> Module:
    """Prune ``amount`` random channels of ``module.<name>`` along ``dim``; returns
    ``module``.

    Args:
        module (nn.Module): the module holding the tensor.
        name (str): the parameter's name in ``module``.
        amount (int or float): how many channels (an int), or what fraction (a float).
        dim (int): the dimension whose slices are the channels.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.random_structured(nn.Conv2d(1, 4, 3), "weight", amount=0.5, dim=0)
        >>> (m.weight_mask.sum(dim=(1, 2, 3)) == 0).sum().item()
        2
    """
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module: Module, name: str, amount: int | float, n: Any, dim: int,
                  importance_scores: Tensor | None = None) -> Module:
    """Prune the ``amount`` channels of ``module.<name>`` along ``dim`` with the smallest
    ``L_n`` norm; returns ``module``.

    Args:
        module (nn.Module): the module holding the tensor.
        name (str): the parameter's name in ``module``.
        amount (int or float): how many channels (an int), or what fraction (a float).
        n (int, float, inf, -inf, 'fro', 'nuc'): the order of the norm.
        dim (int): the dimension whose slices are the channels.
        importance_scores (Tensor, optional): scores to rank by, of the tensor's shape.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.ln_structured(nn.Conv2d(1, 4, 3), "weight", amount=0.5, n=2, dim=0)
        >>> (m.weight_mask.sum(dim=(1, 2, 3)) == 0).sum().item()
        2
    """
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters: Iterable[tuple[Module, str]], pruning_method: type,
                        importance_scores: dict | None = None, **kwargs: Any) -> None:
    """Prune several tensors as one: ``pruning_method(**kwargs)`` ranks all their entries
    together (so the 20% of smallest weights may fall mostly in one layer), then each tensor
    gets its part of the mask.

    Args:
        parameters (iterable of (module, name)): the tensors to prune.
        pruning_method (type): an unstructured method class, such as ``L1Unstructured``.
        importance_scores (dict, optional): ``{(module, name): scores}`` to rank by instead.
        **kwargs: passed to ``pruning_method`` (``amount=...``).

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> a, b = nn.Linear(4, 4), nn.Linear(4, 4)
        >>> prune.global_unstructured([(a, "weight"), (b, "weight")],
        ...                           pruning_method=prune.L1Unstructured, amount=8)
        >>> int((a.weight == 0).sum() + (b.weight == 0).sum())
        8
    """
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    scores = parameters_to_vector([importance_scores.get((m, n), getattr(m, n))
                                   for m, n in parameters])
    default_mask = parameters_to_vector([getattr(m, n + "_mask") if hasattr(m, n + "_mask")
                                         else creation.ones_like(getattr(m, n))
                                         for m, n in parameters])
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f'Found method {pruning_method} of type {method.PRUNING_TYPE}')
    method._tensor_name = "temp"
    container = PruningContainer()
    container._tensor_name = "temp"
    container.add_pruning_method(method)
    final_mask = container.compute_mask(scores, default_mask)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        size = param.numel()
        custom_from_mask(module, name, mask=final_mask[start:start + size].view_as(param))
        start += size


def custom_from_mask(module: Module, name: str, mask: Tensor) -> Module:
    """Prune ``module.<name>`` where ``mask`` is 0; returns ``module``.

    Args:
        module (nn.Module): the module holding the tensor.
        name (str): the parameter's name in ``module``.
        mask (Tensor): the mask, of the tensor's shape.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.custom_from_mask(nn.Linear(5, 3), "bias", mask=latte.tensor([0, 1, 0]))
        >>> m.bias_mask
        tensor([0., 1., 0.])
    """
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module: Module, name: str) -> Module:
    """Make the pruning of ``module.<name>`` permanent: ``<name>`` is a parameter again with
    the pruned values, and ``<name>_orig``, ``<name>_mask`` and the hook are gone. Returns
    ``module``.

    Args:
        module (nn.Module): the pruned module.
        name (str): the pruned tensor's name.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = prune.remove(prune.l1_unstructured(nn.Linear(2, 2), "weight", 2), "weight")
        >>> list(m.state_dict()), int((m.weight == 0).sum())
        (['bias', 'weight'], 2)
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning "
                     f"can be removed")


def is_pruned(module: Module) -> bool:
    """Whether ``module`` or any submodule has a pruning hook.

    Args:
        module (nn.Module): the module to inspect.

    Example::

        >>> import latte.nn.utils.prune as prune
        >>> m = nn.Sequential(nn.Linear(2, 2))
        >>> prune.is_pruned(m), prune.is_pruned(prune.identity(m[0], "weight") and m)
        (False, True)
    """
    return any(isinstance(hook, BasePruningMethod)
               for sub in module.modules() for hook in sub._forward_pre_hooks.values())


def _validate_amount(amount: Any) -> None:
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (amount < 0 if isinstance(amount, numbers.Integral)
            else not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a "
                         f"non-negative integer")


def _count(amount: int | float, size: int) -> int:
    """How many of ``size`` entries or channels ``amount`` prunes (a float rounds, as
    Python's ``round``)."""
    if isinstance(amount, numbers.Integral):
        if amount > size:
            raise ValueError(f"amount={amount} should be smaller than the number of parameters "
                             f"to prune={size}")
        return int(amount)
    return round(amount * size)


def _validate_structured(t: Tensor, dim: int) -> None:
    if t.dim() <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {t.shape} with {t.dim()} dims")
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _channel_mask(t: Tensor, dim: int, keep: Tensor) -> Tensor:
    """Zeros of ``t``'s shape with ones in the channels ``keep`` (indices or booleans) of
    ``dim``."""
    mask = creation.zeros_like(t)
    mask[tuple(keep if d == dim else slice(None) for d in range(t.dim()))] = 1
    return mask
