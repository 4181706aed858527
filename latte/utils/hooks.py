"""``torch.utils.hooks``: the handle every ``register_*_hook`` returns."""
from latte.nn.modules._module_hooks import RemovableHandle

__all__ = ["RemovableHandle"]
