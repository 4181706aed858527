"""nn utilities: gradient clipping, parameter/vector conversion, ``rnn`` (packed sequences),
``parametrize`` and ``parametrizations`` (weight_norm, spectral_norm, orthogonal)."""
from latte.nn.utils.clip_grad import clip_grad_norm, clip_grad_norm_, clip_grad_value_
from latte.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from latte.nn.utils import parametrizations, parametrize, rnn

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "rnn", "parametrize", "parametrizations"]
