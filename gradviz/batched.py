"""``Batched``: one sample's graph evaluated for many inputs at once.

The playground draws what the network computes over a grid of the input plane (2,500 points) and
scores whole train/test sets. Building a graph per point would cost seconds; instead the graph of
*one* sample (inputs ``x0, x1`` -> score) is compiled once, and its forward pass runs with a row of
``K`` numbers per node: the chosen input leaves take one value per sample, every other leaf (the
parameters, constants) keeps its single value. Nodes run level by level, one numpy step per op and
level, with the engine's formulas (``math.tanh`` as the engine), so each column equals what the
engine computes for that sample, bit for bit. Where the engine would raise (log of a negative,
division by zero) a column holds numpy's NaN or inf instead.
"""
from __future__ import annotations

import math

import numpy as np

from .graph import as_graph

__all__ = ["Batched"]

_BINARY = {"+", "-", "*", "/", "**"}
_UNARY = {"neg", "exp", "log", "tanh", "relu", "sigmoid"}


def _kind(op, arity):
    if op in _BINARY and arity == 2 or op in _UNARY and arity == 1:
        return op, 0.0
    if arity == 1 and op.startswith("**"):
        try:
            return "**k", float(op[2:])
        except ValueError:
            pass
    raise ValueError(f"Batched cannot evaluate op {op!r} with {arity} operands; it evaluates the "
                     f"engine's ops {', '.join(sorted(_BINARY | _UNARY))} and '**<number>'")


class Batched:
    """Compile the graph of ``x`` (a root Value or a Graph) for batched forward passes.

    ``inputs``: the leaves that take one value per sample (Values of the graph or node ids), in the
    order of the columns of ``X`` given to ``forward``.
    """

    def __init__(self, x, inputs):
        g = as_graph(x)
        self.graph = g
        n = len(g)
        ptr, kids = np.asarray(g.child_ptr), np.asarray(g.child_ids)
        arity = np.diff(ptr)
        self.leaves = np.flatnonzero(arity == 0)
        self.inputs = np.array([self._id(v) for v in inputs], dtype=np.intp)
        for i in self.inputs.tolist():
            if arity[i]:
                raise ValueError(f"input node {i} ({g.labels[i] or g.ops[i]}) is computed, not a leaf")
        self._values = g.values
        level = np.zeros(n, dtype=np.intp)
        kinds = {}
        lv = level.tolist()
        pl, kl = ptr.tolist(), kids.tolist()
        for i in range(n):  # ids are topological: operands come first
            if pl[i + 1] > pl[i]:
                lv[i] = 1 + max(lv[c] for c in kl[pl[i]:pl[i + 1]])
                kinds[i] = _kind(g.ops[i], pl[i + 1] - pl[i])
        level = np.array(lv, dtype=np.intp)
        groups = {}
        for i, (op, k) in kinds.items():
            groups.setdefault((int(level[i]), op, k), []).append(i)
        self._steps = []
        for (_, op, k), ids in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
            ids = np.array(ids, dtype=np.intp)
            a = kids[ptr[ids]]
            b = kids[ptr[ids] + 1] if op in _BINARY else None
            self._steps.append((op, k, ids, a, b))

    def _id(self, v):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            if not 0 <= v < len(self.graph):
                raise IndexError(f"node id {v} out of range 0..{len(self.graph) - 1}")
            return int(v)
        for i, u in enumerate(self.graph.values or ()):
            if u is v:
                return i
        raise ValueError(f"{v!r} is not a node of this graph; pass its Values or node ids")

    def leaf_data(self):
        """The leaves' current data, read from their Values (or the graph's data): full length."""
        d = np.array(self.graph.data, dtype=np.float64)
        if self._values is not None:
            d[self.leaves] = [self._values[i].data for i in self.leaves.tolist()]
        return d

    def forward(self, X, data=None, nodes=None):
        """Values of ``nodes`` (default: the root) for each row of ``X`` (K, len(inputs)).

        Leaves other than the inputs come from ``data`` (a full-length array) or their Values.
        Returns an array (len(nodes), K), or (K,) for the default root.
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.inputs):
            raise ValueError(f"X must have shape (K, {len(self.inputs)}), got {X.shape}")
        base = self.leaf_data() if data is None else np.asarray(data, dtype=np.float64)
        n, K = len(self.graph), len(X)
        V = np.empty((n, K))
        V[self.leaves] = base[self.leaves][:, None]
        V[self.inputs] = X.T
        with np.errstate(all="ignore"):
            for op, k, out, a, b in self._steps:
                V[out] = _apply(op, k, V[a], None if b is None else V[b])
        if nodes is None:
            return V[n - 1].copy()
        return V[np.asarray(nodes, dtype=np.intp)]


def _apply(op, k, A, B):
    if op == "*":
        return A * B
    if op == "+":
        return A + B
    if op == "relu":
        return np.where(A > 0.0, A, 0.0)
    if op == "tanh":  # math.tanh, as the engine: numpy's tanh can differ in the last bit
        return np.fromiter(map(math.tanh, A.ravel().tolist()), np.float64, A.size).reshape(A.shape)
    if op == "-":
        return A - B
    if op == "neg":
        return -A
    if op == "/":
        return A / B
    if op == "exp":
        return np.exp(A)
    if op == "log":
        return np.log(A)
    if op == "sigmoid":
        e = np.exp(np.minimum(A, 0.0))
        return np.where(A >= 0.0, 1.0 / (1.0 + np.exp(-np.maximum(A, 0.0))), e / (1.0 + e))
    if op == "**k":
        return np.power(A, k)
    return np.power(A, B)
