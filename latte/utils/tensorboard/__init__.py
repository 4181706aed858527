"""``latte.utils.tensorboard``: TensorBoard logs with ``torch.utils.tensorboard``'s API."""
from latte.utils.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
