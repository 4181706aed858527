"""``Parameter`` (placeholder until the nn work lands)."""
from latte.tensor import Tensor


class Parameter(Tensor):
    pass


class Buffer(Tensor):
    pass
