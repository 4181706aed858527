"""Compositions: public functions written with Tensor methods and primitives, with no backward of
their own (their gradients come from the ops they are built of).

They sit below the Tensor class: Tensor methods forward to them (``x.addmm(...)`` is
``addmm(x, ...)``), and they build Tensors through the class registered in
``latte.autograd.function`` (the one seam between ops and the Tensor API).
"""
from latte._functional import (constructors, diagonals, differences, index_helpers, indexing,
                               joining, norms, order_statistics, pointwise, products, scatters,
                               searching, statistics)
from latte._functional.constructors import *
from latte._functional.diagonals import *
from latte._functional.differences import *
from latte._functional.index_helpers import *
from latte._functional.indexing import *
from latte._functional.joining import *
from latte._functional.norms import *
from latte._functional.order_statistics import *
from latte._functional.pointwise import *
from latte._functional.products import *
from latte._functional.scatters import *
from latte._functional.searching import *
from latte._functional.statistics import *

__all__ = [name for module in (constructors, diagonals, differences, index_helpers, indexing,
                                joining, norms, order_statistics, pointwise, products, scatters,
                                searching, statistics) for name in module.__all__]
