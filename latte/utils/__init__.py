"""Utilities beside the tensor library; ``latte.utils.data`` is the data-loading toolkit."""
from latte.utils import data

__all__ = ["data"]
