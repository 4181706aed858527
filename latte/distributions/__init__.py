"""Probability distributions with PyTorch's API (``latte.distributions`` as
``torch.distributions``): sampling from latte's seeded generator, differentiable ``rsample``,
``log_prob`` and ``entropy``, argument validation, transforms, and closed-form
``kl_divergence``."""
from latte.distributions import constraints, transforms
from latte.distributions.bernoulli import Bernoulli
from latte.distributions.beta import Beta
from latte.distributions.binomial import Binomial
from latte.distributions.categorical import Categorical
from latte.distributions.constraint_registry import biject_to, transform_to
from latte.distributions.cauchy import Cauchy
from latte.distributions.chi2 import Chi2
from latte.distributions.dirichlet import Dirichlet
from latte.distributions.distribution import Distribution
from latte.distributions.exp_family import ExponentialFamily
from latte.distributions.exponential import Exponential
from latte.distributions.gamma import Gamma
from latte.distributions.geometric import Geometric
from latte.distributions.gumbel import Gumbel
from latte.distributions.half_cauchy import HalfCauchy
from latte.distributions.half_normal import HalfNormal
from latte.distributions.independent import Independent
from latte.distributions.kl import kl_divergence, register_kl
from latte.distributions.laplace import Laplace
from latte.distributions.log_normal import LogNormal
from latte.distributions.multivariate_normal import MultivariateNormal
from latte.distributions.normal import Normal
from latte.distributions.one_hot_categorical import (
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
)
from latte.distributions.poisson import Poisson
from latte.distributions.studentT import StudentT
from latte.distributions.transformed_distribution import TransformedDistribution
from latte.distributions.transforms import *  # noqa: F403
from latte.distributions.transforms import __all__ as _transforms_all
from latte.distributions.uniform import Uniform
from latte.distributions.continuous_bernoulli import ContinuousBernoulli
from latte.distributions.fishersnedecor import FisherSnedecor
from latte.distributions.generalized_pareto import GeneralizedPareto
from latte.distributions.inverse_gamma import InverseGamma
from latte.distributions.kumaraswamy import Kumaraswamy
from latte.distributions.logistic_normal import LogisticNormal
from latte.distributions.multinomial import Multinomial
from latte.distributions.negative_binomial import NegativeBinomial
from latte.distributions.pareto import Pareto
from latte.distributions.relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from latte.distributions.relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from latte.distributions.von_mises import VonMises
from latte.distributions.weibull import Weibull
from latte.distributions.wishart import Wishart
from latte.distributions.lkj_cholesky import LKJCholesky
from latte.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from latte.distributions.mixture_same_family import MixtureSameFamily

__all__ = ["Distribution", "Normal", "Categorical", "Bernoulli", "Uniform", "OneHotCategorical",
           "Independent", "kl_divergence", "register_kl", "constraints", "MultivariateNormal",
           "Gamma", "Beta", "ExponentialFamily", "Exponential", "Laplace", "LogNormal",
           "Poisson", "Binomial", "Geometric", "Cauchy", "HalfNormal", "HalfCauchy", "StudentT",
           "Chi2", "Dirichlet", "Gumbel", "TransformedDistribution", "transforms",
           "Weibull", "Pareto", "Multinomial", "NegativeBinomial", "ContinuousBernoulli",
           "VonMises", "FisherSnedecor", "Kumaraswamy", "InverseGamma", "RelaxedBernoulli",
           "LogitRelaxedBernoulli", "RelaxedOneHotCategorical", "ExpRelaxedCategorical",
           "OneHotCategoricalStraightThrough", "LogisticNormal", "GeneralizedPareto",
           "LowRankMultivariateNormal", "MixtureSameFamily", "Wishart", "LKJCholesky",
           "biject_to", "transform_to", *_transforms_all]
