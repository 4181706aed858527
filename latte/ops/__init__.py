"""Latte's differentiable primitives, one class per op with forward and backward side by side,
grouped by family: elementwise, reduce, shape, index, linalg."""
