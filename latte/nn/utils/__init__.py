"""nn utilities: gradient clipping, parameter/vector conversion, ``rnn`` (packed sequences),
``parametrize`` and ``parametrizations`` (weight_norm, spectral_norm, orthogonal), and the
legacy hook-based ``weight_norm`` and ``spectral_norm``."""
from latte.nn.utils.clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from latte.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from latte.nn.utils import parametrizations, parametrize, rnn
from latte.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from latte.nn.utils.weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "rnn", "parametrize", "parametrizations", "weight_norm",
           "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]
