"""Neural-network building blocks: ``Module``, layers, losses, ``functional`` and ``init``."""
from latte.nn import functional, init, utils
from latte.nn.modules import *  # noqa: F401,F403
from latte.nn.parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from latte.nn import parallel
from latte.nn.parallel import SyncBatchNorm

