"""Automatic differentiation: ``Function``, the engine (``backward``, ``grad``), grad mode,
``gradcheck`` and ``functional`` (jacobian, hessian, vjp, jvp...). See docs/autograd.md for a
tour."""
from latte.autograd import anomaly_mode, forward_ad, functional, grad_mode, graph
from latte.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from latte.autograd.engine import backward, grad
from latte.autograd.function import Function, once_differentiable
from latte.autograd.grad_mode import (
                                      enable_grad,
                                      inference_mode,
                                      is_grad_enabled,
                                      no_grad,
                                      set_grad_enabled,
)
from latte.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["Function", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError",
           "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "once_differentiable", "grad_mode", "graph", "functional", "forward_ad",
           "detect_anomaly", "set_detect_anomaly"]
