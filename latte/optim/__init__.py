"""Optimizers (``latte.optim.SGD``, ``Adam``, ...), learning-rate schedulers
(``latte.optim.lr_scheduler``) and weight averaging (``latte.optim.swa_utils``: SWA and EMA),
with PyTorch's update rules and state_dict layout."""
from latte.optim.adadelta import Adadelta
from latte.optim.adafactor import Adafactor
from latte.optim.adagrad import Adagrad
from latte.optim.adam import Adam
from latte.optim.adamax import Adamax
from latte.optim.adamw import AdamW
from latte.optim.asgd import ASGD
from latte.optim.lbfgs import LBFGS
from latte.optim.muon import Muon
from latte.optim.nadam import NAdam
from latte.optim.optimizer import Optimizer
from latte.optim.radam import RAdam
from latte.optim.rmsprop import RMSprop
from latte.optim.rprop import Rprop
from latte.optim.sgd import SGD
from latte.optim.sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "Rprop", "ASGD", "LBFGS", "Adafactor", "Muon", "SparseAdam",
           "lr_scheduler", "swa_utils"]


def __getattr__(name: str):
    # the submodules load on first use, to keep `import latte` fast
    if name in ("lr_scheduler", "swa_utils"):
        import importlib
        return importlib.import_module(f"latte.optim.{name}")
    raise AttributeError(f"module 'latte.optim' has no attribute {name!r}")
