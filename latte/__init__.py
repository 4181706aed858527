"""Latte: a deep learning framework written from scratch on NumPy, with PyTorch's API.

``import latte as torch`` should feel like home.
"""
from latte import autograd, backend, cuda, dtypes
from latte.autograd import enable_grad, inference_mode, no_grad, set_grad_enabled
from latte.autograd.anomaly_mode import (is_anomaly_check_nan_enabled, is_anomaly_enabled,
                                         set_anomaly_enabled)
from latte.autograd.grad_mode import is_grad_enabled, is_inference_mode_enabled
from latte._threads import (get_num_interop_threads, get_num_threads, set_num_interop_threads,
                            set_num_threads)
from latte._flags import *  # use_deterministic_algorithms, set_float32_matmul_precision, ...
from latte._constants import *  # e, pi, inf, nan, newaxis
from latte._tensor_str import set_printoptions
from latte._type_info import *  # finfo, iinfo, promote_types, result_type, can_cast, ...
from latte.backend import device, get_default_device, set_default_device
from latte.tensor import Size, Tensor
from latte.creation import *  # tensor, zeros, rand, ...
from latte.dtypes import (bool, double, dtype, float, float16, float32, float64, get_default_dtype,
                          half, int, int8, int16, int32, int64, long, set_default_dtype, short,
                          uint8)
from latte.dtypes import (channels_last, channels_last_3d, contiguous_format, jagged, layout,
                          memory_format, preserve_format, sparse_bsc, sparse_bsr, sparse_coo,
                          sparse_csc, sparse_csr, strided)
from latte.functional import *  # exp, cat, stack, where, einsum, addmm, cummax, ...
from latte.functional import max, min
from latte._creation_buffers import *  # asarray, frombuffer, empty_strided, empty_permuted
from latte._windows import *  # hann_window, hamming_window, ...
from latte.random import (Generator, default_generator, get_rng_state, initial_seed,
                          manual_seed, seed, set_rng_state)

# the subpackages PyTorch users reach as attributes (torch.nn, torch.optim, torch.utils.data);
# latte.vision stays a separate import, as torchvision is
from latte import nn, optim, utils
import latte.utils.data
from latte._nn_functions import *  # conv2d, dropout, layer_norm, ... as torch.* names
from latte import sparse
from latte.sparse import sparse_coo_tensor, spmm

# imported on first use, to keep `import latte` fast: latte.linalg, latte.distributions,
# latte.onnx, latte.serialization and latte.testing, and the top-level names from them
_LAZY_MODULES = ("distributions", "func", "linalg", "onnx", "serialization", "special", "testing")
_LAZY_NAMES = {
    **{n: ("special", n) for n in ("digamma", "erf", "erfc", "erfinv", "i0", "logit", "polygamma",
                                   "sinc")},
    "lgamma": ("special", "gammaln"),
    **{n: ("linalg", n) for n in ("chain_matmul", "cholesky_inverse", "cholesky_solve", "det",
                                  "inverse", "logdet", "matrix_power", "pinverse", "slogdet")},
    "cholesky": ("linalg", "cholesky_legacy"), "qr": ("linalg", "qr_legacy"),
    "svd": ("linalg", "svd_legacy"),
    **{n: ("linalg", n) for n in ("geqrf", "lu_unpack", "matrix_exp", "orgqr", "ormqr",
                                  "triangular_solve")},
    "igamma": ("special", "gammainc"), "igammac": ("special", "gammaincc"),
    "mvlgamma": ("special", "multigammaln"),
    "lu": ("linalg", "lu_legacy"), "lu_solve": ("linalg", "lu_solve_legacy"),
    "save": ("serialization", "save"), "load": ("serialization", "load"),
    "vmap": ("func", "vmap"),
    # accepted and inert on the CPU, as under `latte run` (latte/compat/torch_surface.py)
    **{n: ("compat.torch_surface", n) for n in ("compile", "autocast", "GradScaler")},
}


def __getattr__(name: str):
    import importlib
    if name in _LAZY_MODULES:
        return importlib.import_module(f"latte.{name}")
    if name in _LAZY_NAMES:
        module, attr = _LAZY_NAMES[name]
        value = getattr(importlib.import_module(f"latte.{module}"), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'latte' has no attribute {name!r}")


def __dir__() -> list:
    return sorted([*globals(), *_LAZY_MODULES, *_LAZY_NAMES])

__version__ = "0.1.0"
