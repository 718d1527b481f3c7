"""``trace``: an immutable, columnar snapshot of an expression graph with stable ids.

Node ids run 0..n-1 in topological order (children before parents; the root is last).
Columns (``labels``, ``data``, ``grad``, ``ops``, ``kinds``, ``scopes``, ``children``) index by id.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import CONSTANT, Scope, Value

__all__ = ["Graph", "Node", "trace", "as_graph", "KINDS"]

KINDS = ("input", "parameter", "constant", "intermediate", "output")


@dataclass(frozen=True)
class Node:
    """One value node of a Graph (a read-only view of its columns)."""

    id: int
    label: str
    data: float
    grad: float
    op: str
    kind: str
    scope: str
    children: tuple
    meta: dict = field(default_factory=dict)


def scope_path(s):
    """A Value's scope as a path: ``MLP#7/layers.1/neurons.3`` for a call, the module path for a parameter."""
    if s is None or s is CONSTANT:
        return ""
    if isinstance(s, Scope):
        parts = []
        for c in s.chain():
            name = getattr(c.module, "_path", "")
            parts.append(name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1] if "." in name
                         else f"{type(c.module).__name__}#{c.call}" if not name else name)
        return "/".join(parts)
    path = getattr(s, "_path", "")  # a Module owning a parameter
    return "/".join(_split_path(path)) if path else type(s).__name__


def _split_path(path):
    bits = path.split(".")
    return [".".join(bits[i:i + 2]) for i in range(0, len(bits), 2)]


def _kind(v, is_root):
    if is_root:
        return "output"
    if v._prev:
        return "intermediate"
    s = v._scope
    if s is CONSTANT:
        return "constant"
    if s is not None and not isinstance(s, Scope):
        return "parameter"
    return "input"


class Graph:
    """Immutable snapshot of a DAG of scalar values. Build one with ``trace(root)``."""

    def __init__(self, labels, data, grad, ops, kinds, scopes, children, meta=None, values=None,
                 source="gradviz"):
        self.labels = tuple(labels)
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = np.asarray(grad, dtype=np.float64)
        self.data.flags.writeable = False
        self.grad.flags.writeable = False
        self.ops = tuple(ops)
        self.kinds = tuple(kinds)
        self.scopes = tuple(scopes)
        self.children = tuple(tuple(c) for c in children)
        self.meta = tuple(meta) if meta is not None else tuple({} for _ in self.labels)
        self.values = tuple(values) if values is not None else None  # the traced Values, if any
        self.source = source  # "gradviz" or "torch"

    def __len__(self):
        return len(self.labels)

    @property
    def root(self):
        return len(self.labels) - 1

    def node(self, i):
        return Node(i, self.labels[i], float(self.data[i]), float(self.grad[i]), self.ops[i],
                    self.kinds[i], self.scopes[i], self.children[i], self.meta[i])

    @property
    def nodes(self):
        return [self.node(i) for i in range(len(self))]

    @property
    def edges(self):
        """(child id, parent id) for every operand of every op, in operand order."""
        return [(c, p) for p, cs in enumerate(self.children) for c in cs]

    def leaves(self):
        return [i for i, cs in enumerate(self.children) if not cs]

    def __repr__(self):
        return f"<Graph of {len(self)} values, root {self.labels[-1] or self.ops[-1]!r}>"


def trace(root):
    """Snapshot the graph below ``root`` (a Value; a Graph is returned as is). Iterative."""
    if isinstance(root, Graph):
        return root
    if not isinstance(root, Value):
        raise TypeError(f"trace() takes a Value or a Graph, got {type(root).__name__!r}")
    order = root.topo()
    index = {id(v): i for i, v in enumerate(order)}
    last = len(order) - 1
    return Graph(
        labels=[v.label for v in order],
        data=[v.data for v in order],
        grad=[v.grad for v in order],
        ops=[v._op for v in order],
        kinds=[_kind(v, i == last) for i, v in enumerate(order)],
        scopes=[scope_path(v._scope) for v in order],
        children=[tuple(index[id(c)] for c in v._prev) for v in order],
        values=order,
    )


as_graph = trace
