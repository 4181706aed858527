"""Probability distributions with PyTorch's API (``latte.distributions`` as
``torch.distributions``): sampling from latte's seeded generator, differentiable ``rsample``,
``log_prob`` and ``entropy``, argument validation, and closed-form ``kl_divergence``."""
from latte.distributions import constraints
from latte.distributions.bernoulli import Bernoulli
from latte.distributions.beta import Beta
from latte.distributions.categorical import Categorical
from latte.distributions.distribution import Distribution
from latte.distributions.gamma import Gamma
from latte.distributions.independent import Independent
from latte.distributions.kl import kl_divergence, register_kl
from latte.distributions.multivariate_normal import MultivariateNormal
from latte.distributions.normal import Normal
from latte.distributions.one_hot_categorical import OneHotCategorical
from latte.distributions.uniform import Uniform

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "OneHotCategorical",
           "Independent", "kl_divergence", "register_kl", "constraints", "MultivariateNormal",
           "Gamma", "Beta"]
