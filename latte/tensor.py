"""``Tensor``: an array from the backend plus what autograd needs (grad, grad_fn, versions).

This file holds the class's core: construction, attributes, conversion and printing. The
operator methods live in the ``_tensor_*`` mixins beside it, one family per file, each a thin
wrapper over a primitive in ``latte/ops`` or a composition of them.
"""
from __future__ import annotations

import builtins
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from latte import _storage, backend, dtypes
from latte._size import Size, size_arg
from latte._storage import TypedStorage, UntypedStorage
from latte._tensor_index import IndexMixin
from latte._tensor_inplace import InplaceMixin
from latte._tensor_math import MathMixin
from latte._tensor_method_factories import complete_signatures
from latte._tensor_pointwise import PointwiseMixin
from latte._tensor_reduce import ReduceMixin
from latte._tensor_shape import ShapeMixin
from latte._tensor_str import tensor_repr
from latte.autograd import function
from latte.autograd.engine import backward as _backward
from latte.autograd.function import named_node
from latte.autograd.grad_mode import _state
from latte.ops.device import ToDevice
from latte.ops.elementwise import Cast, ContiguousCopy

__all__ = ["Tensor", "Size"]


class Tensor(MathMixin, PointwiseMixin, ReduceMixin, ShapeMixin, IndexMixin, InplaceMixin):
    """A multi-dimensional array that records the operations applied to it for autograd.

    ``Tensor(array)`` wraps a backend array without copying (Latte's internal use); create tensors
    with :func:`latte.tensor`, :func:`latte.zeros`, ... The legacy forms ``Tensor([1, 2])`` and
    ``Tensor(2, 3)`` make float tensors, as in PyTorch.
    """

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "_output_nr", "_vc", "_hooks",
                 "_post_accumulate_hooks", "__dict__", "__weakref__")
    __array_priority__ = 1000  # NumPy defers `ndarray * tensor` to Tensor.__rmul__

    def __init__(self, data: Any = None, requires_grad: bool = False, *more_sizes: int) -> None:
        if type(data) is not np.ndarray and not backend.is_device_array(data):
            if type(requires_grad) is builtins.int:  # Tensor(2, 3, ...): the second is a size
                data, requires_grad = Size((data, requires_grad, *more_sizes)), False
            data = _legacy_array(data)
        self._data = data
        self.requires_grad = requires_grad
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._vc = [0]  # version counter, shared with views
        self._hooks = None
        self._post_accumulate_hooks = None

    # --- attributes ----------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements of ``input`` (a Python int).

        Example::

            >>> latte.numel(latte.zeros(2, 3))
            6
        """
        return int(self._data.size)

    nelement = numel

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.from_numpy_dtype(self._data.dtype)

    @property
    def device(self) -> backend.device:
        return backend.device_of(self._data)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None or not self.requires_grad

    @property
    def is_cuda(self) -> bool:
        return type(self._data) is not np.ndarray and backend.is_device_array(self._data)

    def get_device(self) -> int:
        """The GPU index, or -1 on the CPU (as PyTorch)."""
        index = self.device.index
        return -1 if index is None else index

    @property
    def _version(self) -> int:
        return self._vc[0]

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def is_complex(self) -> bool:
        """Whether the dtype is complex: always False, Latte's dtypes being real.

        Example::

            >>> latte.is_complex(latte.ones(2))
            False
        """
        return False

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        """Bytes per element, as ``element_size()``."""
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of the elements this tensor shows: ``numel() * itemsize``."""
        return self._data.size * self._data.itemsize

    def untyped_storage(self) -> Any:
        """A minimal view of the memory behind this tensor: ``size()``/``nbytes()`` in bytes
        of the whole base array and ``data_ptr()`` of its start (views share it)."""
        return UntypedStorage(self._data)

    def storage(self) -> Any:
        """As :meth:`untyped_storage`, with ``size()`` counted in elements (typed storage)."""
        return TypedStorage(self._data)

    def stride(self, dim: int | None = None) -> Any:
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[self._dim(dim)]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def data_ptr(self) -> int:
        if self.is_cuda:
            return int(self._data.data.ptr)
        return self._data.__array_interface__["data"][0]

    @property
    def data(self) -> Tensor:
        """The same memory, detached from the graph and not tracked by the version counter."""
        return Tensor(self._data)

    @data.setter
    def data(self, value: Tensor) -> None:
        self._data = value._data if isinstance(value, Tensor) else \
            backend.to_device(np.asarray(value), self.device)

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a view)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def H(self) -> Tensor:
        """The conjugate transpose of a matrix: its transpose, for real tensors (a view)."""
        if self.ndim != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self.ndim}-D tensor. For batches of matrices, consider using "
                               f"tensor.mH")
        return self.transpose(0, 1)

    @property
    def mH(self) -> Tensor:
        """The conjugate transpose of the last two dims: ``mT``, for real tensors (a view)."""
        if self.ndim < 2:
            raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. "
                               f"Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def adjoint(self) -> Tensor:
        """The conjugate transpose of the last two dimensions (a view; for real tensors
        ``input.transpose(-2, -1)``).

        Example::

            >>> latte.adjoint(latte.zeros(5, 2, 3)).shape
            latte.Size([5, 3, 2])
        """
        return self.mH

    @property
    def real(self) -> Tensor:
        """The real part: the tensor itself, as Latte has no complex dtypes (as PyTorch)."""
        return self

    @property
    def imag(self) -> Tensor:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def _dim(self, dim: int) -> int:
        rank = max(self._data.ndim, 1)
        if not -rank <= dim < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-rank}, {rank - 1}], but got {dim})")
        return dim % rank

    def _xp(self) -> Any:
        return backend.get_array_module(self._data)

    # --- autograd ------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves it came from."""
        _backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self) -> Tensor:
        """A tensor on the same memory with no history (shares the version counter)."""
        out = Tensor(self._data)
        out._vc = self._vc
        return out

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    def register_hook(self, hook: Callable) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            node = self.grad_fn
            if node._out_hooks is None:
                node._out_hooks = {}
            hooks = node._out_hooks.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable) -> Any:
        """Call ``hook(tensor)`` after a leaf's ``.grad`` has been accumulated."""
        if self._post_accumulate_hooks is None:
            self._post_accumulate_hooks = []
        self._post_accumulate_hooks.append(hook)
        return _RemovableHandle(self._post_accumulate_hooks, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on a non-leaf tensor after backward."""
        if self.grad_fn is None:
            return
        if self.__dict__.get("_retains_grad"):
            return
        self.__dict__["_retains_grad"] = True
        ref = weakref.ref(self)

        def keep(grad: Tensor) -> None:
            t = ref()
            if t is not None:
                t.grad = grad if t.grad is None else t.grad + grad
        self.register_hook(keep)

    @property
    def retains_grad(self) -> bool:
        return bool(self.__dict__.get("_retains_grad"))

    # --- conversion ----------------------------------------------------------------------
    def item(self) -> Any:
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        """The underlying NumPy array, sharing memory (as in PyTorch)."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        self._check_on_host()
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self._check_on_host()
        return self._data if dtype is None else self._data.astype(dtype)

    def _check_on_host(self) -> None:
        if type(self._data) is not np.ndarray and self.is_cuda:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            f"Tensor.cpu() to copy the tensor to host memory first.")

    @named_node("CloneBackward0")
    def clone(self, memory_format: Any = None) -> Tensor:
        """A copy that stays in the graph (its gradient flows back to this tensor)."""
        return Cast.apply(self, self._data.dtype) if self.requires_grad and _state.enabled \
            else Tensor(backend.run_on(self._data, self._data.copy))

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """This tensor if its memory is C-ordered, else a C-ordered copy (in the graph)."""
        if self._data.flags.c_contiguous:
            return self
        if self.requires_grad and _state.enabled:
            return ContiguousCopy.apply(self)
        return Tensor(backend.run_on(self._data, self._data.copy))

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other)``: convert."""
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        copy = kwargs.get("copy", False)
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (dtypes.dtype, type)) or (isinstance(a, np.dtype)):
                dtype = a
            elif a is not None:
                device = a
        out = self
        if device is not None:
            target = backend.parse_device(device)
            if target != self.device:
                out = ToDevice.apply(self, target)
        if dtype is not None:
            out = out._cast(dtypes.to_numpy_dtype(dtype))
        return out.clone() if copy and out is self else out

    def _cast(self, np_dtype: Any) -> Tensor:
        if self._data.dtype == np_dtype:
            return self
        return Cast.apply(self, np_dtype)

    def type(self, dtype: Any = None) -> Any:
        """The type name (``'latte.FloatTensor'``) with no argument, else a cast to ``dtype``: a
        dtype or a type name such as ``'torch.IntTensor'``."""
        if dtype is None:
            return f"latte.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            by_name = {v: k for k, v in _TYPE_NAMES.items()}
            if name not in by_name:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = getattr(dtypes, by_name[name])
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self._cast(other._data.dtype)

    def float(self) -> Tensor:
        return self._cast(np.float32)

    def double(self) -> Tensor:
        return self._cast(np.float64)

    def half(self) -> Tensor:
        return self._cast(np.float16)

    def long(self) -> Tensor:
        return self._cast(np.int64)

    def int(self) -> Tensor:
        return self._cast(np.int32)

    def short(self) -> Tensor:
        return self._cast(np.int16)

    def char(self) -> Tensor:
        return self._cast(np.int8)

    def byte(self) -> Tensor:
        return self._cast(np.uint8)

    def bool(self) -> Tensor:
        return self._cast(np.bool_)

    def cpu(self, memory_format: Any = None) -> Tensor:
        """This tensor on the CPU: itself when already there, else a copy (differentiable)."""
        return self.to("cpu")

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """This tensor on a GPU (``device``: index or ``'cuda:N'``; the current one by default)."""
        return self.to("cuda" if device is None else device)

    def pin_memory(self) -> Tensor:
        return self

    # --- sharing between processes, and the device and layout predicates ------------------
    def share_memory_(self) -> Tensor:
        """Move the data into memory shared between processes; a no-op if already shared or on
        a GPU. The tensor keeps its version counter, ``requires_grad`` and ``grad``; processes
        that receive it (``latte.multiprocessing``) write into the same memory. Views taken
        before the move keep the old memory.

        Example::

            >>> w = latte.zeros(3).share_memory_()
            >>> w.is_shared()
            True
        """
        if not self.is_cuda and _storage.shared_location(self._data) is None:
            self._data = _storage.share_array(self._data)
        return self

    def is_shared(self) -> builtins.bool:
        """Whether the data is in memory shared between processes (GPU tensors count as shared,
        as in PyTorch)."""
        return self.is_cuda or _storage.shared_location(self._data) is not None

    def is_pinned(self, device: Any = None) -> builtins.bool:
        return False

    @property
    def layout(self) -> dtypes.layout:
        """``latte.strided``: Latte's tensors are dense."""
        return dtypes.strided

    @property
    def is_cpu(self) -> builtins.bool:
        return not self.is_cuda

    # devices and layouts Latte does not have: always False, so guards such as `x.is_xpu` pass
    is_xpu = is_mps = is_meta = is_sparse = is_sparse_csr = is_quantized = is_mkldnn = \
        is_vulkan = is_ipu = is_hpu = is_maia = is_mtia = is_nested = property(
            lambda self: False)

    # --- Python protocol -----------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is "
                               f"ambiguous")
        return builtins.bool(self._data)

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return builtins.int(self._data.item())

    def __complex__(self) -> complex:
        return complex(self.item())

    def __hash__(self) -> builtins.int:
        return id(self)

    def __repr__(self) -> str:
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return repr(self)

    def __reduce_ex__(self, protocol: Any) -> tuple:
        # plain pickling (DataLoader workers, deepcopy) keeps data and the requires_grad flag
        return (_rebuild, (self._data, self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.")
        out = Tensor(backend.run_on(self._data, self._data.copy), self.requires_grad)
        if self.grad is not None:
            out.grad = Tensor(backend.run_on(self._data, self.grad._data.copy))
        memo[id(self)] = out
        return out

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None,
                   requires_grad: bool = False) -> Tensor:
        np_dtype = self._data.dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
        target = self.device if device is None else backend.parse_device(device)
        if isinstance(data, Tensor):
            array = backend.to_device(data._data, target).astype(np_dtype, copy=True)
        else:
            array = backend.to_device(np.array(data, dtype=np_dtype), target)
        return Tensor(array, requires_grad)

    def new(self, *args: Any, device: Any = None) -> Tensor:
        """The legacy constructor of a tensor of this dtype and device: ``new(2, 3)`` (or a
        ``Size``) uninitialised, ``new(data)`` from a list, ``new()`` empty.

        Example::

            >>> latte.zeros(1, dtype=latte.float64).new([1, 2])
            tensor([1., 2.], dtype=latte.float64)
        """
        if len(args) == 1 and not isinstance(args[0], (builtins.int, Size)):
            data = args[0]
            if isinstance(data, Tensor):
                if data.dtype != self.dtype:
                    raise TypeError(f"expected {self.dtype} (got {data.dtype})")
                return Tensor(data._data)
            return self.new_tensor(data, device=device)
        return self._new(np.empty, args if args else (0,), None, False, device)

    def new_empty_strided(self, size: Any, stride: Any, dtype: Any = None, device: Any = None,
                          requires_grad: bool = False) -> Tensor:
        """An uninitialised tensor of ``size`` with element strides ``stride``, of this dtype
        and device unless given.

        Example::

            >>> latte.zeros(1).new_empty_strided((2, 3), (1, 2)).stride()
            (1, 2)
        """
        size, stride = tuple(size), tuple(stride)
        if len(size) != len(stride):
            raise RuntimeError(f"mismatch in length of strides and shape: {size} and {stride}")
        extent = 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride)) if \
            builtins.all(size) else 0
        storage = self._new(np.empty, (extent,), dtype, False, device)
        out = storage.as_strided(size, stride, 0).detach()
        out.requires_grad = requires_grad
        return out

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return self._new(np.zeros, size, dtype, requires_grad, device)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return self._new(np.ones, size, dtype, requires_grad, device)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
        return self._new(np.empty, size, dtype, requires_grad, device)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        out = self._new(np.empty, (size,), dtype, requires_grad, device)
        backend.run_on(out._data, out._data.fill, fill_value)
        return out

    def _new(self, maker: Callable, size: tuple, dtype: Any, requires_grad: bool,
             device: Any = None) -> Tensor:
        np_dtype = self._data.dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
        dev = self.device if device is None else backend.parse_device(device)
        with backend.device_guard(dev):  # CuPy allocates on the current GPU
            array = getattr(backend.module_for(dev), maker.__name__)(size_arg(size),
                                                                      dtype=np_dtype)
        return Tensor(array, requires_grad)

    def zeros_like(self) -> Tensor:
        return Tensor(backend.array_on(self._data, "zeros_like", self._data))

    def ones_like(self) -> Tensor:
        return Tensor(backend.array_on(self._data, "ones_like", self._data))


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}


class _RemovableHandle:
    """Returned by ``register_hook``: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _legacy_array(data: Any) -> np.ndarray:
    """``Tensor(2, 3)`` or ``Tensor(Size([2, 3]))`` (floats; PyTorch leaves them uninitialised)
    or ``Tensor([1, 2])`` (float copy), as PyTorch."""
    default = dtypes.get_default_dtype().np
    if data is None:
        return np.empty((0,), dtype=default)
    if isinstance(data, builtins.int):
        data = Size((data,))
    if isinstance(data, Size):  # sizes, where a plain tuple is data
        return np.zeros(data, dtype=default)
    if isinstance(data, Tensor):
        return data._data
    return np.array(data, dtype=default)


def _rebuild(array: Any, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad)


function.Tensor = Tensor
complete_signatures(Tensor)
