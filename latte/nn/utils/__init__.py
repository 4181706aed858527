"""nn utilities: gradient clipping, parameter/vector conversion, ``rnn`` (packed sequences),
``prune`` (masks on parameters), ``parametrize`` and ``parametrizations`` (weight_norm,
spectral_norm, orthogonal), and the legacy hook-based ``weight_norm`` and ``spectral_norm``,
batch-norm fusion, ``skip_init``."""
from latte.nn.utils.clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_,
                                      clip_grads_with_norm_, get_total_norm)
from latte.nn.utils.fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,
                                   fuse_linear_bn_weights)
from latte.nn.utils.init import skip_init
from latte.nn.utils.memory_format import (convert_conv2d_weight_memory_format,
                                          convert_conv3d_weight_memory_format)
from latte.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from latte.nn.utils import parametrizations, parametrize, prune, rnn
from latte.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from latte.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "rnn", "prune", "parametrize", "parametrizations", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm", "get_total_norm",
           "clip_grads_with_norm_", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init",
           "convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
