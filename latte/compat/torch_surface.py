"""PyTorch API that scripts touch but that has no place in Latte's core.

Each entry of :data:`SURFACES` gives the extra attributes of one PyTorch module as the compat
finder builds it: ``torch.compile`` returning the model unchanged, ``torch.autocast`` and
``GradScaler`` accepted and inert on the CPU, the ``torch.backends`` flags, ``torch.cuda``
queries answering "no GPU", ``torch.jit`` refusing clearly, ``torch.__version__`` and so on.
Modules that exist only here (``torch.amp``, ``torch.backends`` ...) are built from it alone.
"""
from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np

import latte
from latte.utils.data import Dataset

__all__ = ["SURFACES", "surface", "save", "load", "compile", "autocast", "GradScaler"]

# the PyTorch release whose API the surface follows; the local part says it is Latte
__version__ = "2.5.0+latte." + latte.__version__


# --- torch.compile, torch.jit ------------------------------------------------------------
def compile(model: Callable | None = None, **options: Any) -> Any:
    """``torch.compile``: Latte has no compiler, so the model (or function) comes back as is.

    Example::

        >>> model = torch.compile(model)            # same object  # doctest: +SKIP
        >>> @torch.compile(mode="reduce-overhead")  # as a decorator too  # doctest: +SKIP
        ... def f(x): return x * 2
    """
    if model is None:
        return lambda fn: fn
    return model


def _jit_refused(what: str) -> Callable:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"torch.jit.{what}: Latte does not have TorchScript files; save "
                           "the model's state_dict() with torch.save instead (torch.jit.script "
                           "and trace are accepted and run the model eagerly)")
    refuse.__name__ = what
    return refuse


def _identity_decorator(fn: Any = None, **kwargs: Any) -> Any:
    """``torch.jit.ignore``/``unused``/``export``: markers for TorchScript, harmless eagerly."""
    return fn if fn is not None else (lambda f: f)


# --- mixed precision: autocast and GradScaler, inert on the CPU --------------------------
class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True)``: accepted, computes unchanged.

    Latte computes in the tensors' own dtypes; PyTorch's autocast would run some CPU ops in
    bfloat16, so results under Latte are the float32 ones. Works as a context manager and as a
    decorator.
    """

    def __init__(self, device_type: str = "cuda", dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"autocast expected device_type to be a string, got {device_type!r}")
        self.device_type, self.fast_dtype, self._enabled = device_type, dtype, enabled

    def __enter__(self) -> autocast:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)
        return wrapper


def _cuda_autocast(enabled: bool = True, dtype: Any = None, cache_enabled: bool = True
                   ) -> autocast:
    return autocast("cuda", dtype, enabled, cache_enabled)


def _cpu_autocast(enabled: bool = True, dtype: Any = None, cache_enabled: bool = True
                  ) -> autocast:
    return autocast("cpu", dtype, enabled, cache_enabled)


class GradScaler:
    """``torch.amp.GradScaler``: disabled without a GPU, as PyTorch disables it.

    ``scale(loss)`` returns the loss unchanged, ``step(optimizer)`` calls ``optimizer.step()``,
    ``update()`` and ``unscale_()`` do nothing, ``get_scale()`` is 1.0.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._enabled = False  # PyTorch turns the scaler off when its device is unavailable

    def scale(self, outputs: Any) -> Any:
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        return None

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        return None

    def get_scale(self) -> float:
        return 1.0

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        return None


# --- save and load ----------------------------------------------------------------------
def save(obj: Any, f: Any, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True) -> None:
    """``torch.save`` through ``latte.save`` (a whole model too, loaded back with
    ``torch.load(f, weights_only=False)``)."""
    latte.save(obj, f)


def load(f: Any, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None, **pickle_load_args: Any
         ) -> Any:
    """``torch.load`` through ``latte.load``: weights only unless ``weights_only=False``."""
    return latte.load(f, map_location=map_location, weights_only=weights_only)


# --- legacy names: torch.autograd.Variable (torch.FloatTensor and kin are in latte) -----
class _VariableType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, latte.Tensor)

    def __call__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
        """``Variable(t)`` is ``t`` since PyTorch 0.4; ``requires_grad`` is set as asked."""
        return data.requires_grad_(True) if requires_grad else data


class Variable(metaclass=_VariableType):
    """``torch.autograd.Variable``: merged into Tensor; ``Variable(t)`` returns ``t``."""


# --- devices: torch.cuda, torch.backends, torch.accelerator -------------------------------
def _no_gpu(what: str) -> Callable:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"torch.cuda.{what}: no CUDA GPU is available (Latte runs on the "
                           "CPU); guard GPU code with torch.cuda.is_available()")
    refuse.__name__ = what
    return refuse


def _zero(*args: Any, **kwargs: Any) -> int:
    return 0


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


class _Flags(types.SimpleNamespace):
    """A namespace of settable flags such as ``torch.backends.cuda.matmul.allow_tf32``."""


def _torch() -> dict[str, Any]:
    return {
        "__version__": __version__, "compile": compile, "autocast": autocast, "save": save,
        "load": load,
    }


def _cuda() -> dict[str, Any]:
    out: dict[str, Any] = {name: _no_gpu(name) for name in (
        "current_device", "set_device", "get_device_name", "get_device_properties",
        "get_device_capability", "mem_get_info", "Stream", "Event", "stream")}
    out.update({
        "is_available": _false, "device_count": _zero, "is_initialized": _false,
        "is_bf16_supported": _false, "empty_cache": _nothing, "synchronize": _nothing,
        "memory_allocated": _zero, "max_memory_allocated": _zero, "memory_reserved": _zero,
        "max_memory_reserved": _zero, "reset_peak_memory_stats": _nothing,
        "manual_seed": _nothing, "manual_seed_all": _nothing, "seed": _nothing,
        "seed_all": _nothing,
    })
    if latte.cuda.is_available():  # a GPU with CuPy: scripts see it, as under real torch
        out.update({name: getattr(latte.cuda, name) for name in latte.cuda.__all__})
    return out


def _amp() -> dict[str, Any]:
    return {"autocast": autocast, "GradScaler": GradScaler}


def _cuda_amp() -> dict[str, Any]:
    return {"autocast": _cuda_autocast, "GradScaler": GradScaler}


def _no_accelerator(what: str) -> Callable:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"torch.accelerator.{what}: no accelerator is available (Latte runs "
                           "on the CPU); guard with torch.accelerator.is_available()")
    refuse.__name__ = what
    return refuse


def _accelerator() -> dict[str, Any]:
    """``torch.accelerator`` on the CPU: none available, ``current_accelerator()`` is None."""
    out: dict[str, Any] = {name: _no_accelerator(name) for name in (
        "set_device_index", "set_device_idx", "current_device_index", "current_device_idx",
        "current_stream", "set_stream", "device_index")}
    out.update({"is_available": _false, "device_count": _zero,
                "current_accelerator": lambda check_available=False: None,
                "synchronize": _nothing, "empty_cache": _nothing,
                "memory_allocated": _zero, "max_memory_allocated": _zero})
    return out


class _PlainProgress:
    """Stand-in for ``tqdm`` where it is not installed: iterates, and the bar calls do nothing."""

    def __init__(self, iterable: Any = None, *args: Any, **kwargs: Any) -> None:
        self.iterable = iterable

    def __iter__(self) -> Any:
        return iter(self.iterable)

    def __len__(self) -> int:
        return len(self.iterable)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return _nothing  # update, set_postfix, set_description, close, ...


def _hubconf(repo_or_dir: str, source: str) -> types.ModuleType:
    """The ``hubconf.py`` of a local folder, imported with the folder on ``sys.path`` (its
    ``dependencies`` must import)."""
    if source != "local":
        raise RuntimeError(
            f"torch.hub: source={source!r} downloads {repo_or_dir!r} from GitHub, which Latte "
            "does not do; clone it and load it with torch.hub.load(PATH, name, "
            "source='local')")
    folder = os.path.abspath(os.path.expanduser(repo_or_dir))
    path = os.path.join(folder, "hubconf.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"torch.hub: no hubconf.py in {folder}")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    missing = [d for d in getattr(module, "dependencies", [])
               if importlib.util.find_spec(d) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    return module


def _hub_entry(module: types.ModuleType, model: str) -> Callable:
    entry = getattr(module, model, None)
    if not callable(entry):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return entry


def hub_load(repo_or_dir: str, model: str, *args: Any, source: str = "github",
             trust_repo: Any = None, force_reload: bool = False, verbose: bool = True,
             skip_validation: bool = False, **kwargs: Any) -> Any:
    """``torch.hub.load``: call entry point ``model`` of ``repo_or_dir``'s ``hubconf.py``
    with ``*args, **kwargs``. Only ``source="local"`` (a folder on disk); GitHub sources say
    how to use a local clone.

    Example::

        >>> model = torch.hub.load("path/to/repo", "resnet18",
        ...                        source="local", weights=None)  # doctest: +SKIP
    """
    return _hub_entry(_hubconf(repo_or_dir, source), model)(*args, **kwargs)


def hub_list(github: str, force_reload: bool = False, skip_validation: bool = False,
             trust_repo: Any = None, verbose: bool = True, source: str = "github"
             ) -> list[str]:
    """``torch.hub.list``: the entry points of a local ``hubconf.py``."""
    module = _hubconf(github, source)
    return [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
            and not isinstance(v, type) and getattr(v, "__module__", None) == "hubconf"]


def hub_help(github: str, model: str, force_reload: bool = False,
             skip_validation: bool = False, trust_repo: Any = None, source: str = "github"
             ) -> str | None:
    """``torch.hub.help``: the docstring of an entry point of a local ``hubconf.py``."""
    return _hub_entry(_hubconf(github, source), model).__doc__


def _hub() -> dict[str, Any]:
    """``torch.hub``: ``load``/``list``/``help`` from a local folder's ``hubconf.py``, ``tqdm``
    (scripts import their progress bar from there), the weights cache
    (``load_state_dict_from_url``, ``get_dir``) over ``latte.vision``'s downloads."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = _PlainProgress
    from latte.vision.models import _weights  # vision loads on first use
    return {"tqdm": tqdm, "load_state_dict_from_url": _weights.load_state_dict_from_url,
            "get_dir": lambda: str(_weights.checkpoint_dir().parent),
            "load": hub_load, "list": hub_list, "help": hub_help}


@contextlib.contextmanager
def _flags_context(*args: Any, **kwargs: Any) -> Any:
    """``torch.backends.cudnn.flags(enabled=..., benchmark=...)``: a context, inert on the CPU."""
    yield


def _backends_cuda() -> dict[str, Any]:
    return {"is_built": _false, "matmul": _Flags(allow_tf32=False,
                                                 allow_fp16_reduced_precision_reduction=True),
            "enable_flash_sdp": _nothing, "enable_mem_efficient_sdp": _nothing}


def _jit_eager(obj: Any = None, *args: Any, **kwargs: Any) -> Any:
    """``torch.jit.script``/``trace``/``freeze``: the module or function itself, run eagerly
    (the same results; only TorchScript's files, ``jit.save``/``jit.load``, are refused)."""
    return obj


def _jit() -> dict[str, Any]:
    out: dict[str, Any] = {name: _jit_refused(name) for name in ("save", "load")}
    out.update({name: _jit_eager for name in (
        "script", "trace", "trace_module", "freeze", "optimize_for_inference")})
    out.update({"ignore": _identity_decorator, "unused": _identity_decorator,
                "export": _identity_decorator, "is_scripting": _false, "is_tracing": _false})
    return out


class FakeData(Dataset):
    """``torchvision.datasets.FakeData``: random images and labels, for runs without data.

    Image ``i`` is a PIL image, as torchvision's (a uint8 ``(H, W, C)`` array without pillow), of
    noise drawn by NumPy from seed ``i + random_offset``, so it is the same on every run;
    torchvision draws from torch's generator instead, so the pixels differ from PyTorch's.
    """

    def __init__(self, size: int = 1000, image_size: tuple[int, int, int] = (3, 224, 224),
                 num_classes: int = 10, transform: Callable | None = None,
                 target_transform: Callable | None = None, random_offset: int = 0) -> None:
        self.size, self.image_size, self.num_classes = size, tuple(image_size), num_classes
        self.transform, self.target_transform = transform, target_transform
        self.random_offset = random_offset

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        if not 0 <= index < self.size:
            raise IndexError(f"FakeData index {index} out of range for size {self.size}")
        rng = np.random.RandomState(index + self.random_offset)
        c, h, w = self.image_size
        img = rng.randint(0, 256, (h, w, c), dtype=np.uint8)
        img = img[:, :, 0] if c == 1 else img
        from latte.vision.datasets.vision import pil_image_module  # vision loads on first use
        image_module = pil_image_module()
        if image_module is not None:  # Resize/CenterCrop read an array as (C, H, W), not (H, W, C)
            img = image_module.fromarray(img)
        target = int(rng.randint(0, self.num_classes))
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


SURFACES: dict[str, Callable[[], dict[str, Any]]] = {
    "torch": _torch,
    "torch.cuda": _cuda,
    "torch.cuda.amp": _cuda_amp,
    "torch.amp": _amp,
    "torch.autograd": lambda: {"Variable": Variable},
    "torch.cpu": lambda: {"is_available": lambda: True, "device_count": lambda: 1},
    "torch.cpu.amp": lambda: {"autocast": _cpu_autocast},
    "torch.accelerator": _accelerator,
    "torch.hub": _hub,
    "torch.backends": lambda: {},
    "torch.backends.cudnn": lambda: {"benchmark": False, "deterministic": False,
                                     "enabled": True, "allow_tf32": True,
                                     "is_available": _false, "version": _nothing,
                                     "flags": _flags_context},
    "torch.backends.mps": lambda: {"is_available": _false, "is_built": _false},
    "torch.backends.cuda": _backends_cuda,
    "torch.backends.mkldnn": lambda: {"is_available": _false, "enabled": False,
                                      "flags": _flags_context},
    "torch.backends.openmp": lambda: {"is_available": _false},
    "torch.backends.mkl": lambda: {"is_available": _false},
    "torch.backends.xnnpack": lambda: {"enabled": False},
    "torch.backends.opt_einsum": lambda: {"is_available": _false, "enabled": False,
                                          "strategy": None},
    "torch.backends.quantized": lambda: {"engine": "none", "supported_engines": ["none"]},
    "torch.backends.cpu": lambda: {"get_cpu_capability": lambda: "DEFAULT"},
    "torch.jit": _jit,
    "torch.version": lambda: {"__version__": __version__, "cuda": None, "hip": None,
                              "git_version": "latte"},
    "torchvision": lambda: {"__version__": "0.20.0+latte." + latte.__version__},
    "torchvision.models": lambda: {},
    "torchvision.datasets": lambda: {"FakeData": FakeData},
}


def surface(name: str) -> dict[str, Any]:
    """The compat attributes of the PyTorch module ``name`` (empty when it has none)."""
    make = SURFACES.get(name)
    return make() if make is not None else {}
