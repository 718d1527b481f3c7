"""``Batched``: one sample's graph evaluated for many inputs at once.

The playground draws what the network computes over a grid of the input plane (2,500 points) and
scores whole train/test sets. Building a graph per point would cost seconds; instead the graph of
*one* sample (inputs ``x0, x1`` -> score) is compiled once, and its forward pass runs with a row of
``K`` numbers per node: the chosen input leaves take one value per sample, every other leaf (the
parameters, constants) keeps its single value. Nodes run level by level, one numpy step per op and
level, with the op table's formulas (``gradviz.ops``, the C library's functions as the engine's);
chains of ``+`` (a neuron's ``b + w0*x0 + w1*x1 + ...``) run together, a running sum over all
chains of one length, adding in the engine's order. So each column equals what the engine computes
for that sample, bit for bit. Where the engine would raise (log of a negative, division by zero) a
column holds numpy's NaN or inf instead.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..graph.trace import as_graph
from ..names import resolve_leaf
from .chains import plus_chains

__all__ = ["Batched"]


def _kind(op, arity):
    """The table op (``gradviz.ops``) and exponent of a node, or a ValueError."""
    entry, k = ops.lookup(op)
    if entry is not None and entry.arity == arity:
        return entry.name, 0.0 if k is None else k
    known = ", ".join(sorted(o for o in ops.OPS if o != "**k"))
    raise ValueError(f"Batched cannot evaluate op {op!r} with {arity} operands; it evaluates the "
                     f"engine's ops {known} and '**<number>'")


class Batched:
    """Compile the graph of ``x`` (a root Value or a Graph) for batched forward passes.

    ``inputs``: the leaves that take one value per sample (Values of the graph, labels or node
    ids; see ``gradviz.names.resolve_leaf``), in the order of the columns of ``X`` given to ``forward``.
    """

    def __init__(self, x, inputs):
        g = as_graph(x)
        self.graph = g
        n = len(g)
        ptr, kids = np.asarray(g.child_ptr), np.asarray(g.child_ids)
        arity = np.diff(ptr)
        self.leaves = np.flatnonzero(arity == 0)
        self.inputs = np.array([resolve_leaf(g, v) for v in inputs], dtype=np.intp)
        self._values = g.values
        pl, kl = ptr.tolist(), kids.tolist()
        for i in range(n):
            if pl[i + 1] > pl[i]:
                _kind(g.ops[i], pl[i + 1] - pl[i])  # every op is one this module evaluates
        ops_arr = np.asarray(g.ops, dtype=object)
        a = np.where(arity >= 1, kids[np.minimum(ptr[:-1], len(kids) - 1)] if len(kids) else -1, -1)
        b = np.where(arity == 2, kids[np.minimum(ptr[:-1] + 1, len(kids) - 1)] if len(kids) else -1, -1)
        _, found, inner_mask = plus_chains((ops_arr == "+") & (arity == 2), a, b, np.bincount(kids, minlength=n))
        chains, inner = found.by_top(), set(np.flatnonzero(inner_mask).tolist())
        lv = [0] * n
        units = {}  # (level, op, k) -> node ids, or (level, "chain", length) -> chains
        for i in range(n):  # ids are topological: operands come first
            if pl[i + 1] == pl[i] or i in inner:
                continue
            if i in chains:
                nodes, opnds = chains[i]
                level = 1 + max(lv[c] for c in opnds)
                for c in nodes:
                    lv[c] = level
                units.setdefault((level, "chain", len(nodes)), []).append(chains[i])
            else:
                lv[i] = 1 + max(lv[c] for c in kl[pl[i]:pl[i + 1]])
                op, k = _kind(g.ops[i], pl[i + 1] - pl[i])
                units.setdefault((lv[i], op, k), []).append(i)
        self._steps = []
        for (_, op, k), members in sorted(units.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
            if op == "chain":
                nodes = np.array([c[0] for c in members], dtype=np.intp).T
                opnds = np.array([c[1] for c in members], dtype=np.intp).T
                self._steps.append((op, k, nodes, opnds, None))
                continue
            ids = np.array(members, dtype=np.intp)
            a = kids[ptr[ids]]
            b = kids[ptr[ids] + 1] if ops.OPS[op].arity == 2 else None
            self._steps.append((op, k, ids, a, b))

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
                if op == "chain":  # c_j = x0 + t1 + ... + t_j, added left to right as the engine
                    M = V[a]  # (operand, chain, sample): each row adds one term to all chains
                    for j in range(1, len(M)):  # row by row: numpy's cumsum over axis 0 is slow
                        M[j] += M[j - 1]
                    V[out] = M[1:]
                else:
                    V[out] = _apply(op, k, V[a], None if b is None else V[b])
        if nodes is None:
            return V[n - 1].copy()
        return V[np.asarray(nodes, dtype=np.intp)]


def _apply(op, k, A, B):
    """The table's forward of ``op`` on arrays (no domain checks: NaN or inf where the engine raises)."""
    return ops.vector(op).forward(A, B, k, None, None)
