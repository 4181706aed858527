"""Nested tuples, lists and dicts of leaves (pytrees) as the ``latte.func`` transforms see them:
flatten to leaves and a spec, rebuild from them, and spread a prefix (``in_dims``) over leaves.

Tuples (namedtuples too), lists and dicts are containers; everything else is a leaf.
"""
from __future__ import annotations

from typing import Any


class TreeSpec:
    """The shape of a pytree without its leaves: ``kind`` is the container type (None for a
    leaf), ``keys`` a dict's keys, ``children`` the specs inside."""

    __slots__ = ("kind", "keys", "children")

    def __init__(self, kind: type | None, keys: tuple = (), children: tuple = ()) -> None:
        self.kind, self.keys, self.children = kind, keys, children

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind is None else sum(c.num_leaves for c in self.children)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TreeSpec) and self.kind is other.kind
                and self.keys == other.keys and self.children == other.children)

    def __repr__(self) -> str:  # PyTorch's treespec_pprint: (*, [*, *]), {'a': *}
        if self.kind is None:
            return "*"
        items = [repr(c) for c in self.children]
        if issubclass(self.kind, dict):
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.keys, items)) + "}"
        if issubclass(self.kind, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


_LEAF = TreeSpec(None)


def _is_container(x: Any) -> bool:
    return isinstance(x, (tuple, list, dict))


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    """``(leaves in order, spec)``; ``tree_unflatten(leaves, spec)`` rebuilds ``tree``."""
    leaves: list = []

    def walk(node: Any) -> TreeSpec:
        if isinstance(node, dict):
            return TreeSpec(type(node), tuple(node), tuple(walk(v) for v in node.values()))
        if isinstance(node, (tuple, list)):
            return TreeSpec(type(node), (), tuple(walk(v) for v in node))
        leaves.append(node)
        return _LEAF

    return leaves, walk(tree)


def tree_unflatten(leaves: list, spec: TreeSpec) -> Any:
    """The pytree of ``spec``'s shape holding ``leaves`` in order."""
    it = iter(leaves)

    def build(s: TreeSpec) -> Any:
        if s.kind is None:
            return next(it)
        values = [build(c) for c in s.children]
        if issubclass(s.kind, dict):
            return s.kind(zip(s.keys, values))
        if hasattr(s.kind, "_fields"):  # a namedtuple takes its fields positionally
            return s.kind(*values)
        return s.kind(values)

    return build(spec)


def tree_map(fn: Any, tree: Any) -> Any:
    """``tree`` with ``fn`` applied to every leaf."""
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix: Any, tree: Any) -> list | None:
    """One value of ``prefix`` per leaf of ``tree``: a non-container in ``prefix`` stands for
    every leaf below its place. None when ``prefix`` is not a prefix of ``tree``'s structure."""
    if not _is_container(prefix):
        return [prefix] * tree_flatten(tree)[1].num_leaves
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or set(prefix) != set(tree):
            return None
        pairs = [(prefix[k], tree[k]) for k in tree]
    else:
        same_kind = isinstance(tree, list) if isinstance(prefix, list) else isinstance(tree, tuple)
        if not same_kind or len(prefix) != len(tree):
            return None
        pairs = list(zip(prefix, tree))
    out: list = []
    for p, t in pairs:
        part = broadcast_prefix(p, t)
        if part is None:
            return None
        out.extend(part)
    return out
